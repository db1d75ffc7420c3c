// Batch normalization per channel (the BatchNorm family). x is (n, channels, spatial): NCHW with spatial = H·W, or
// (N, features) with spatial = 1; element (i, c, s) is at (i·channels + c)·spatial + s, and channel c holds
// m = n·spatial values.
//
// The per-channel sums take one work-group per channel: each work-item adds a strided slice of the channel with
// Kahan compensation, then the group adds the work-items' partials in a fixed tree. The order depends on the
// work-group size only (fixed per device by the host), never on scheduling, so the result is deterministic.
// The element-wise passes take one element per work-item, over (spatial, channels, n): no index arithmetic per element.

#ifndef BN_GROUP
#define BN_GROUP 256   // the largest work-group of the per-channel sums (the host launches a power of two up to it)
#endif

// Σ over the work-item's slice of channel c (values j = lid, lid + lsize, … < m) of (a − sa), or of (a − sa)·(b − sb)
// when hasB; Kahan-compensated.
inline float bn_slice_sum(__global const float* a, float sa, __global const float* b, float sb, int hasB,
                          int c, int n, int channels, int spatial)
{
    const int lsize = get_local_size(0);
    // Value j = lid + step·lsize is position s of sample i (j = i·spatial + s); moving on by lsize adds (di, ds).
    const int di = lsize / spatial, ds = lsize % spatial;
    int i = get_local_id(0) / spatial, s = get_local_id(0) % spatial;
    float sum = 0.0f, lost = 0.0f;
    for (; i < n; i += di, s += ds)
    {
        if (s >= spatial) { s -= spatial; i++; if (i >= n) break; }
        const long k = ((long)i * channels + c) * spatial + s;
        float v = a[k] - sa;
        if (hasB) v *= b[k] - sb;
        const float y = v - lost, t = sum + y;
        lost = (t - sum) - y;
        sum = t;
    }
    return sum;
}

// The sum of every work-item's v, added in a fixed tree over the power-of-two group; every work-item gets it.
inline float bn_group_sum(float v, __local float* scratch)
{
    const int lid = get_local_id(0);
    scratch[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int width = get_local_size(0) / 2; width > 0; width /= 2)
    {
        if (lid < width) scratch[lid] += scratch[lid + width];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float total = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);   // scratch is written again by the next sum
    return total;
}

// One work-group per channel: mean, 1/√(var + eps) (biased variance, two passes), and the running statistics moved
// by momentum with the unbiased variance var·m/(m − 1) (0 for a lone value).
__kernel void batchnorm_statistics(int n, int channels, int spatial, float eps, float momentum, __global const float* x,
                                   __global float* saveMean, __global float* saveInvStd,
                                   __global float* runningMean, __global float* runningVar)
{
    __local float scratch[BN_GROUP];
    const int c = get_group_id(0);
    const int m = n * spatial;
    const float mean = bn_group_sum(bn_slice_sum(x, 0.0f, x, 0.0f, 0, c, n, channels, spatial), scratch) / m;
    const float squares = bn_group_sum(bn_slice_sum(x, mean, x, mean, 1, c, n, channels, spatial), scratch);
    if (get_local_id(0) != 0) return;
    saveMean[c] = mean;
    saveInvStd[c] = 1.0f / sqrt(squares / m + eps);
    const float unbiased = m > 1 ? squares / (m - 1) : 0.0f;
    runningMean[c] = (1.0f - momentum) * runningMean[c] + momentum * mean;
    runningVar[c] = (1.0f - momentum) * runningVar[c] + momentum * unbiased;
}

// y = (x − mean)·invStd·γ + β with the batch's statistics.
__kernel void batchnorm_normalize(int n, int channels, int spatial, __global const float* x, __global const float* mean,
                                  __global const float* invStd, __global const float* gamma, __global const float* beta,
                                  __global float* y)
{
    const int s = get_global_id(0), c = get_global_id(1);
    if (s >= spatial || c >= channels) return;
    const long i = ((long)get_global_id(2) * channels + c) * spatial + s;
    y[i] = (x[i] - mean[c]) * (invStd[c] * gamma[c]) + beta[c];
}

// y = (x − runningMean)/√(runningVar + eps)·γ + β.
__kernel void batchnorm_forward_inference(int n, int channels, int spatial, float eps, __global const float* x,
                                          __global const float* gamma, __global const float* beta,
                                          __global const float* runningMean, __global const float* runningVar, __global float* y)
{
    const int s = get_global_id(0), c = get_global_id(1);
    if (s >= spatial || c >= channels) return;
    const long i = ((long)get_global_id(2) * channels + c) * spatial + s;
    y[i] = (x[i] - runningMean[c]) * (gamma[c] / sqrt(runningVar[c] + eps)) + beta[c];
}

// One work-group per channel: sums[2c] = Σ dy, sums[2c + 1] = Σ dy·(x − mean); dβ += Σ dy, dγ += Σ dy·x̂.
__kernel void batchnorm_backward_sums(int n, int channels, int spatial, __global const float* x, __global const float* dy,
                                      __global const float* saveMean, __global const float* saveInvStd,
                                      __global float* dgamma, __global float* dbeta, __global float* sums)
{
    __local float scratch[BN_GROUP];
    const int c = get_group_id(0);
    const float sumDy = bn_group_sum(bn_slice_sum(dy, 0.0f, x, 0.0f, 0, c, n, channels, spatial), scratch);
    const float sumDyXmu = bn_group_sum(bn_slice_sum(dy, 0.0f, x, saveMean[c], 1, c, n, channels, spatial), scratch);
    if (get_local_id(0) != 0) return;
    sums[2 * c] = sumDy;
    sums[2 * c + 1] = sumDyXmu;
    dbeta[c] += sumDy;
    dgamma[c] += sumDyXmu * saveInvStd[c];
}

// dx = ((dy − mean(dy)) − (x − mean)·proj)·γ·invStd with proj = Σ dy·(x − mean)·invStd²/m: PyTorch's form, where the
// cancellation happens before the scaling and a lone value per channel gets exactly 0.
__kernel void batchnorm_backward_data(int n, int channels, int spatial, __global const float* x, __global const float* dy,
                                      __global const float* gamma, __global const float* saveMean, __global const float* saveInvStd,
                                      __global const float* sums, __global float* dx)
{
    const int s = get_global_id(0), c = get_global_id(1);
    if (s >= spatial || c >= channels) return;
    const long i = ((long)get_global_id(2) * channels + c) * spatial + s;
    const float m = (float)(n * spatial), invStd = saveInvStd[c];
    const float dyMean = sums[2 * c] / m, proj = sums[2 * c + 1] * invStd * invStd / m;
    dx[i] = ((dy[i] - dyMean) - (x[i] - saveMean[c]) * proj) * (gamma[c] * invStd);
}
