// Direct convolution for CPU-shaped devices: no im2col, the register-blocked GEMM micro-kernel applied to
// the convolution itself. A work-item computes GEMM_TM output channels × GEMM_TN consecutive outputs of one
// output row; per filter tap it loads one vector of the input row and broadcasts GEMM_TM weights. The input
// is first copied into a zero-bordered workspace (pad_input) wide enough for the last vector, so the inner
// loop has neither bounds tests nor padding branches.

// xp[b][c][hp][wp] = x[n0+b][c][hp − padH][wp − padW], zero outside; one work-item per padded row.
__kernel void pad_input(int n0, int C, int H, int W, int padH, int padW, int Hp, int Wp,
                        __global const float* x, __global float* xp)
{
    const int hp = get_global_id(0), c = get_global_id(1), b = get_global_id(2);
    if (hp >= Hp || c >= C) return;
    __global float* out = xp + (((long)b * C + c) * Hp + hp) * Wp;
    const int h = hp - padH;
    if (h < 0 || h >= H)
    {
        for (int j = 0; j < Wp; j++) out[j] = 0.0f;
        return;
    }
    __global const float* in = x + (((long)(n0 + b) * C + c) * H + h) * W;
    for (int j = 0; j < padW; j++) out[j] = 0.0f;
    for (int j = 0; j < W; j++) out[padW + j] = in[j];
    for (int j = padW + W; j < Wp; j++) out[j] = 0.0f;
}

// y[n0+b][k][p][q] = bias[k] + Σ_{c,r,s} w[k][c][r][s] · xp[b][c][p·strideH + r][q·strideW + s].
// Global: (column tiles, rows P, nb · channel tiles).
__kernel void conv2d_direct(int C, int Hp, int Wp, int K, int R, int S, int P, int Q, int strideH, int strideW,
                            __global const float* xp, __global const float* w, __global const float* bias, int hasBias,
                            __global float* y, int n0, int tilesK)
{
    const int q0 = get_global_id(0) * GEMM_TN, p = get_global_id(1), bk = get_global_id(2);
    if (p >= P || q0 >= Q) return;
    const int kt = bk % tilesK, b = bk / tilesK;
    const int k0 = kt * GEMM_TM;
    if (k0 >= K) return;
    const int crs = C * R * S;

    // Channels past K are clamped to K−1 (loads stay in bounds, results are not stored).
    int wRow[GEMM_TM];
    #pragma unroll
    for (int t = 0; t < GEMM_TM; t++) wRow[t] = min(k0 + t, K - 1) * crs;

    VECT acc[GEMM_TM];
    #pragma unroll
    for (int t = 0; t < GEMM_TM; t++) acc[t] = (VECT)(0.0f);

    __global const float* xb = xp + (long)b * C * Hp * Wp + (long)(p * strideH) * Wp + q0 * strideW;
    if (strideW == 1)
    {
        int wi = 0;
        for (int c = 0; c < C; c++)
            for (int r = 0; r < R; r++)
            {
                __global const float* row = xb + ((long)c * Hp + r) * Wp;
                for (int s = 0; s < S; s++, wi++)
                {
                    const VECT xv = LOADU(row + s);
                    #pragma unroll
                    for (int t = 0; t < GEMM_TM; t++) acc[t] = fma((VECT)(w[wRow[t] + wi]), xv, acc[t]);
                }
            }
    }
    else
    {
        int wi = 0;
        for (int c = 0; c < C; c++)
            for (int r = 0; r < R; r++)
            {
                __global const float* row = xb + ((long)c * Hp + r) * Wp;
                for (int s = 0; s < S; s++, wi++)
                {
                    float tmp[GEMM_TN];
                    #pragma unroll
                    for (int u = 0; u < GEMM_TN; u++) tmp[u] = row[u * strideW + s];
                    const VECT xv = VLOAD(0, tmp);
                    #pragma unroll
                    for (int t = 0; t < GEMM_TM; t++) acc[t] = fma((VECT)(w[wRow[t] + wi]), xv, acc[t]);
                }
            }
    }

    const bool fullWidth = q0 + GEMM_TN <= Q;
    #pragma unroll
    for (int t = 0; t < GEMM_TM; t++)
    {
        const int k = k0 + t;
        if (k >= K) break;
        VECT v = acc[t];
        if (hasBias) v += (VECT)(bias[k]);
        __global float* out = y + (((long)(n0 + b) * K + k) * P + p) * Q + q0;
        if (fullWidth) *(__global VECT_U*)out = v;
        else
        {
            float tmp[GEMM_TN];
            VSTORE(v, 0, tmp);
            for (int u = 0; u < Q - q0; u++) out[u] = tmp[u];
        }
    }
}

// wT[c][k][R−1−r][S−1−s] = w[k][c][r][s]: the filters of the transposed convolution that computes the data
// gradient of a stride-1 convolution as a forward one.
__kernel void flip_filters(int K, int C, int R, int S, __global const float* w, __global float* wT)
{
    const int i = get_global_id(0);
    if (i >= K * C * R * S) return;
    const int s = i % S, r = (i / S) % R, c = (i / (R * S)) % C, k = i / (C * R * S);
    wT[(((long)c * K + k) * R + (R - 1 - r)) * S + (S - 1 - s)] = w[i];
}
