namespace CnnNative.Devices.OpenCL;

// Convolution (im2col + the GEMM kernel, chunked over the batch) and pooling.
public sealed partial class OpenClDevice
{
    public void Conv2dForward(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer? bias, DeviceBuffer y)
    {
        nint xm = Use(x, g.InputLength, nameof(Conv2dForward)), wm = Use(w, g.FilterLength, nameof(Conv2dForward));
        nint bm = bias is null ? 0 : Use(bias, g.K, nameof(Conv2dForward));
        nint ym = Use(y, g.OutputLength, nameof(Conv2dForward));
        if (!Tuning.UseLocalMemoryGemm)
        {
            lock (_gate) DirectConvolution(g.N, g.C, g.H, g.W, g.K, g.R, g.S, g.P, g.Q, g.StrideH, g.StrideW, g.PadH, g.PadW, xm, wm, bm, ym);
            return;
        }
        int crs = g.C * g.R * g.S, pq = g.P * g.Q;
        int ld = RoundUp(pq, Tuning.GemmTn);           // padded so the GEMM's last column tile is a full vector
        long colImage = (long)crs * ld;
        int chunk = ChunkImages(g.N, colImage);
        lock (_gate)
        {
            nint col = Workspace(WsCol, chunk * colImage);
            for (int n0 = 0; n0 < g.N; n0 += chunk)
            {
                int nb = Math.Min(chunk, g.N - n0);
                var k = new Launch(this, "im2col");
                GeometryArgs(ref k, n0, g);
                k.Mem(xm); k.Mem(col); k.Int(ld); k.Int((int)colImage);
                k.RunRows(g.P, crs, nb);
                // y[n] (K × PQ) = W (K × CRS) · col[n] (CRS × PQ) + bias, one batched GEMM for the chunk.
                GemmBatched(g.K, pq, crs, 1f, wm, 0, crs, 0, false, col, 0, ld, (int)colImage, ld,
                            0f, ym, n0 * g.K * pq, pq, g.K * pq, bm, nb);
            }
        }
    }

    public void Conv2dBackwardData(in Conv2dGeometry g, DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx)
    {
        nint dym = Use(dy, g.OutputLength, nameof(Conv2dBackwardData)), wm = Use(w, g.FilterLength, nameof(Conv2dBackwardData));
        nint dxm = Use(dx, g.InputLength, nameof(Conv2dBackwardData));
        if (!Tuning.UseLocalMemoryGemm && g.StrideH == 1 && g.StrideW == 1 && g.PadH < g.R && g.PadW < g.S && g.C >= Tuning.GemmTm)
        {
            // A stride-1 data gradient is the forward convolution of dy, padded by R−1−pad, with the filters
            // flipped and their K and C swapped: the direct kernel's speed for the backward pass too. (Not for
            // fewer than GemmTm input channels, where most of each work-item's channel block would be idle.)
            lock (_gate)
            {
                nint wT = Workspace(WsAux, g.FilterLength);
                var f = new Launch(this, "flip_filters");
                f.Int(g.K); f.Int(g.C); f.Int(g.R); f.Int(g.S); f.Mem(wm); f.Mem(wT);
                f.Run1(g.FilterLength);
                DirectConvolution(g.N, g.K, g.P, g.Q, g.C, g.R, g.S, g.H, g.W, 1, 1, g.R - 1 - g.PadH, g.S - 1 - g.PadW, dym, wT, 0, dxm);
            }
            return;
        }
        int crs = g.C * g.R * g.S, pq = g.P * g.Q;
        long colImage = (long)crs * pq;
        int chunk = ChunkImages(g.N, colImage);
        lock (_gate)
        {
            nint col = Workspace(WsCol, chunk * colImage);
            for (int n0 = 0; n0 < g.N; n0 += chunk)
            {
                int nb = Math.Min(chunk, g.N - n0);
                // col[n] (CRS × PQ) = Wᵀ · dy[n] (K × PQ), then each dx element gathers its columns.
                GemmBatched(crs, pq, g.K, 1f, wm, 0, crs, 0, true, dym, n0 * g.K * pq, pq, g.K * pq, pq,
                            0f, col, 0, pq, (int)colImage, 0, nb);
                var k = new Launch(this, "col2im");
                GeometryArgs(ref k, n0, g);
                k.Mem(col); k.Int(pq); k.Int((int)colImage); k.Mem(dxm);
                k.RunRows(g.H, g.C, nb);
            }
        }
    }

