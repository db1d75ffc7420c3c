// Convolution as GEMM over an im2col workspace (Caffe's formulation), so every conv pass runs through the
// one register-blocked GEMM kernel and every stride/padding/rectangular kernel works the same way:
//   forward          y[n]   = W (K × CRS) · col[n] (CRS × PQ)            + bias
//   backward data    col[n] = Wᵀ (CRS × K) · dy[n] (K × PQ), then dx = col2im(col)
//   backward filter  dw    += dyᵀ-permuted (K × nPQ) · colT (nPQ × CRS), db += row sums
// The host processes the batch in chunks of nb images so the workspace stays within a cache-friendly size.
// Geometry arguments: C,H,W input, R,S kernel, P,Q output, strideH,strideW stride, padH,padW padding.

// The output columns q whose tap s lands inside the input row: w = q·strideW − padW + s ∈ [0, W) ⇔ q ∈ [*lo, *hi).
// Computed once per row so the loops over q have no divisions and no bounds tests.
inline void valid_q(int W, int Q, int strideW, int padW, int s, int* lo, int* hi)
{
    const int a = padW - s, t = W - 1 + padW - s;
    *lo = a > 0 ? (a + strideW - 1) / strideW : 0;
    *hi = t < 0 ? 0 : min(Q, t / strideW + 1);
    if (*hi < *lo) *hi = *lo;
}

// col[b·colImage + ((c·R + r)·S + s)·ld + p·Q + q] = x[n0+b][c][p·strideH − padH + r][q·strideW − padW + s] (0 outside).
// One work-item per output row p of one (c, r, s) tap. Columns PQ ≤ j < ld are zero-filled: the GEMM reads
// them as the padding of its last vector tile.
__kernel void im2col(int n0, int C, int H, int W, int R, int S, int P, int Q, int strideH, int strideW, int padH, int padW,
                     __global const float* x, __global float* col, int ld, int colImage)
{
    const int p = get_global_id(0), crs = get_global_id(1), b = get_global_id(2);
    if (p >= P || crs >= C * R * S) return;
    const int s = crs % S, r = (crs / S) % R, c = crs / (R * S);
    const int h = p * strideH - padH + r;
    __global float* out = col + (long)b * colImage + (long)crs * ld;
    int lo = Q, hi = Q;
    if (h >= 0 && h < H) valid_q(W, Q, strideW, padW, s, &lo, &hi);
    __global const float* xr = x + (((long)(n0 + b) * C + c) * H + h) * W - padW + s;
    __global float* o = out + p * Q;
    for (int q = 0; q < lo; q++) o[q] = 0.0f;
    if (strideW == 1) for (int q = lo; q < hi; q++) o[q] = xr[q];
    else for (int q = lo; q < hi; q++) o[q] = xr[q * strideW];
    for (int q = hi; q < Q; q++) o[q] = 0.0f;
    if (p == P - 1) for (int j = P * Q; j < ld; j++) out[j] = 0.0f;
}

// The transposed layout for the filter gradient: colT[(b·PQ + p·Q + q) · ld + crs], zeros for crs ≥ C·R·S.
// One work-item per (tap, output row); neighbouring work-items (taps) fill neighbouring floats of each row.
__kernel void im2col_t(int n0, int C, int H, int W, int R, int S, int P, int Q, int strideH, int strideW, int padH, int padW,
                       __global const float* x, __global float* colT, int ld)
{
    const int crs = get_global_id(0), p = get_global_id(1), b = get_global_id(2);
    if (crs >= ld || p >= P) return;
    __global float* o = colT + ((long)b * P * Q + p * Q) * ld + crs;
    int lo = Q, hi = Q;
    __global const float* xr = x;
    if (crs < C * R * S)
    {
        const int s = crs % S, r = (crs / S) % R, c = crs / (R * S);
        const int h = p * strideH - padH + r;
        if (h >= 0 && h < H) valid_q(W, Q, strideW, padW, s, &lo, &hi);
        xr = x + (((long)(n0 + b) * C + c) * H + h) * W - padW + s;
    }
    for (int q = 0; q < lo; q++) o[(long)q * ld] = 0.0f;
    for (int q = lo; q < hi; q++) o[(long)q * ld] = xr[q * strideW];
    for (int q = hi; q < Q; q++) o[(long)q * ld] = 0.0f;
}

// dx[n0+b][c][h][·] = Σ over the (r, s, p, q) that read x[h][w] of col[b][(c·R + r)·S + s][p·Q + q].
// One work-item owns one dx row, so the scatter within it needs no atomics and dx is overwritten.
__kernel void col2im(int n0, int C, int H, int W, int R, int S, int P, int Q, int strideH, int strideW, int padH, int padW,
                     __global const float* col, int ld, int colImage, __global float* dx)
{
    const int h = get_global_id(0), c = get_global_id(1), b = get_global_id(2);
    if (h >= H || c >= C) return;
    __global float* row = dx + (((long)(n0 + b) * C + c) * H + h) * W;
    for (int w = 0; w < W; w++) row[w] = 0.0f;
    __global const float* cb = col + (long)b * colImage + (long)c * R * S * ld;
    for (int r = 0; r < R; r++)
    {
        const int hp = h + padH - r;                  // = p·strideH when tap r of output row p reads row h
        if (hp < 0 || hp % strideH != 0) continue;
        const int p = hp / strideH;
        if (p >= P) continue;
        for (int s = 0; s < S; s++)
        {
            int lo, hi;
            valid_q(W, Q, strideW, padW, s, &lo, &hi);
            __global const float* cr = cb + (long)(r * S + s) * ld + p * Q;
            __global float* dr = row - padW + s;
            if (strideW == 1) for (int q = lo; q < hi; q++) dr[q] += cr[q];
            else for (int q = lo; q < hi; q++) dr[q * strideW] += cr[q];
        }
    }
}

// dyT[k][b·PQ + j] = dy[n0+b][k][j]: the chunk's output gradient as one K × (nb·PQ) GEMM operand.
__kernel void gather_k_major(int n0, int K, int PQ, __global const float* dy, __global float* dyT, int nb)
{
    const int j = get_global_id(0), k = get_global_id(1), b = get_global_id(2);
    if (j >= PQ || k >= K) return;
    dyT[((long)k * nb + b) * PQ + j] = dy[((long)(n0 + b) * K + k) * PQ + j];
}

// sums[i] += Σ_j x[i·cols + j]: the conv bias gradient from the K-major dy (one work-item per row, a
// sequential sum in the order the reference uses).
__kernel void row_sums_add(int rows, int cols, __global const float* x, __global float* sums)
{
    const int i = get_global_id(0);
    if (i >= rows) return;
    __global const float* row = x + (long)i * cols;
    float s = 0.0f;
    for (int j = 0; j < cols; j++) s += row[j];
    sums[i] += s;
}
