using Microsoft.Extensions.Logging;
using OrleansAof.Storage.Format;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage.Internal;

/// <summary>
/// The file work of a rollover: sealing the active segment (metadata, producer table, index, footer, fsync), creating the
/// next one, and preparing that next file in the background (<see cref="PartitionLogOptions.Preallocation"/>) so that a
/// rollover finds it ready. Called by <see cref="ActiveSegmentWriter"/>, which owns the segments' state and the faults;
/// the preparation task is this type's only state.
/// </summary>
internal sealed partial class SegmentSealer
{
    private readonly PartitionDirectory _dir;
    private readonly PartitionLogOptions _options;
    private readonly IFileSystem _fs;
    private readonly ILogger _logger;
    private readonly CancellationToken _shutdown;
    private Task? _preallocation;

    public SegmentSealer(PartitionDirectory dir, PartitionLogOptions options, IFileSystem fs, ILogger logger, CancellationToken shutdown)
    {
        _dir = dir;
        _options = options;
        _fs = fs;
        _logger = logger;
        _shutdown = shutdown;
    }

    /// <summary>Seals <paramref name="segment"/> and hands its open file and offsets to the returned sealed segment.</summary>
    /// <exception cref="IOException">Writing or syncing the seal failed.</exception>
    public SealedSegment Seal(ActiveSegment segment, long sealedAtMicros, Dictionary<long, ProducerEntry> producers)
    {
        var sealedSegment = SegmentFiles.Seal(segment, sealedAtMicros, _dir.SegmentPath(segment.BaseId), producers);
        sealedSegment.Adopt(segment.File, segment.Offsets.ToArray());
        return sealedSegment;
    }

    /// <summary>Creates the active segment that follows one ending at <paramref name="lastId"/>, from the prepared file when it is ready.</summary>
    /// <exception cref="IOException">Creating the file failed.</exception>
    public ActiveSegment CreateNext(long lastId, long nowMicros, long writerEpoch)
    {
        var header = new SegmentHeader(SegmentFormat.Version, 0, SegmentFormat.PartitionHash(_dir.FullName), lastId + 1, nowMicros, writerEpoch);
        return SegmentFiles.CreateActive(_fs, _dir, header, _options, TakePreallocated());
    }

    /// <summary>Starts preparing the next segment file once <paramref name="segment"/> is filled past <see cref="PartitionLogOptions.PreallocateAt"/>. Called under the writer's lock.</summary>
    public void MaybePreallocate(ActiveSegment segment, FlushPolicyKind policy)
    {
        if (_options.Preallocation == PreallocationMode.None || segment.PreallocationStarted || _preallocation is not null
            || segment.WriteOffset < _options.MaxSegmentBytes * _options.PreallocateAt)
        {
            return;
        }

        segment.PreallocationStarted = true;
        var mode = _options.Preallocation != PreallocationMode.Auto ? _options.Preallocation
            : policy == FlushPolicyKind.Sync ? PreallocationMode.ZeroFill : PreallocationMode.Reserve;
        _preallocation = StartPreallocation(_dir.PreallocatedFile, _options.MaxSegmentBytes, mode, _shutdown);
    }

    /// <summary>Waits for a running preparation to stop (at close; the shutdown token cancels it).</summary>
    public async Task StopAsync()
    {
        if (_preallocation is { } prealloc)
        {
            // Cancelled or failed preparation leaves only next.prealloc behind, which the next open deletes.
            await prealloc.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    // A method of its own: the closure a lambda captures is allocated on entry to the scope that declares the captured
    // variables, so inside MaybePreallocate (called by every append) it cost 56 bytes per append.
    private Task StartPreallocation(string path, long size, PreallocationMode mode, CancellationToken token) =>
        Task.Run(() => Preallocate(path, size, mode, token), token);

    private void Preallocate(string path, long size, PreallocationMode mode, CancellationToken token)
    {
        try
        {
            using (var file = _fs.OpenFile(path, FileMode.Create, FileAccess.Write, FileShare.None, mode == PreallocationMode.Reserve ? size : 0))
            {
                if (mode == PreallocationMode.ZeroFill)
                {
                    var zeros = new byte[(int)Math.Min(size, 1024 * 1024)];
                    for (long pos = 0; pos < size; pos += zeros.Length)
                    {
                        token.ThrowIfCancellationRequested();
                        file.Write(pos, zeros.AsSpan(0, (int)Math.Min(zeros.Length, size - pos)));
                    }
                }

                file.Flush(dataOnly: false);
            }

            _fs.FlushDirectory(_dir.Segments);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogPreallocationFailed(_logger, _dir.FullName, e);
            throw;
        }
    }

    private string? TakePreallocated()
    {
        var task = _preallocation;
        if (task is null || !task.IsCompleted)
        {
            return null;
        }

        _preallocation = null;
        return task.IsCompletedSuccessfully && _fs.FileExists(_dir.PreallocatedFile) ? _dir.PreallocatedFile : null;
    }

    [LoggerMessage(6, LogLevel.Warning, "Partition {Partition}: preparing the next segment failed; the next segment will be created on demand")]
    private static partial void LogPreallocationFailed(ILogger logger, string partition, Exception exception);
}
