using System.Runtime.InteropServices;
using CnnNative.Devices.Cpu;

namespace CnnNative.Devices;

/// <summary>
/// The cpu device's lanes: one single-threaded cpu device per worker, sharing this device's memory (a buffer of
/// either may be passed to the other), with workspaces, packing caches and an op lock of its own. Work given to
/// <see cref="RunOnLanes"/> runs lane i on worker i at once, so a data-parallel training step can take a shard of the
/// batch per worker through the whole model with no join between its ops (Training/DataParallelStep.cs); then
/// <see cref="SumShards"/> adds the shards' gradients in one parallel loop. A device knows nothing of layers: it
/// only runs the work it is given and sums buffers.
/// </summary>
internal sealed unsafe partial class CpuDevice
{
    private readonly CpuDevice? _home;
    private CpuDevice[]? _lanes;
    private Action<int>? _laneWork;
    private GCHandle _self;

    /// <summary>A lane of <paramref name="home"/>: its options on one thread.</summary>
    private CpuDevice(CpuDeviceOptions options, CpuDevice home) : this(options with { Threads = 1 }) => _home = home;

    /// <inheritdoc />
    internal override DeviceBase Home => _home ?? this;

    /// <summary>
    /// One lane per worker, made on first use; none on one thread, on a lane, or without
    /// <see cref="CpuPaths.DataParallelSteps"/>.
    /// </summary>
    public IReadOnlyList<CpuDevice> Lanes
    {
        get
        {
            if (_home is not null || Threads < 2 || (_paths & CpuPaths.DataParallelSteps) == 0) return [];
            lock (Gate)
            {
                ThrowIfDisposed(nameof(Lanes));
                if (_lanes is null)
                {
                    var lanes = new CpuDevice[Threads];
                    for (int i = 0; i < lanes.Length; i++) lanes[i] = new CpuDevice(Options, this);
                    _lanes = lanes;
                }
                return _lanes;
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/>(i) for lanes i = 0 … <paramref name="count"/> − 1, lane i on worker i where that
    /// worker is free (a worker that finishes early takes a lane not yet started), and returns when all are done.
    /// The work may call its lane's ops only: this device's op lock is held meanwhile (other callers wait), so a call
    /// to this device from a helper worker would wait forever.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is not 1 … the number of lanes.</exception>
    public void RunOnLanes(int count, Action<int> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        using var op = OpCheck.Call(this, nameof(RunOnLanes));
        int lanes = _lanes?.Length ?? 0;
        if (count < 1 || count > lanes)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"RunOnLanes: {count} lanes asked for, the device has {lanes}.");
        // Weak: the running call keeps this device alive, and a device nobody disposes can still be collected.
        if (!_self.IsAllocated) _self = GCHandle.Alloc(this, GCHandleType.Weak);
        _laneWork = work;
        try
        {
            _pool.For(count, &LaneBody, (void*)GCHandle.ToIntPtr(_self));
        }
        finally
        {
            _laneWork = null;
        }
    }

    private static void LaneBody(void* context, int lane, int worker)
        => ((CpuDevice)GCHandle.FromIntPtr((nint)context).Target!)._laneWork!(lane);

    /// <summary>
    /// For each i: <c>targets[i] = (keep[i] ? targets[i] : 0) + Σ_s weights[s] · parts[i · shards + s]</c> over
    /// <c>lengths[i]</c> values, the shards added in order (the same bits on any number of threads), all in one
    /// parallel loop of chunks.
    /// </summary>
    public void SumShards(ReadOnlySpan<DeviceBuffer> targets, ReadOnlySpan<bool> keep, ReadOnlySpan<int> lengths,
                          ReadOnlySpan<DeviceBuffer> parts, ReadOnlySpan<float> weights)
    {
        using var op = OpCheck.Call(this, nameof(SumShards));
        int count = targets.Length, shards = weights.Length;
        if (keep.Length != count || lengths.Length != count || parts.Length != count * shards || shards == 0)
            throw new ArgumentException($"SumShards: {count} targets, {keep.Length} keep flags, {lengths.Length} lengths, " +
                                        $"{parts.Length} parts for {shards} shards do not match.");
        var job = new ShardSumJob { Shards = shards, Count = count };
        var t = stackalloc float*[count];
        var p = stackalloc float*[count * shards];
        var len = stackalloc int[count];
        var k = stackalloc byte[count];
        var first = stackalloc int[count + 1];
        var w = stackalloc float[shards];
        for (int s = 0; s < shards; s++) w[s] = weights[s];
        first[0] = 0;
        for (int i = 0; i < count; i++)
        {
            op.Argument(lengths[i] >= 0, lengths[i], "non-negative", "lengths");
            op.Buffer(targets[i], lengths[i], "targets");
            t[i] = Ptr(targets[i]);
            for (int s = 0; s < shards; s++)
            {
                op.Input(parts[i * shards + s], lengths[i], name: "parts");
                p[i * shards + s] = Ptr(parts[i * shards + s]);
            }
            (len[i], k[i]) = (lengths[i], keep[i] ? (byte)1 : (byte)0);
            first[i + 1] = first[i] + (lengths[i] + ShardSumChunk - 1) / ShardSumChunk;
        }
        job.Targets = t;
        job.Parts = p;
        job.Lengths = len;
        job.Keep = k;
        job.FirstChunk = first;
        job.Weights = w;
        int chunks = first[count];
        if (chunks <= 1 || Threads == 1) for (int c = 0; c < chunks; c++) ShardSumTask(&job, c, 0);
        else _pool.For(chunks, &ShardSumTask, &job);
    }

    /// <summary>Values a task of <see cref="SumShards"/> adds: a few microseconds of work, so small models stay on one thread.</summary>
    private const int ShardSumChunk = 16384;

    private struct ShardSumJob
    {
        public float** Targets, Parts;
        public int* Lengths, FirstChunk;
        public byte* Keep;
        public float* Weights;
        public int Shards, Count;
    }

    private static void ShardSumTask(void* context, int chunk, int worker)
    {
        var job = (ShardSumJob*)context;
        int i = 0;
        while (job->FirstChunk[i + 1] <= chunk) i++;
        int start = (chunk - job->FirstChunk[i]) * ShardSumChunk, end = Math.Min(job->Lengths[i], start + ShardSumChunk);
        float* target = job->Targets[i];
        float** parts = job->Parts + (long)i * job->Shards;
        CpuElementwise.WeightedSum(target + start, end - start, job->Keep[i] != 0, parts, start, job->Weights, job->Shards);
    }

    private void DisposeLanes()
    {
        if (_lanes is not null) foreach (var lane in _lanes) lane.Dispose();
        _lanes = null;
        if (_self.IsAllocated) _self.Free();
    }
}