    public void Conv2dBackwardFilter(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw, DeviceBuffer? db)
    {
        nint xm = Use(x, g.InputLength, nameof(Conv2dBackwardFilter)), dym = Use(dy, g.OutputLength, nameof(Conv2dBackwardFilter));
        nint dwm = Use(dw, g.FilterLength, nameof(Conv2dBackwardFilter));
        nint dbm = db is null ? 0 : Use(db, g.K, nameof(Conv2dBackwardFilter));
        int crs = g.C * g.R * g.S, pq = g.P * g.Q;
        int ld = RoundUp(crs, Tuning.GemmTn);
        long colImage = (long)pq * ld;
        // Few images per GEMM: its reduction then runs over a few thousand pixels, so the B panel it streams
        // per column tile (reduction length × vector width) stays in L2 instead of coming from memory.
        int chunk = Math.Min(ChunkImages(g.N, Math.Max(colImage, (long)g.K * pq)), Math.Max(1, 4096 / pq));
        lock (_gate)
        {
            nint colT = Workspace(WsCol, chunk * colImage);
            nint dyT = Workspace(WsAux, (long)chunk * g.K * pq);
            for (int n0 = 0; n0 < g.N; n0 += chunk)
            {
                int nb = Math.Min(chunk, g.N - n0), len = nb * pq;
                var t = new Launch(this, "gather_k_major");
                t.Int(n0); t.Int(g.K); t.Int(pq); t.Mem(dym); t.Mem(dyT); t.Int(nb);
                t.RunRows(pq, g.K, nb);
                var k = new Launch(this, "im2col_t");
                GeometryArgs(ref k, n0, g);
                k.Mem(xm); k.Mem(colT); k.Int(ld);
                k.RunRows(ld, g.P, nb);
                // dw (K × CRS) += dyT (K × nb·PQ) · colT (nb·PQ × CRS): the reduction runs over images and pixels.
                GemmBatched(g.K, crs, len, 1f, dyT, 0, len, 0, false, colT, 0, ld, 0, ld,
                            1f, dwm, 0, crs, 0, 0, 1);
                if (dbm != 0)
                {
                    var s = new Launch(this, "row_sums_add");
                    s.Int(g.K); s.Int(len); s.Mem(dyT); s.Mem(dbm);
                    s.Run1(g.K);
                }
            }
        }
    }

