namespace CnnNative.Devices.OpenCL;

// Conv2d family (Kernels/conv2d.cl, Kernels/conv2d_direct.cl): im2col + the GEMM kernel chunked over the batch, and on
// CPU-shaped devices the direct kernel for the forward and the stride-1 backward data.
internal sealed partial class OpenClDevice
{
    /// <summary>The geometry arguments the im2col kernels share: images from n0, input C×H×W, kernel R×S, output P×Q.</summary>
    private struct ConvShape
    {
        public int N0, C, H, W, R, S, P, Q, StrideH, StrideW, PadH, PadW;

        public ConvShape(int n0, in Conv2dGeometry g)
            => (N0, C, H, W, R, S, P, Q, StrideH, StrideW, PadH, PadW) = (n0, g.C, g.H, g.W, g.R, g.S, g.P, g.Q, g.StrideH, g.StrideW, g.PadH, g.PadW);
    }

    private struct Im2ColArgs : IKernelArgs
    {
        public static string Kernel => "im2col";
        public ConvShape Shape; public ClMem X, Col; public int Ld, ColImage;
    }

    private struct Im2ColTArgs : IKernelArgs
    {
        public static string Kernel => "im2col_t";
        public ConvShape Shape; public ClMem X, ColT; public int Ld;
    }

    private struct Col2ImArgs : IKernelArgs
    {
        public static string Kernel => "col2im";
        public ConvShape Shape; public ClMem Col; public int Ld, ColImage; public ClMem Dx;
    }

    private struct GatherKMajorArgs : IKernelArgs
    {
        public static string Kernel => "gather_k_major";
        public int N0, K, PQ; public ClMem Dy, DyT; public int Nb;
    }

    private struct RowSumsAddArgs : IKernelArgs { public static string Kernel => "row_sums_add"; public int Rows, Cols; public ClMem X, Sums; }

    private struct PadInputArgs : IKernelArgs
    {
        public static string Kernel => "pad_input";
        public int N0, C, H, W, PadH, PadW, Hp, Wp; public ClMem X, Xp;
    }

    private struct Conv2dDirectArgs : IKernelArgs
    {
        public static string Kernel => "conv2d_direct";
        public int C, Hp, Wp, K, R, S, P, Q, StrideH, StrideW;
        public ClMem Xp, W, Bias; public int HasBias;
        public ClMem Y; public int N0, TilesK;
    }

    private struct FlipFiltersArgs : IKernelArgs { public static string Kernel => "flip_filters"; public int K, C, R, S; public ClMem W, WT; }

    /// <summary>
    /// One convolution as the direct kernel sees it: <see cref="Images"/> inputs of InChannels × InH × InW, filters
    /// OutChannels × InChannels × R × S, outputs OutH × OutW.
    /// </summary>
    private readonly record struct DirectConvolution(int Images, int InChannels, int InH, int InW, int OutChannels, int R, int S,
                                                     int OutH, int OutW, int StrideH, int StrideW, int PadH, int PadW)
    {
        public static DirectConvolution Forward(in Conv2dGeometry g)
            => new(g.N, g.C, g.H, g.W, g.K, g.R, g.S, g.P, g.Q, g.StrideH, g.StrideW, g.PadH, g.PadW);

        /// <summary>
        /// A stride-1 data gradient as a forward convolution: dy (K channels of P×Q) padded by R−1−pad, convolved with
        /// the filters flipped and their K and C swapped, gives dx (C channels of H×W).
        /// </summary>
        public static DirectConvolution BackwardData(in Conv2dGeometry g)
            => new(Images: g.N, InChannels: g.K, InH: g.P, InW: g.Q, OutChannels: g.C, R: g.R, S: g.S, OutH: g.H, OutW: g.W,
                   StrideH: 1, StrideW: 1, PadH: g.R - 1 - g.PadH, PadW: g.S - 1 - g.PadW);
    }

