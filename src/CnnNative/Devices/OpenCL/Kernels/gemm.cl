// C[b] = alpha · op(A[b]) · B[b] + beta · C[b] (+ bias[row]), row-major, C is M×N, op(A) M×K, B K×N.
// op(A) = Aᵀ when transA (A stored K×M). A transposed B is handled by the host (it transposes B into a
// workspace first), so these kernels read B rows contiguously. b = get_global_id(2) indexes a batch of
// independent products at element strides strideA/B/C (strideA = 0 shares one A, e.g. conv filters).
// beta == 0 never reads C, so NaN or garbage there is ignored, as BLAS does.

// CPU-shaped: each work-item owns a GEMM_TM × GEMM_TN block of C held in GEMM_TM vector accumulators;
// every k-step loads one vector of B and broadcasts GEMM_TM scalars of A (the register-blocked FMA
// micro-kernel of BLIS/OpenBLAS). No local memory: on a CPU it is ordinary cache, and barriers cost.
// Work-items of a work-group walk down M over the same B panel, so that panel stays in L1/L2.
// nReadable: B[p·ldb + j] may be read for every j < nReadable (host pads workspaces), so a tile that
// ends past N but within nReadable still takes the vector path; its extra columns are not stored.
__kernel void gemm_nn_cpu(int M, int N, int K, float alpha,
                          __global const float* A, int offA, int lda, int strideA, int transA,
                          __global const float* B, int offB, int ldb, int strideB, int nReadable,
                          float beta, __global float* C, int offC, int ldc, int strideC,
                          __global const float* bias, int hasBias)
{
    const int j0 = get_global_id(0) * GEMM_TN;
    const int i0 = get_global_id(1) * GEMM_TM;
    const int b = get_global_id(2);
    if (j0 >= N || i0 >= M) return;
    A += offA + (long)b * strideA;
    B += offB + (long)b * strideB;
    C += offC + (long)b * strideC;

    // Rows past M are clamped to M-1: their loads stay in bounds and their results are never stored,
    // so the inner loop has no branches whatever M is.
    int aRow[GEMM_TM];
    const int aStep = transA ? lda : 1;
    #pragma unroll
    for (int t = 0; t < GEMM_TM; t++)
    {
        int i = min(i0 + t, M - 1);
        aRow[t] = transA ? i : i * lda;
    }

    VECT acc[GEMM_TM];
    #pragma unroll
    for (int t = 0; t < GEMM_TM; t++) acc[t] = (VECT)(0.0f);

    if (j0 + GEMM_TN <= nReadable)
    {
        __global const float* bp = B + j0;
        for (int p = 0; p < K; p++, bp += ldb)
        {
            const VECT bv = LOADU(bp);
            const int ap = p * aStep;
            #pragma unroll
            for (int t = 0; t < GEMM_TM; t++) acc[t] = fma((VECT)(A[aRow[t] + ap]), bv, acc[t]);
        }
    }
    else
    {
        // The last, partial column tile of an unpadded B: gather what exists, zeros for the rest.
        for (int p = 0; p < K; p++)
        {
            float tmp[GEMM_TN];
            #pragma unroll
            for (int u = 0; u < GEMM_TN; u++) tmp[u] = j0 + u < N ? B[(long)p * ldb + j0 + u] : 0.0f;
            const VECT bv = VLOAD(0, tmp);
            const int ap = p * aStep;
            #pragma unroll
            for (int t = 0; t < GEMM_TM; t++) acc[t] = fma((VECT)(A[aRow[t] + ap]), bv, acc[t]);
        }
    }

    const bool fullWidth = j0 + GEMM_TN <= N;
    #pragma unroll
    for (int t = 0; t < GEMM_TM; t++)
    {
        const int i = i0 + t;
        if (i >= M) break;
        VECT r = alpha * acc[t];
        if (hasBias) r += (VECT)(bias[i]);
        __global float* cp = C + (long)i * ldc + j0;
        if (fullWidth)
        {
            if (beta != 0.0f) r = fma((VECT)(beta), LOADU(cp), r);
            *(__global VECT_U*)cp = r;
        }
        else
        {
            float tmp[GEMM_TN];
            VSTORE(r, 0, tmp);
            for (int u = 0; u < N - j0; u++) cp[u] = beta != 0.0f ? fma(beta, cp[u], tmp[u]) : tmp[u];
        }
    }
}

