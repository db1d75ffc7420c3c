namespace CnnNative.Devices.OpenCL;

/// <summary>
/// Tile shapes for one device, passed to the program build as -D defines. A CPU (pocl) wants few work-items
/// each holding a register block of wide vectors and no local memory; a GPU wants work-groups that share
/// local-memory tiles. The two shapes differ by ~50x in speed on the wrong kind of device, hence per-type.
/// </summary>
/// <param name="UseLocalMemoryGemm">Run GEMM (and so every convolution) through the local-memory kernel.</param>
/// <param name="GemmTm">Rows of C per work-item in the CPU-shaped GEMM.</param>
/// <param name="GemmTn">Columns of C per work-item there, also its vector width (4, 8 or 16).</param>
/// <param name="LocalTile">Side of the square C tile a work-group computes in the local-memory GEMM.</param>
/// <param name="LocalWorkPerItem">Outputs per work-item along each side of that tile.</param>
/// <param name="WorkGroup1D">Work-group size of the element-wise kernels.</param>
/// <param name="WorkspaceFloats">Largest im2col chunk, in floats: the conv ops process as many images at once as fit.</param>
internal sealed record OpenClTuning(bool UseLocalMemoryGemm, int GemmTm, int GemmTn, int LocalTile, int LocalWorkPerItem,
                                    int WorkGroup1D, int WorkspaceFloats)
{
    /// <summary>
    /// The build options that bake this tuning into the program; -cl-kernel-arg-info keeps the kernels' parameter
    /// names and types queryable, so a test checks every launcher against its kernel's signature.
    /// </summary>
    public string BuildOptions =>
        $"-D GEMM_TM={GemmTm} -D GEMM_TN={GemmTn} -D LG_TILE={LocalTile} -D LG_WPT={LocalWorkPerItem} -cl-kernel-arg-info";

    /// <summary>The tuning for a device, from its type and limits.</summary>
    public static OpenClTuning For(OpenClDeviceEntry d)
    {
        if (d.IsGpu && d.LocalMemoryIsDedicated) return Gpu(d);
        // CPU-shaped: 6×16 C block = 12 AVX2 registers of accumulators (the BLIS Haswell micro-kernel shape),
        // the im2col chunk about half of a large L3 so the GEMM re-reads it from cache.
        return new OpenClTuning(false, 6, 16, 32, 4, Math.Min(256, d.MaxWorkGroupSize), 4 << 20);
    }

    /// <summary>The GPU shape (also used by tests to run the local-memory kernels on a CPU platform).</summary>
    public static OpenClTuning Gpu(OpenClDeviceEntry d)
    {
        // 64×64 tiles with 4×4 outputs per work-item (256 work-items, 2·64·65 floats = 33 KiB of local memory)
        // where the device allows; 32×32 with 2×2 (also 256, 8 KiB) otherwise.
        bool big = d.LocalMemory >= 40 * 1024 && d.MaxWorkGroupSize >= 256;
        int tile = big ? 64 : 32, wpt = big ? 4 : 2;
        while ((tile / wpt) * (tile / wpt) > d.MaxWorkGroupSize) wpt *= 2;
        return new OpenClTuning(true, 4, 4, tile, wpt, Math.Min(256, d.MaxWorkGroupSize), 16 << 20);
    }
}