    protected override void Conv2dForwardCore(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer? bias, DeviceBuffer y)
    {
        if (!Tuning.UseLocalMemoryGemm)
        {
            RunDirect(DirectConvolution.Forward(g), Mem(x), Mem(w), bias is null ? null : Mem(bias), Mem(y));
            return;
        }
        int crs = g.C * g.R * g.S, pq = g.P * g.Q;
        int ld = RoundUp(pq, Tuning.GemmTn);           // padded so the GEMM's last column tile is a full vector
        long colImage = (long)crs * ld;
        int chunk = ChunkImages(g.N, colImage);
        var col = Workspace(WsCol, chunk * colImage);
        for (int n0 = 0; n0 < g.N; n0 += chunk)
        {
            int nb = Math.Min(chunk, g.N - n0);
            EnqueueRows(new Im2ColArgs { Shape = new ConvShape(n0, g), X = Mem(x), Col = col, Ld = ld, ColImage = (int)colImage }, g.P, crs, nb);
            // y[n] (K × PQ) = W (K × CRS) · col[n] (CRS × PQ) + bias, one batched GEMM for the chunk.
            GemmBatched(new GemmArgs
            {
                M = g.K, N = pq, K = crs, Alpha = 1f, A = Mem(w), Lda = crs, StrideA = 0, // one filter matrix for every image
                B = col, Ldb = ld, StrideB = (int)colImage, NReadable = ld,
                C = Mem(y), OffC = n0 * g.K * pq, Ldc = pq, StrideC = g.K * pq,
                Bias = bias is null ? default : Mem(bias), HasBias = bias is null ? 0 : 1,
            }, nb);
        }
    }

    protected override void Conv2dBackwardDataCore(in Conv2dGeometry g, DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx)
    {
        if (!Tuning.UseLocalMemoryGemm && g.StrideH == 1 && g.StrideW == 1 && g.PadH < g.R && g.PadW < g.S && g.C >= Tuning.GemmTm)
        {
            // The direct kernel's speed for the backward pass too (not for fewer than GemmTm input channels, where
            // most of each work-item's channel block would be idle).
            var flipped = Workspace(WsAux, g.FilterLength);
            EnqueueItems(new FlipFiltersArgs { K = g.K, C = g.C, R = g.R, S = g.S, W = Mem(w), WT = flipped }, g.FilterLength);
            RunDirect(DirectConvolution.BackwardData(g), Mem(dy), flipped, null, Mem(dx));
            return;
        }
        int crs = g.C * g.R * g.S, pq = g.P * g.Q;
        long colImage = (long)crs * pq;
        int chunk = ChunkImages(g.N, colImage);
        var col = Workspace(WsCol, chunk * colImage);
        for (int n0 = 0; n0 < g.N; n0 += chunk)
        {
            int nb = Math.Min(chunk, g.N - n0);
            // col[n] (CRS × PQ) = Wᵀ · dy[n] (K × PQ), then each dx element gathers its columns.
            GemmBatched(new GemmArgs
            {
                M = crs, N = pq, K = g.K, Alpha = 1f, A = Mem(w), Lda = crs, TransA = 1,
                B = Mem(dy), OffB = n0 * g.K * pq, Ldb = pq, StrideB = g.K * pq, NReadable = pq,
                C = col, Ldc = pq, StrideC = (int)colImage,
            }, nb);
            EnqueueRows(new Col2ImArgs { Shape = new ConvShape(n0, g), Col = col, Ld = pq, ColImage = (int)colImage, Dx = Mem(dx) }, g.H, g.C, nb);
        }
    }

