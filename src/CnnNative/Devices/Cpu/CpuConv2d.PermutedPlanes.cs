using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CnnNative.Devices.Cpu;

/// <summary>
/// The column-shifted planes of the dense direct paths (CpuConv2d.DenseDirect.cs) written in whole aligned vectors
/// (<see cref="CpuPaths.PermutedPlanes"/>, 512-bit devices with AVX-512F). Row by row, a plane of Q-wide rows is one
/// misaligned store per row, each spilling into the next (LeNet's second layer: 420 stores of 10 floats per image);
/// they measured a quarter of that layer's forward. Here vector v of every plane (floats 16v … 16v + 15, across row
/// ends) is one permutation of two vectors loaded from the source rows: the lanes' source offsets relative to the
/// first are the same for every channel and shift (a shift s only moves where the two loads start), so a table per
/// shape (cached on the device) holds each vector's start and its 16 lane offsets. The source is the image itself
/// where the layer is unpadded; a padded layer first stages each channel as a zero-bordered Hp × Wp image, so no lane
/// needs a mask. Each plane is 64-byte aligned (<see cref="PlaneStride"/>). Only data moves: the planes hold the same
/// floats as row by row.
/// </summary>
internal sealed unsafe partial class CpuConv2d<TVec>
{
    /// <summary>Ints per gather-table entry: the vector's start in the source, then its 16 lane offsets.</summary>
    private const int GatherEntry = 17;

    /// <summary>Most vectors per plane the table takes (17 KiB); larger planes go row by row.</summary>
    private const int MaxGatherVectors = 256;

    /// <summary>Most tables kept (a model has a few dense direct layers); past it the cache starts again.</summary>
    private const int MaxGatherTables = 16;

    /// <summary>
    /// The gather tables built so far, by (Hp, Q, source row width), pinned; an empty array for a plane some vector of
    /// which spans more than two source vectors. Built once per shape, not per call (at batch 1 building LeNet's first
    /// layer's 56-vector table per call cost more than the planes saved). Ops run one at a time under the device's lock.
    /// </summary>
    private readonly Dictionary<(int Hp, int Q, int Width), int[]> gatherTables = [];

    /// <summary>Floats from one plane's start to the next's: Hp·Q rounded up to whole 64-byte lines.</summary>
    private static long PlaneStride(int hp, int q) => ScratchMemory.Align((long)hp * q);

    /// <summary>
    /// Whether a device with <paramref name="allowed"/> paths writes <paramref name="g"/>'s planes by permutation
    /// (512-bit kernels on a processor with AVX-512F, at most 16 columns of padding, planes of at most
    /// <see cref="MaxGatherVectors"/> vectors; the span of each vector's lanes is checked when its table is built).
    /// </summary>
    internal static bool MayPermutePlanes(in Conv2dGeometry g, CpuPaths allowed)
        => (allowed & CpuPaths.PermutedPlanes) != 0 && TVec.Count == 16 && Avx512F.IsSupported && g.PadW <= 16
           && PlaneStride(g.H + 2 * g.PadH, g.Q) / 16 <= MaxGatherVectors;

    /// <summary>Whether <paramref name="g"/>'s planes are written by permutation on such a device: its table fits (for tests).</summary>
    internal static bool PermutesPlanes(in Conv2dGeometry g, CpuPaths allowed)
    {
        if (!MayPermutePlanes(g, allowed)) return false;
        int hp = g.H + 2 * g.PadH;
        return GatherTable(hp, g.Q, SourceWidth(g), (int)(PlaneStride(hp, g.Q) / 16)).Length > 0;
    }

    /// <summary>Whether the planes are gathered from a staged zero-bordered image (a padded layer) rather than x itself.</summary>
    private static bool Staged(in Conv2dGeometry g) => g.PadH > 0 || g.PadW > 0;

    /// <summary>The row width of the planes' source: the staged image's Wp, or the image's own W.</summary>
    private static int SourceWidth(in Conv2dGeometry g) => Staged(g) ? g.W + 2 * g.PadW : g.W;

    /// <summary>
    /// Fills the job's plane layout: the stride, and where the permuted planes apply the gather table, the source's row
    /// width and the per-worker floats (planes, the zeros after them, a staged image).
    /// </summary>
    private void PlanPlanes(ref DenseJob m)
    {
        ref readonly var g = ref m.G;
        m.PlaneStride = PlaneStride(m.Hp, g.Q);
        bool padded = Staged(g);
        int width = SourceWidth(g);
        m.Gather = null;
        if (MayPermutePlanes(g, paths))
        {
            var key = (m.Hp, g.Q, width);
            if (!gatherTables.TryGetValue(key, out var table))
            {
                if (gatherTables.Count >= MaxGatherTables) gatherTables.Clear();
                gatherTables[key] = table = GatherTable(m.Hp, g.Q, width, (int)(m.PlaneStride / 16));
            }
            if (table.Length > 0)
            {
                m.Gather = (int*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(table));
                m.GatherVectors = table.Length / GatherEntry;
                m.SourceWidth = width;
                m.Staged = padded;
            }
        }
        long planes = ScratchMemory.Align(g.C * g.S * m.PlaneStride + DenseMaxTilePositions);
        m.StageOffset = planes;
        // The staged image's last zero stores may reach 15 floats past its slack.
        m.PlanesFloats = m.Gather != null && m.Staged ? planes + ScratchMemory.Align((long)m.Hp * width + StageSlack + 16) : planes;
    }

