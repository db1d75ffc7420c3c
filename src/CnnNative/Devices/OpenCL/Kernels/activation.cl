// The activation family: one element per work-item; the host rounds the global size up to the work-group
// size, hence the guards.

// f: 0 ReLU, 1 Sigmoid, 2 Tanh (the order of the Activation enum).
__kernel void activation_forward(int n, int f, __global const float* x, __global float* y)
{
    const int i = get_global_id(0);
    if (i >= n) return;
    const float v = x[i];
    y[i] = f == 0 ? (v > 0.0f ? v : 0.0f) : f == 1 ? 1.0f / (1.0f + exp(-v)) : tanh(v);
}

__kernel void activation_backward(int n, int f, __global const float* y, __global const float* dy, __global float* dx)
{
    const int i = get_global_id(0);
    if (i >= n) return;
    const float v = y[i];
    const float d = f == 0 ? (v > 0.0f ? 1.0f : 0.0f) : f == 1 ? v * (1.0f - v) : 1.0f - v * v;
    dx[i] = dy[i] * d;
}
