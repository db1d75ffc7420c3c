using CnnNative.Devices.Cpu;

namespace CnnNative.Devices;

/// <summary>
/// The cpu device's channel-blocked activations (<see cref="CpuPaths.ChannelBlocked"/>): where a buffer's user allows
/// it (<see cref="DeviceBuffer.PrivateLayoutAllowed"/>), a Winograd convolution, or the blocked direct forward of a
/// first layer, leaves its output NCHW[L]c, L its vector width, and max pooling of a blocked input stays blocked, so
/// the next Winograd convolution stages its input with vector copies instead of 8 × 8 transposes and the outputs need
/// none. Every other op, and Download, gets NCHW back first (<see cref="RestoreLogical"/>): the public contract never
/// sees the layout.
/// </summary>
internal sealed unsafe partial class CpuDevice
{
    internal override bool ReadsChannelBlocks => (_paths & CpuPaths.ChannelBlocked) != 0;

    /// <inheritdoc />
    internal override void RestoreLogical(DeviceBuffer buffer) => Reorder(buffer, toLogical: true);

    /// <summary>Reorders a buffer's first n·C·plane floats in place, a few slabs a task; marks it NCHW or blocked.</summary>
    internal void Reorder(DeviceBuffer buffer, bool toLogical, in ChannelBlocks blocks = default)
    {
        if (!toLogical && buffer.Layout != PhysicalLayout.Logical) Reorder(buffer, toLogical: true);
        var b = toLogical ? buffer.Blocks : blocks;
        var job = new CpuChannelBlocks.Reorder
        {
            Data = Ptr(buffer), Plane = b.Plane, Block = b.Block, ToLogical = toLogical,
            WorkerStride = ScratchMemory.Align((long)b.Plane * b.Block),
        };
        job.Scratch = _perWorker.Ensure(job.WorkerStride * Threads);
        job.Slabs = b.N * (b.C / b.Block);
        job.SlabsPerTask = CpuChannelBlocks.SlabsPerTask(job.Slabs, (long)b.Plane * b.Block, Threads);
        RunSlabs(&CpuChannelBlocks.ReorderTask, &job, job.Slabs, job.SlabsPerTask, b.Floats);
        if (toLogical) buffer.MarkLogical();
        else buffer.MarkBlocked(b);
    }

    /// <summary>
    /// Runs a slab kernel over <paramref name="slabs"/> slabs, <paramref name="slabsPerTask"/> a task, on the pool when
    /// the <paramref name="floats"/> they span are enough to share.
    /// </summary>
    private void RunSlabs(delegate*<void*, int, int, void> body, void* job, int slabs, int slabsPerTask, long floats)
    {
        int tasks = (slabs + slabsPerTask - 1) / slabsPerTask;
        if (Threads > 1 && floats >= 1 << 15) _pool.For(tasks, body, job);
        else for (int i = 0; i < tasks; i++) body(job, i, 0);
    }

    /// <summary>
    /// The forward of <paramref name="g"/>: x read blocked where the path takes it (Winograd's; else restored), y left
    /// blocked where its user allows and the path writes it (Winograd's, the blocked direct forward of a first layer).
    /// </summary>
    private void Conv2dForwardAnyLayout(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer? bias, DeviceBuffer y, bool relu)
    {
        var kernels = ForForward(g);
        int xBlock = 0;
        bool yBlocked = false;
        // x is blocked only where this device reads blocks (OpCheck restores it otherwise); training asks neither.
        if (x.Layout == PhysicalLayout.ChannelBlocked || (y.PrivateLayoutAllowed && ReadsChannelBlocks))
        {
            bool writes = kernels.Conv2dWritesBlocks(g, out bool reads);
            if (x.Layout == PhysicalLayout.ChannelBlocked)
            {
                if (reads && x.Blocks.Holds(g.N, g.C, g.H * g.W)) xBlock = x.Blocks.Block;
                else RestoreLogical(x);
            }
            yBlocked = writes && y.PrivateLayoutAllowed && ReadsChannelBlocks;
        }
        kernels.Conv2dForward(g, Ptr(x), w, Ptr(bias), Ptr(y), relu, xBlock, yBlocked);
        if (yBlocked) y.MarkBlocked(new ChannelBlocks(g.N, g.K, g.P * g.Q, kernels.Isa == CpuIsa.Vector512 ? 16 : 8));
    }

    /// <summary>
    /// Pooling: a blocked x's max pooling reads it blocked, into a blocked y where y's user allows it, else into NCHW
    /// (each slab reordered in cache); anything else restores x and runs the NCHW kernels.
    /// </summary>
    private void Pool2dForwardAnyLayout(in Pool2dGeometry g, PoolMode mode, DeviceBuffer x, DeviceBuffer y)
    {
        if (x.Layout == PhysicalLayout.ChannelBlocked)
        {
            var blocks = x.Blocks;
            if (mode == PoolMode.Max && blocks.Holds(g.N, g.C, g.H * g.W))
            {
                var job = new CpuChannelBlocks.MaxPool { G = g, X = Ptr(x), Y = Ptr(y), Block = blocks.Block, ToPlanes = !y.PrivateLayoutAllowed };
                if (job.ToPlanes)
                {
                    job.WorkerStride = ScratchMemory.Align((long)g.P * g.Q * blocks.Block);
                    job.Scratch = _perWorker.Ensure(job.WorkerStride * Threads);
                }
                job.Slabs = g.N * (g.C / blocks.Block);
                job.SlabsPerTask = CpuChannelBlocks.SlabsPerTask(job.Slabs, (long)g.H * g.W * blocks.Block, Threads);
                RunSlabs(&CpuChannelBlocks.MaxPoolTask, &job, job.Slabs, job.SlabsPerTask, blocks.Floats);
                if (!job.ToPlanes) y.MarkBlocked(new ChannelBlocks(g.N, g.C, g.P * g.Q, blocks.Block));
                return;
            }
            RestoreLogical(x);
        }
        Run(new CpuPool2d.Forward { G = g, Mode = mode, StreamBlock = CpuPool2d.StreamBlock(g, _paths, Isa, backward: false), X = Ptr(x), Y = Ptr(y) }, g.N * g.C, CpuPool2d.PlanesPerChunk(g, Threads));
    }
}
