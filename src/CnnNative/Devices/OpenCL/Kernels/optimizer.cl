// Parameter updates, one element per work-item, in the order of operations the reference uses.

// PyTorch's SGD: g = grad + wd·param; with momentum: v = μ·v + g, g = nesterov ? g + μ·v : v; param −= lr·g.
__kernel void sgd_step(int n, __global float* param, __global const float* grad, __global float* velocity,
                       float lr, float momentum, float weightDecay, int nesterov)
{
    const int i = get_global_id(0);
    if (i >= n) return;
    float g = grad[i] + weightDecay * param[i];
    if (momentum != 0.0f)
    {
        const float v = momentum * velocity[i] + g;
        velocity[i] = v;
        g = nesterov ? g + momentum * v : v;
    }
    param[i] -= lr * g;
}

// Adam with bias correction; invC1 = 1/(1−β1^t), invC2 = 1/(1−β2^t) come from the host (in double there).
__kernel void adam_step(int n, __global float* param, __global const float* grad, __global float* m, __global float* v,
                        float lr, float beta1, float beta2, float eps, float weightDecay, float invC1, float invC2)
{
    const int i = get_global_id(0);
    if (i >= n) return;
    const float g = grad[i] + weightDecay * param[i];
    const float mi = beta1 * m[i] + (1.0f - beta1) * g;
    const float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] -= lr * (mi * invC1) / (sqrt(vi * invC2) + eps);
}
