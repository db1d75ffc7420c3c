namespace CnnNative.Devices;

/// <summary>
/// The optional fast paths of the cpu device, each of which a same-process A/B chose over the path it replaced. A
/// device created with a path left out computes the same results by the older path (bitwise the same for the GEMM
/// paths, within rounding for the convolution algorithms); benchmarks compare two devices with different paths.
/// </summary>
[Flags]
public enum CpuPaths
{
    /// <summary>Convolution by lowering (im2col) + the packed GEMM only, GEMMs by the blocked drivers only.</summary>
    None = 0,
    /// <summary>Direct convolution on wide rows: one input channel, and a few channels or larger images (stride 1).</summary>
    DirectConv2d = 1 << 0,
    /// <summary>Implicit-GEMM convolution (stride 1, up to 128 filters): forward, backward data of same-padded layers, backward filter.</summary>
    ImplicitConv2d = 1 << 1,
    /// <summary>Lowering: a batch of one image is cut into at least two chunks, so batch-1 inference uses every thread.</summary>
    SplitSingleImage = 1 << 2,
    /// <summary>Lowering: a stride-1 backward filter lowers its rows from a zero-padded slice (no edge tests per row).</summary>
    LowerFromPaddedSlice = 1 << 3,
    /// <summary>GEMM: up to 144 rows on the pool through the few-rows driver (A packed once, one B panel per task).</summary>
    FewRowsGemm = 1 << 4,
    /// <summary>GEMM: batch 1–4 dot products take three, then two weight rows per pass (same bits as one at a time).</summary>
    GroupedDotProducts = 1 << 5,
    /// <summary>GEMM: the parallel driver cuts columns into blocks of even width instead of full blocks and a remainder.</summary>
    EvenColumnBlocks = 1 << 6,
    /// <summary>
    /// A fused activation (Conv2dForward and AddBiasRows with an activation) applied in the op's store (ReLU) instead
    /// of a second pass over the output, and ReLU's gradient applied in max pooling's backward (Pool2dBackward with an
    /// activation); the same bits either way.
    /// </summary>
    FusedActivation = 1 << 7,
    /// <summary>
    /// GEMM: a B operand read again at the same buffer version (a dense layer's weights in inference) is packed once
    /// into a per-device cache and reused, not packed per call (Cpu/CpuPackedWeights.cs); the same bits.
    /// </summary>
    PackedWeights = 1 << 8,
    /// <summary>
    /// Convolution backward data of a few filters (stride 1) as the dense direct forward of dy with the filters
    /// transposed and flipped, instead of lowering + GEMM and col2im (needs <see cref="DirectConv2d"/> too).
    /// </summary>
    DirectBackwardData = 1 << 9,
    /// <summary>
    /// The direct backward filter on dense positions of column-shifted planes, reading dy in place, instead of on wide
    /// rows of a zero-padded image with dy copied into wide rows (needs <see cref="DirectConv2d"/>).
    /// </summary>
    DenseDirectFilter = 1 << 10,
    /// <summary>
    /// Worker pool: worker w runs the w-th contiguous block of each loop's tasks (stealing from the others once done)
    /// rather than whichever task is next, so it reads the part of the batch it wrote in the op before from its own
    /// cache; where the cores share no cache, reading the other core's writes is several times slower.
    /// </summary>
    AffineTasks = 1 << 11,
    /// <summary>
    /// Batch norm over images (spatial &gt; 1): its sums over ranges of planes in batch order with per-chunk partials
    /// added in order, and the statistics in one pass around a per-channel shift, instead of over ranges of channels
    /// in two passes; each worker reads the images it wrote in the op before. Results agree within rounding.
    /// </summary>
    BatchNormByImages = 1 << 12,
    /// <summary>
    /// Worker pool: a helper that finished a loop watches for the next one for <see cref="Cpu.WorkerPool.SpinMicroseconds"/>
    /// before it blocks, and the caller waiting for a helper likewise, instead of blocking at once.
    /// </summary>
    SpinningHelpers = 1 << 13,
    /// <summary>
    /// GEMM: C = A · Bᵀ with 5–144 rows on a 512-bit device (a dense layer's forward in training) as 4 × 6 tiles of
    /// dot products reading B where it lies, instead of packing all of B into panels per call (Cpu/CpuGemm.DotTiles.cs).
    /// </summary>
    DotTileGemm = 1 << 14,
    /// <summary>
    /// Convolution (stride 1, square 5×5 or 3×3 filters, 16 or more channels and filters) forward and backward data by
    /// Winograd's minimal filtering on 6×6 tiles, F(2×2, 5×5) and F(4×4, 3×3): 2.8× and 4× fewer multiplies than a
    /// direct sum (Cpu/CpuConv2d.Winograd.cs). Results agree within rounding, not bitwise.
    /// </summary>
    WinogradConv2d = 1 << 15,
    /// <summary>
    /// Winograd forward and backward data with images for every thread: a task takes 1–4 whole images as one run of
    /// tiles, cut into chunks that may span two images, instead of each image's bands of tile rows (convnet's 49 tiles
    /// an image then fill the 14-row register tiles without padding); the same bits.
    /// </summary>
    WinogradImageRuns = 1 << 16,
    /// <summary>
    /// Convolution backward data of a layer with 6–16 channels and up to 16 filters whose output is smaller than its
    /// input (LeNet's unpadded 5×5), from two images: one product per tap scattered into the padded dx
    /// (Cpu/CpuConv2d.Scatter.cs) instead of the direct path's full convolution of the padded dy.
    /// </summary>
    ScatterBackwardData = 1 << 17,
    /// <summary>
    /// Implicit backward filter of at most 16 filters on a 512-bit device: a register tile of 8 taps × one vector of
    /// 16 filters at 512 bits (LeNet's second layer), instead of the 256-bit tile of 6 × 16.
    /// </summary>
    ImplicitHalfPanels = 1 << 18,
    /// <summary>
    /// 2×2 stride-2 pooling whose windows tile the input exactly, on rows of under 32 outputs (LeNet's and convnet's
    /// pools): a chunk's row pairs are staged as one long top row and one long bottom row, so the vector blocks run
    /// across plane and row ends (16 windows a block at 512 bits) instead of overlapping blocks per short row
    /// (Cpu/CpuPool2d.Stream.cs); the same bits.
    /// </summary>
    StreamPooling = 1 << 19,
    /// <summary>
    /// Dense direct convolution (512-bit devices with AVX-512F): each image's column-shifted planes written in whole
    /// aligned vectors, each a permutation of two loads from the image (or, for a padded layer, from the channel staged
    /// with its zero border), instead of one misaligned store per row; the same floats either way.
    /// </summary>
    PermutedPlanes = 1 << 20,
    /// <summary>
    /// The device offers single-threaded lanes sharing its memory (<see cref="CpuDevice.Lanes"/>), one a worker, so
    /// that Fit can run a training step as data-parallel shards of the batch, one a worker, each through the whole
    /// model, their gradients summed before the optimizer's step (Training/DataParallelStep.cs), instead of every op
    /// of the step split over the workers with a join after each. Results agree within rounding, not bitwise.
    /// </summary>
    DataParallelSteps = 1 << 21,
    /// <summary>
    /// Channel-blocked activations between ops (Cpu/CpuDevice.Layout.cs): a Winograd convolution whose output buffer
    /// allows it (a layer's inference output read next by a convolution, max pooling or Flatten) writes NCHW[L]c, L its
    /// vector width, without the 8 × 8 transposes; max pooling keeps a blocked input blocked, and the next Winograd
    /// convolution stages it with vector copies. Any other op, and Download, restores NCHW first. The same floats.
    /// </summary>
    ChannelBlocked = 1 << 22,
    /// <summary>Every path (the default).</summary>
    All = DirectConv2d | ImplicitConv2d | SplitSingleImage | LowerFromPaddedSlice | FewRowsGemm | GroupedDotProducts | EvenColumnBlocks
          | FusedActivation | PackedWeights | DirectBackwardData | DenseDirectFilter | AffineTasks | BatchNormByImages | SpinningHelpers | DotTileGemm
          | WinogradConv2d | WinogradImageRuns | ScatterBackwardData | ImplicitHalfPanels | StreamPooling | PermutedPlanes | DataParallelSteps
          | ChannelBlocked,
}