    /// <summary>
    /// y (n × k × p × q) = conv(x (n × c × h × w), filters (k × c × r × s)) + bias through the CPU-shaped direct
    /// kernel: chunks of images are copied into a zero-bordered workspace, then convolved without bounds tests.
    /// The caller holds the gate.
    /// </summary>
    private void DirectConvolution(int n, int c, int h, int w, int k, int r, int s, int p, int q, int sh, int sw, int ph, int pw,
                                   nint x, nint filters, nint bias, nint y)
    {
        int vw = Tuning.GemmTn, tilesQ = (q + vw - 1) / vw, tilesK = (k + Tuning.GemmTm - 1) / Tuning.GemmTm;
        // Wide enough for the last tile's last vector, tall enough for the last row's last tap.
        int wp = Math.Max(pw + w, (tilesQ * vw - 1) * sw + s), hp = Math.Max(ph + h, (p - 1) * sh + r);
        long perImage = (long)c * hp * wp;
        int chunk = ChunkImages(n, perImage);
        nint xp = Workspace(WsCol, chunk * perImage);
        for (int n0 = 0; n0 < n; n0 += chunk)
        {
            int nb = Math.Min(chunk, n - n0);
            var pad = new Launch(this, "pad_input");
            pad.Int(n0); pad.Int(c); pad.Int(h); pad.Int(w); pad.Int(ph); pad.Int(pw); pad.Int(hp); pad.Int(wp);
            pad.Mem(x); pad.Mem(xp);
            pad.RunRows(hp, c, nb);
            var conv = new Launch(this, "conv2d_direct");
            conv.Int(c); conv.Int(hp); conv.Int(wp); conv.Int(k); conv.Int(r); conv.Int(s); conv.Int(p); conv.Int(q); conv.Int(sh); conv.Int(sw);
            conv.Mem(xp); conv.Mem(filters); conv.Mem(bias != 0 ? bias : _dummy.Handle); conv.Int(bias != 0 ? 1 : 0);
            conv.Mem(y); conv.Int(n0); conv.Int(tilesK);
            // Work-groups of 8 output rows share their input rows in cache; a fixed shape also means pocl
            // compiles the kernel once, not once per layer.
            conv.Run(tilesQ, p, (long)nb * tilesK, 1, Math.Min(8, conv.MaxGroup), 1);
        }
    }

    /// <summary>How many images' im2col columns fit the workspace budget (at least one).</summary>
    private int ChunkImages(int n, long floatsPerImage)
        => (int)Math.Clamp(Tuning.WorkspaceFloats / Math.Max(floatsPerImage, 1), 1, n);

    private static void GeometryArgs(ref Launch k, int n0, in Conv2dGeometry g)
    {
        k.Int(n0); k.Int(g.C); k.Int(g.H); k.Int(g.W); k.Int(g.R); k.Int(g.S); k.Int(g.P); k.Int(g.Q);
        k.Int(g.StrideH); k.Int(g.StrideW); k.Int(g.PadH); k.Int(g.PadW);
    }

    // ---------------------------------------------------------------- pooling

    public void Pool2dForward(in Pool2dGeometry g, PoolMode mode, DeviceBuffer x, DeviceBuffer y)
    {
        nint xm = Use(x, g.InputLength, nameof(Pool2dForward)), ym = Use(y, g.OutputLength, nameof(Pool2dForward));
        lock (_gate)
        {
            var k = new Launch(this, "pool2d_forward");
            PoolArgs(ref k, g, mode);
            k.Mem(xm); k.Mem(ym);
            k.RunRows(g.Q, g.P, (long)g.N * g.C);
        }
    }

    public void Pool2dBackward(in Pool2dGeometry g, PoolMode mode, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx)
    {
        nint xm = Use(x, g.InputLength, nameof(Pool2dBackward)), dym = Use(dy, g.OutputLength, nameof(Pool2dBackward));
        nint dxm = Use(dx, g.InputLength, nameof(Pool2dBackward));
        lock (_gate)
        {
            var k = new Launch(this, "pool2d_backward");
            PoolArgs(ref k, g, mode);
            k.Mem(xm); k.Mem(dym); k.Mem(dxm);
            k.RunRows(g.W, g.H, (long)g.N * g.C);
        }
    }

    private static void PoolArgs(ref Launch k, in Pool2dGeometry g, PoolMode mode)
    {
        if (mode is not (PoolMode.Max or PoolMode.Average)) throw new ArgumentOutOfRangeException(nameof(mode), mode, $"Unknown pooling mode {mode}.");
        k.Int(g.H); k.Int(g.W); k.Int(g.R); k.Int(g.S); k.Int(g.StrideH); k.Int(g.StrideW); k.Int(g.P); k.Int(g.Q);
        k.Int(mode == PoolMode.Max ? 1 : 0); k.Float(1f / (g.R * g.S));
    }
}
