// The elementwise family (fill, copy, axpy, scale, multiply, dropout): one element per work-item; the host
// rounds the global size up to the work-group size, hence the guards. (pocl vectorises these work-item loops
// itself; a GPU coalesces them.)

__kernel void fill(int n, float value, __global float* x)
{
    const int i = get_global_id(0);
    if (i < n) x[i] = value;
}

__kernel void copy(int n, __global const float* src, __global float* dst)
{
    const int i = get_global_id(0);
    if (i < n) dst[i] = src[i];
}

__kernel void axpy(int n, float alpha, __global const float* x, __global float* y)
{
    const int i = get_global_id(0);
    if (i < n) y[i] += alpha * x[i];
}

__kernel void scale(int n, float alpha, __global float* x)
{
    const int i = get_global_id(0);
    if (i < n) x[i] *= alpha;
}

__kernel void multiply(int n, __global const float* a, __global const float* b, __global float* y)
{
    const int i = get_global_id(0);
    if (i < n) y[i] = a[i] * b[i];
}

// DropoutHash.Uniform, bit for bit (32-bit unsigned arithmetic wraps the same way in C# and OpenCL C).
// keepScale = 1/(1−rate) is computed by the host so that every device divides the same way.
__kernel void dropout_forward(int n, float rate, uint seed, float keepScale,
                              __global const float* x, __global float* y, __global float* mask)
{
    const int i = get_global_id(0);
    if (i >= n) return;
    uint h = (uint)i * 0x9E3779B1u + seed * 0x85EBCA77u + 0x165667B1u;
    h ^= h >> 16;
    h *= 0x85EBCA6Bu;
    h ^= h >> 13;
    h *= 0xC2B2AE35u;
    h ^= h >> 16;
    const float u = (float)(h >> 8) * (1.0f / 16777216.0f);
    const float m = u >= rate ? keepScale : 0.0f;
    mask[i] = m;
    y[i] = x[i] * m;
}
