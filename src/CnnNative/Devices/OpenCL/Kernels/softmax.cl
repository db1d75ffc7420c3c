// The softmax family: row-wise softmax forward and backward, one work-item per row (rows are a batch,
// columns are classes: short rows, many of them). The fused softmax cross-entropy is in loss.cl.

__kernel void softmax_forward(int rows, int cols, __global const float* x, __global float* y)
{
    const int r = get_global_id(0);
    if (r >= rows) return;
    __global const float* xr = x + (long)r * cols;
    __global float* yr = y + (long)r * cols;
    float mx = -INFINITY;
    for (int j = 0; j < cols; j++) mx = fmax(mx, xr[j]);
    float sum = 0.0f;
    for (int j = 0; j < cols; j++) { float e = exp(xr[j] - mx); yr[j] = e; sum += e; }
    const float inv = 1.0f / sum;
    for (int j = 0; j < cols; j++) yr[j] *= inv;
}

__kernel void softmax_backward(int rows, int cols, __global const float* y, __global const float* dy, __global float* dx)
{
    const int r = get_global_id(0);
    if (r >= rows) return;
    const long o = (long)r * cols;
    float dot = 0.0f;
    for (int j = 0; j < cols; j++) dot += dy[o + j] * y[o + j];
    for (int j = 0; j < cols; j++) dx[o + j] = y[o + j] * (dy[o + j] - dot);
}