// GPU-shaped: an LG_TILE × LG_TILE block of C per work-group of (LG_TILE/LG_WPT)² work-items, each owning
// LG_WPT × LG_WPT outputs; A and B tiles are staged through local memory so every global element is read
// once per work-group instead of once per output. Any M, N, K: out-of-range loads read zeros.
__kernel void gemm_nn_local(int M, int N, int K, float alpha,
                            __global const float* A, int offA, int lda, int strideA, int transA,
                            __global const float* B, int offB, int ldb, int strideB, int nReadable,
                            float beta, __global float* C, int offC, int ldc, int strideC,
                            __global const float* bias, int hasBias)
{
    #define LG_THREADS (LG_TILE / LG_WPT)
    __local float As[LG_TILE][LG_TILE + 1];   // [k][m], +1 avoids bank conflicts
    __local float Bs[LG_TILE][LG_TILE + 1];   // [k][n]
    const int tx = get_local_id(0), ty = get_local_id(1);
    const int n0 = get_group_id(0) * LG_TILE, m0 = get_group_id(1) * LG_TILE;
    const int b = get_global_id(2);
    A += offA + (long)b * strideA;
    B += offB + (long)b * strideB;
    C += offC + (long)b * strideC;
    const int lid = ty * LG_THREADS + tx;

    float acc[LG_WPT][LG_WPT];
    for (int u = 0; u < LG_WPT; u++)
        for (int v = 0; v < LG_WPT; v++) acc[u][v] = 0.0f;

    for (int k0 = 0; k0 < K; k0 += LG_TILE)
    {
        for (int e = lid; e < LG_TILE * LG_TILE; e += LG_THREADS * LG_THREADS)
        {
            int kk = e / LG_TILE, mm = e % LG_TILE;   // for A: consecutive work-items take consecutive m (coalesced when transA)
            int gk = k0 + kk, gm = m0 + mm;
            As[kk][mm] = (gk < K && gm < M) ? (transA ? A[(long)gk * lda + gm] : A[(long)gm * lda + gk]) : 0.0f;
            int gn = n0 + mm;                         // for B: consecutive n, coalesced
            Bs[kk][mm] = (gk < K && gn < N) ? B[(long)gk * ldb + gn] : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int kk = 0; kk < LG_TILE; kk++)
        {
            float bv[LG_WPT];
            for (int v = 0; v < LG_WPT; v++) bv[v] = Bs[kk][tx + v * LG_THREADS];
            for (int u = 0; u < LG_WPT; u++)
            {
                float av = As[kk][ty + u * LG_THREADS];
                for (int v = 0; v < LG_WPT; v++) acc[u][v] = fma(av, bv[v], acc[u][v]);
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    for (int u = 0; u < LG_WPT; u++)
    {
        int i = m0 + ty + u * LG_THREADS;
        if (i >= M) continue;
        for (int v = 0; v < LG_WPT; v++)
        {
            int j = n0 + tx + v * LG_THREADS;
            if (j >= N) continue;
            float r = alpha * acc[u][v];
            if (hasBias) r += bias[i];
            __global float* cp = C + (long)i * ldc + j;
            *cp = beta != 0.0f ? fma(beta, *cp, r) : r;
        }
    }
    #undef LG_THREADS
}

// out[j·ldOut + i] = in[i·ldIn + j] for a rows × cols matrix: the host's transpose for Gemm(transB) and
// for laying conv gradients out as GEMM operands. Columns are padded with zeros up to ldOut's width.
__kernel void transpose(int rows, int cols, __global const float* in, int offIn, int ldIn,
                        __global float* out, int offOut, int ldOut)
{
    const int i = get_global_id(0), j = get_global_id(1);
    if (i >= ldOut || j >= cols) return;
    out[offOut + (long)j * ldOut + i] = i < rows ? in[offIn + (long)i * ldIn + j] : 0.0f;
}

// The gemm family's row ops: a dense layer's bias add and its bias gradient.

// y[r][j] += bias[j].
__kernel void add_bias_rows(int rows, int cols, __global const float* bias, __global float* y)
{
    const int j = get_global_id(0), r = get_global_id(1);
    if (j < cols && r < rows) y[(long)r * cols + j] += bias[j];
}

// sums[j] += Σ_r x[r][j]; one work-item per column, adjacent columns in adjacent work-items.
__kernel void sum_rows(int rows, int cols, __global const float* x, __global float* sums)
{
    const int j = get_global_id(0);
    if (j >= cols) return;
    float s = 0.0f;
    for (int r = 0; r < rows; r++) s += x[(long)r * cols + j];
    sums[j] += s;
}
