// The loss family: the fused softmax cross-entropy, squared error and the correct-prediction count. Each
// writes one partial per row or per work-item, and reduce_sum folds those on the device, so the host reads
// back a single float.

// Log-sum-exp form: stable for any logits. rowLoss[r] = −Σ_j t·log softmax(z).
__kernel void softmax_cross_entropy(int rows, int cols, __global const float* z, __global const float* t,
                                    __global float* grad, float gradScale, __global float* rowLoss)
{
    const int r = get_global_id(0);
    if (r >= rows) return;
    const long o = (long)r * cols;
    float mx = -INFINITY;
    for (int j = 0; j < cols; j++) mx = fmax(mx, z[o + j]);
    float sum = 0.0f;
    for (int j = 0; j < cols; j++) sum += exp(z[o + j] - mx);
    // log p = (z − max) − log Σ: subtracting the max first keeps log p exact for huge logits, where
    // z − (max + log Σ) would lose log Σ to the rounding of max + log Σ.
    const float logSum = log(sum);
    float loss = 0.0f;
    for (int j = 0; j < cols; j++)
    {
        const float logp = (z[o + j] - mx) - logSum;
        loss -= t[o + j] * logp;
        grad[o + j] = gradScale * (exp(logp) - t[o + j]);
    }
    rowLoss[r] = loss;
}

// Each work-item handles a strided slice and writes its partial sum of squares.
__kernel void squared_error(int n, __global const float* pred, __global const float* target,
                            __global float* grad, float gradScale, __global float* partial)
{
    const int g = get_global_id(0), stride = get_global_size(0);
    float s = 0.0f;
    for (int i = g; i < n; i += stride)
    {
        const float d = pred[i] - target[i];
        s += d * d;
        grad[i] = gradScale * 2.0f * d;
    }
    partial[g] = s;
}

// hit[r] = 1 when argmax(scores row) == argmax(targets row), first maximum winning ties.
__kernel void count_correct(int rows, int cols, __global const float* scores, __global const float* targets,
                            __global float* hit)
{
    const int r = get_global_id(0);
    if (r >= rows) return;
    const long o = (long)r * cols;
    int bs = 0, bt = 0;
    for (int j = 1; j < cols; j++)
    {
        if (scores[o + j] > scores[o + bs]) bs = j;
        if (targets[o + j] > targets[o + bt]) bt = j;
    }
    hit[r] = bs == bt ? 1.0f : 0.0f;
}

// out[0] = Σ x[0..n): a single work-item, used on the few hundred partials the kernels above leave.
__kernel void reduce_sum(int n, __global const float* x, __global float* out)
{
    if (get_global_id(0) != 0) return;
    float s = 0.0f;
    for (int i = 0; i < n; i++) s += x[i];
    out[0] = s;
}
