// Max and average pooling without padding (windows never cross the edge), as Pool2dGeometry defines.
// Max follows the reference exactly: a NaN in the window makes the output NaN, and the gradient goes to the
// first position (row-major) holding the maximum.

__kernel void pool2d_forward(int H, int W, int R, int S, int strideH, int strideW, int P, int Q, int isMax, float invArea,
                             __global const float* x, __global float* y)
{
    const int q = get_global_id(0), p = get_global_id(1), nc = get_global_id(2);
    if (q >= Q || p >= P) return;
    __global const float* xb = x + ((long)nc * H + p * strideH) * W + q * strideW;
    float acc = isMax ? -INFINITY : 0.0f;
    for (int r = 0; r < R; r++)
        for (int s = 0; s < S; s++)
        {
            float v = xb[r * W + s];
            if (isMax) { if (v > acc || isnan(v)) acc = v; }
            else acc += v;
        }
    y[((long)nc * P + p) * Q + q] = isMax ? acc : acc * invArea;
}

// dx[h][w] gathers from every window that covers it (so overlapping windows add up and no atomics are
// needed): average pooling adds dy/(R·S); max pooling adds dy when (h, w) is that window's first argmax.
__kernel void pool2d_backward(int H, int W, int R, int S, int strideH, int strideW, int P, int Q, int isMax, float invArea,
                              __global const float* x, __global const float* dy, __global float* dx)
{
    const int w = get_global_id(0), h = get_global_id(1), nc = get_global_id(2);
    if (w >= W || h >= H) return;
    __global const float* xc = x + (long)nc * H * W;
    __global const float* dyc = dy + (long)nc * P * Q;
    // Windows p with p·strideH ≤ h < p·strideH + R.
    const int pLo = h >= R ? (h - R) / strideH + 1 : 0, pHi = min(h / strideH, P - 1);
    const int qLo = w >= S ? (w - S) / strideW + 1 : 0, qHi = min(w / strideW, Q - 1);
    float sum = 0.0f;
    for (int p = pLo; p <= pHi; p++)
        for (int q = qLo; q <= qHi; q++)
        {
            const float d = dyc[p * Q + q];
            if (!isMax) { sum += d * invArea; continue; }
            const int h0 = p * strideH, w0 = q * strideW;
            int best = h0 * W + w0;
            for (int r = 0; r < R; r++)
                for (int s = 0; s < S; s++)
                {
                    int i = (h0 + r) * W + w0 + s;
                    if (xc[i] > xc[best]) best = i;
                }
            if (best == h * W + w) sum += d;
        }
    dx[(long)nc * H * W + h * W + w] = sum;
}