    /// <summary>
    /// The table for planes of <paramref name="hp"/> × <paramref name="q"/> read from rows <paramref name="width"/>
    /// wide: per vector its start in the source and its lanes' offsets from it, or an empty array where some vector's
    /// lanes span more than two source vectors.
    /// </summary>
    private static int[] GatherTable(int hp, int q, int width, int vectors)
    {
        var table = GC.AllocateUninitializedArray<int>(vectors * GatherEntry, pinned: true);
        int planeFloats = hp * q, h = 0, column = 0;
        // The source of plane float e = h·Q + q is row h, column q (+ the shift) of the staged image or, unpadded, of
        // the image itself, whose row h is the plane's row h; (h, q) are counted along the plane, not divided.
        for (int v = 0; v < vectors; v++)
        {
            int start = v * GatherEntry;
            table[start] = h * width + column;
            for (int i = 0; i < 16; i++)
            {
                int offset = 16 * v + i < planeFloats ? h * width + column - table[start] : 0; // past the plane: any loaded float
                if (offset >= 32) return [];
                table[start + 1 + i] = offset;
                if (++column == q) (h, column) = (h + 1, 0);
            }
        }
        return table;
    }

    /// <summary>Floats kept after a staged image, so a vector's two loads past its last row stay inside the worker's scratch.</summary>
    private const int StageSlack = 64;

    /// <summary>Image n's planes by the gather table (see the class summary), then the zeros after them.</summary>
    private static void PermutedPlanes(ref DenseJob m, int n, float* planes)
    {
        ref readonly var g = ref m.G;
        int channels = g.C, taps = g.S, height = g.H, width = g.W, vectors = m.GatherVectors, sourceWidth = m.SourceWidth;
        int padH = g.PadH, padW = g.PadW;
        long stride = m.PlaneStride, imageFloats = (long)height * width;
        float* end = m.X + (long)g.N * channels * imageFloats, stage = planes + m.StageOffset;
        float* stageEnd = stage + (long)m.Hp * sourceWidth + StageSlack;
        float* plane = planes;
        for (int c = 0; c < channels; c++)
        {
            float* image = m.X + ((long)n * channels + c) * imageFloats, source = image, sourceEnd = end;
            if (m.Staged)
            {
                StageImage(image, stage, height, width, padH, padW, m.Hp, end);
                source = stage;
                sourceEnd = stageEnd;
            }
            for (int s = 0; s < taps; s++, plane += stride)
            {
                int* entry = m.Gather;
                for (int v = 0; v < vectors; v++, entry += GatherEntry)
                {
                    float* from = source + entry[0] + s;
                    float* to = plane + 16 * v;
                    if (from + 32 <= sourceEnd)
                    {
                        var lanes = Vector512.Load(entry + 1);
                        Avx512F.PermuteVar16x32x2(Vector512.Load(from), lanes, Vector512.Load(from + 16)).Store(to);
                    }
                    else
                        for (int i = 0; i < 16; i++) to[i] = from[entry[1 + i]]; // the batch's last rows: nothing read past x
                }
            }
        }
        new Span<float>(plane, DenseMaxTilePositions).Clear();
    }

    /// <summary>
    /// One channel as an Hp × Wp image with its zero border, in whole-vector stores that each spill only into what is
    /// written after them; the image's rows are read in whole vectors except where that would read past x.
    /// </summary>
    private static void StageImage(float* image, float* stage, int height, int width, int padH, int padW, int hp, float* end)
    {
        int wp = width + 2 * padW;
        var zero = Vector512<float>.Zero;
        for (long i = 0; i < (long)padH * wp; i += 16) zero.Store(stage + i);
        float* row = stage + (long)padH * wp;
        for (int h = 0; h < height; h++, row += wp)
        {
            float* src = image + (long)h * width;
            zero.Store(row); // the left border (padW ≤ 16, else the planes go row by row: see MayPermutePlanes)
            int j = 0;
            if (src + CpuGemm.RoundUp(width, 16) <= end)
                for (; j < width; j += 16) Vector512.Load(src + j).Store(row + padW + j);
            else
                for (; j < width; j++) row[padW + j] = src[j];
            for (int i = 0; i < padW; i += 16) zero.Store(row + padW + width + i); // the right border
        }
        for (long i = 0; i < (long)(hp - padH - height) * wp + StageSlack; i += 16) zero.Store(row + i);
    }
}