    protected override void Conv2dBackwardFilterCore(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw, DeviceBuffer? db)
    {
        int crs = g.C * g.R * g.S, pq = g.P * g.Q;
        int ld = RoundUp(crs, Tuning.GemmTn);
        long colImage = (long)pq * ld;
        // Few images per GEMM: its reduction then runs over a few thousand pixels, so the B panel it streams
        // per column tile (reduction length × vector width) stays in L2 instead of coming from memory.
        int chunk = Math.Min(ChunkImages(g.N, Math.Max(colImage, (long)g.K * pq)), Math.Max(1, 4096 / pq));
        var colT = Workspace(WsCol, chunk * colImage);
        var dyT = Workspace(WsAux, (long)chunk * g.K * pq);
        for (int n0 = 0; n0 < g.N; n0 += chunk)
        {
            int nb = Math.Min(chunk, g.N - n0), len = nb * pq;
            EnqueueRows(new GatherKMajorArgs { N0 = n0, K = g.K, PQ = pq, Dy = Mem(dy), DyT = dyT, Nb = nb }, pq, g.K, nb);
            EnqueueRows(new Im2ColTArgs { Shape = new ConvShape(n0, g), X = Mem(x), ColT = colT, Ld = ld }, ld, g.P, nb);
            // dw (K × CRS) += dyT (K × nb·PQ) · colT (nb·PQ × CRS): the reduction runs over images and pixels.
            GemmBatched(new GemmArgs
            {
                M = g.K, N = crs, K = len, Alpha = 1f, A = dyT, Lda = len,
                B = colT, Ldb = ld, NReadable = ld, Beta = 1f, C = Mem(dw), Ldc = crs,
            }, 1);
            if (db is not null) EnqueueItems(new RowSumsAddArgs { Rows = g.K, Cols = len, X = dyT, Sums = Mem(db) }, g.K);
        }
    }

    /// <summary>
    /// y = conv(x, filters) + bias through the CPU-shaped direct kernel: chunks of images are copied into a
    /// zero-bordered workspace, then convolved without bounds tests.
    /// </summary>
    private void RunDirect(in DirectConvolution d, ClMem x, ClMem filters, ClMem? bias, ClMem y)
    {
        int vw = Tuning.GemmTn, tilesQ = (d.OutW + vw - 1) / vw, tilesK = (d.OutChannels + Tuning.GemmTm - 1) / Tuning.GemmTm;
        // Wide enough for the last tile's last vector, tall enough for the last row's last tap.
        int wp = Math.Max(d.PadW + d.InW, (tilesQ * vw - 1) * d.StrideW + d.S), hp = Math.Max(d.PadH + d.InH, (d.OutH - 1) * d.StrideH + d.R);
        long perImage = (long)d.InChannels * hp * wp;
        int chunk = ChunkImages(d.Images, perImage);
        var xp = Workspace(WsCol, chunk * perImage);
        for (int n0 = 0; n0 < d.Images; n0 += chunk)
        {
            int nb = Math.Min(chunk, d.Images - n0);
            EnqueueRows(new PadInputArgs { N0 = n0, C = d.InChannels, H = d.InH, W = d.InW, PadH = d.PadH, PadW = d.PadW, Hp = hp, Wp = wp, X = x, Xp = xp },
                        hp, d.InChannels, nb);
            // Work-groups of 8 output rows share their input rows in cache; a fixed shape also means pocl
            // compiles the kernel once, not once per layer.
            Enqueue(new Conv2dDirectArgs
            {
                C = d.InChannels, Hp = hp, Wp = wp, K = d.OutChannels, R = d.R, S = d.S, P = d.OutH, Q = d.OutW,
                StrideH = d.StrideH, StrideW = d.StrideW, Xp = xp, W = filters, Bias = bias ?? _dummy.Mem, HasBias = bias is null ? 0 : 1,
                Y = y, N0 = n0, TilesK = tilesK,
            }, tilesQ, d.OutH, (long)nb * tilesK, 1, Math.Min(8, MaxGroup<Conv2dDirectArgs>()), 1);
        }
    }

    /// <summary>How many images' im2col columns fit the workspace budget (at least one).</summary>
    private int ChunkImages(int n, long floatsPerImage)
        => (int)Math.Clamp(Tuning.WorkspaceFloats / Math.Max(floatsPerImage, 1), 1, n);
}
