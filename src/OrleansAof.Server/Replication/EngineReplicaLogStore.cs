using OrleansAof.Storage;
using OrleansAof.Storage.Archive;
using OrleansAof.Storage.Format;
using OrleansAof.Storage.Internal;
using OrleansAof.Storage.IO;

namespace OrleansAof.Server.Replication;

/// <summary>
/// A replica's log on a real volume: the partition's segments hold the records at their replicated ids (the engine's
/// follower path), the <c>replica-epochs</c> file the epoch of each entry, the <c>replica-state</c> file the durable
/// protocol state. Design and crash-safety argument: docs/replication.md, "The engine as a replica log".
/// </summary>
/// <remarks>
/// Not thread-safe: one replica drives it. Appends and truncations are made by this store only (the partition takes no
/// other appends). <see cref="TruncateAfter"/> is durable when it returns; appends are durable after <see cref="Flush"/>;
/// epoch-history changes are durable when <see cref="Append"/> returns.
/// </remarks>
internal sealed class EngineReplicaLogStore : IReplicaLogStore, IAsyncDisposable
{
    private const string InstallSuffix = ".install";
    private readonly IFileSystem _fs;
    private readonly PartitionLogOptions _engineOptions;
    private readonly PartitionLogEnvironment _environment;
    private PartitionLog _log;
    private readonly string _epochsPath;
    private readonly string _statePath;
    private readonly SortedSet<long> _segmentStarts = [];
    private readonly TimeSpan? _maxSegmentAge;
    private readonly int _maxRecordBytes;
    private readonly TimeProvider _time;
    private List<EpochMark> _marks;

    private EngineReplicaLogStore(PartitionLog log, PartitionLogOptions engineOptions, PartitionLogEnvironment environment, TimeSpan? maxSegmentAge)
    {
        _log = log;
        _fs = environment.FileSystem;
        _engineOptions = engineOptions;
        _environment = environment;
        _maxSegmentAge = maxSegmentAge;
        _maxRecordBytes = engineOptions.MaxRecordBytes;
        _time = environment.TimeProvider;
        _epochsPath = Path.Combine(log.DirectoryPath, PartitionLayout.ReplicaEpochsFileName);
        _statePath = Path.Combine(log.DirectoryPath, PartitionLayout.ReplicaStateFileName);
        State = ReplicaFiles.ReadState(_fs, _statePath);
        var history = ReplicaFiles.ReadEpochs(_fs, _epochsPath);
        _marks = [.. history.Marks];
        if (history.CutAfter is { } cut)
        {
            // A truncation was decided and may not have finished: finish it (both steps are idempotent).
            FinishTruncation(cut);
        }

        // Marks written durably before records that a crash then lost stand for nothing: drop them.
        var lastId = _log.LastId;
        var keep = _marks.Count;
        while (keep > 0 && (_marks[keep - 1].AfterId > lastId || (!_marks[keep - 1].HasStart && _marks[keep - 1].AfterId >= lastId)))
        {
            keep--;
        }

        if (keep < _marks.Count)
        {
            _marks.RemoveRange(keep, _marks.Count - keep);
            ReplicaFiles.WriteEpochs(_fs, _epochsPath, new EpochHistory(_marks, null));
        }

        // An install a crash interrupted before its rename left only a temporary file: the log is the old one.
        foreach (var leftover in _fs.ListFiles(SegmentsPath, "*" + InstallSuffix))
        {
            _fs.DeleteFile(leftover);
        }

        LoadSegmentStarts();
    }

    private string SegmentsPath => PartitionLayout.SegmentsOf(_log.DirectoryPath);

    /// <summary>The engine's partition under this store.</summary>
    public PartitionLog Partition => _log;

    /// <summary>The epoch history (for tests and diagnostics).</summary>
    public IReadOnlyList<EpochMark> EpochMarks => _marks;

    public LogPosition End => Floor(new LogPosition(long.MaxValue, long.MaxValue));

    public LogPosition DurableEnd
    {
        get
        {
            // The last entry whose id is durable: record DurableId, or an epoch start after it (it shares that id).
            var durable = _log.DurableId;
            var end = durable >= 0 ? new LogPosition(EpochOf(durable), durable) : LogPosition.Start;
            foreach (var mark in _marks)
            {
                if (mark.HasStart && mark.AfterId <= durable && mark.First > end)
                {
                    end = mark.First;
                }
            }

            return end;
        }
    }

    public ReplicaDurableState State { get; private set; }

    /// <summary>
    /// Opens (creating when missing) the replica log of <paramref name="log"/>/<paramref name="partition"/>, finishing a
    /// truncation a crash interrupted.
    /// </summary>
    /// <exception cref="ArgumentException">The environment has an id bound store (ids come from the leader).</exception>
    /// <exception cref="ReplicaFileCorruptedException">The epoch history or the state file is damaged.</exception>
    public static async Task<EngineReplicaLogStore> OpenAsync(string log, string partition, PartitionLogOptions options, PartitionLogEnvironment? environment = null, CancellationToken cancellationToken = default)
    {
        var env = environment ?? PartitionLogEnvironment.Default;
        if (env.IdBounds is not null)
        {
            throw new ArgumentException($"A replica log takes its ids from the leader: open it without {nameof(PartitionLogEnvironment.IdBounds)}.", nameof(environment));
        }

        // Segment age is the leader's rollover decision (RolloverFor), never the engine's own: its maintenance timer would
        // seal a replica's segment where the leader put no boundary.
        var engineOptions = options.Clone();
        engineOptions.MaxSegmentAge = null;
        // A replica's records come from its leader: a new or wiped replica must not restore the archive's newest segment on
        // its own (its records would have no epochs). It is created without the archive first; the archive then serves
        // evicted segments and installs (InstallSegment) like on any partition.
        var segments = PartitionLayout.SegmentsOf(PartitionLayout.PartitionDirectory(options.DataRoot, log, partition));
        if (env.Archive is not null && (!env.FileSystem.DirectoryExists(segments) || env.FileSystem.ListFiles(segments, PartitionLayout.SegmentFilePattern).Count == 0))
        {
            var withoutArchive = new PartitionLogEnvironment { FileSystem = env.FileSystem, TimeProvider = env.TimeProvider, LoggerFactory = env.LoggerFactory };
            await (await PartitionLog.OpenAsync(log, partition, engineOptions, withoutArchive, cancellationToken).ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
        }

        var partitionLog = await PartitionLog.OpenAsync(log, partition, engineOptions, env, cancellationToken).ConfigureAwait(false);
        try
        {
            return new EngineReplicaLogStore(partitionLog, engineOptions, env, options.MaxSegmentAge);
        }
        catch
        {
            await partitionLog.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public bool Contains(LogPosition position) => position == LogPosition.Start || Floor(position, strict: false) == position;

    public LogPosition Floor(LogPosition position) => Floor(position, strict: false);

    public LogPosition Before(LogPosition position)
        => Contains(position) ? Floor(position, strict: true) : throw new InvalidOperationException($"{position} is not in the log.");

    public IReadOnlyList<ReplicaEntry> ReadAfter(LogPosition after, int max)
    {
        var positions = new List<(LogPosition Position, bool Start)>();
        var current = after;
        while (positions.Count < max && Next(current) is { } next)
        {
            positions.Add(next);
            current = next.Position;
        }

        var entries = new List<ReplicaEntry>(positions.Count);
        var i = 0;
        while (i < positions.Count)
        {
            if (positions[i].Start)
            {
                entries.Add(new ReplicaEntry(positions[i].Position, ReplicaEntryKind.EpochStart, ReadOnlyMemory<byte>.Empty));
                i++;
                continue;
            }

            // A run of records has consecutive ids: read them in one pass.
            var j = i;
            while (j < positions.Count && !positions[j].Start)
            {
                j++;
            }

            var id = positions[i].Position.Id;
            var records = ReadRecords(id, j - i);
            for (var k = 0; k < records.Count; k++)
            {
                var position = positions[i + k].Position;
                entries.Add(new ReplicaEntry(position, ReplicaEntryKind.Record, records[k], _segmentStarts.Contains(position.Id)));
            }

            i = j;
        }

        return entries;
    }

    public void Append(ReplicaEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var end = End;
        if (entry.Position <= end)
        {
            throw new InvalidOperationException($"Append at {entry.Position} is not after the end {end}.");
        }

        var lastId = _log.LastId;
        var position = entry.Position;
        if (entry.Kind == ReplicaEntryKind.EpochStart)
        {
            if (position.Id != lastId)
            {
                throw new InvalidOperationException($"An epoch start must sit at the last record's id {lastId}; it was at {position}.");
            }

            _marks.Add(new EpochMark(position.Epoch, position.Id, HasStart: true));
            ReplicaFiles.WriteEpochs(_fs, _epochsPath, new EpochHistory(_marks, null));
            return;
        }

        if (position.Id != lastId + 1)
        {
            throw new ReplicaAppendOutOfOrderException(position.Id, lastId);
        }

        if (position.Epoch != CurrentEpoch)
        {
            // The history says which epoch the record belongs to before the record can exist on disk.
            _marks.Add(new EpochMark(position.Epoch, position.Id - 1, HasStart: false));
            ReplicaFiles.WriteEpochs(_fs, _epochsPath, new EpochHistory(_marks, null));
        }

        _log.Writer.AppendReplicated(position.Id, entry.Payload.Span, entry.StartsSegment);
        if (entry.StartsSegment && position.Id > 0)
        {
            _segmentStarts.Add(position.Id);
        }
    }

    public void TruncateAfter(LogPosition position)
    {
        if (!Contains(position))
        {
            throw new InvalidOperationException($"{position} is not in the log.");
        }

        if (position == End)
        {
            return;
        }

        var activeBase = _log.Writer.ActiveBaseId;
        if (position.Id < activeBase - 1)
        {
            throw new ReplicaTruncationAcrossSealException(position.Id, activeBase);
        }

        // The decision first (durable), then the records, then the history: a crash anywhere is finished at the next open.
        ReplicaFiles.WriteEpochs(_fs, _epochsPath, new EpochHistory(_marks, position));
        FinishTruncation(position);
    }

    /// <exception cref="OrleansAof.Storage.RecordTooLargeException">The payload is over <see cref="PartitionLogOptions.MaxRecordBytes"/>.</exception>
    public SegmentRollover RolloverFor(int payloadLength)
    {
        if (payloadLength > _maxRecordBytes)
        {
            throw new OrleansAof.Storage.RecordTooLargeException(payloadLength, _maxRecordBytes);
        }

        var writer = _log.Writer;
        if (!writer.FitsActiveReplicated(payloadLength))
        {
            return SegmentRollover.Required;
        }

        return _maxSegmentAge is { } age && writer.ActiveCount > 0 && _time.GetUtcNow() - writer.ActiveCreatedAt >= age
            ? SegmentRollover.Wanted
            : SegmentRollover.None;
    }

    public SegmentTransfer? ExportSegmentAfter(LogPosition after)
    {
        var id = after.Id + 1;
        // Every entry between a position at id - 1 and record id is an epoch start at id - 1: the segment's range.
        if (id >= _log.Writer.ActiveBaseId || (id > 0 && !_segmentStarts.Contains(id)) || !Contains(after))
        {
            return null;
        }

        SegmentInfo? info = null;
        foreach (var segment in _log.GetInfo().Segments)
        {
            if (segment.BaseId == id && segment.Status != SegmentStatus.Active && segment.RecordCount > 0)
            {
                info = segment;
                break;
            }
        }

        if (info is null || info.Status is SegmentStatus.Quarantined or SegmentStatus.Missing)
        {
            return null;
        }

        var last = new LogPosition(EpochOf(info.LastId), info.LastId);
        var epochs = EpochsFor(after, id, info.LastId);
        if (info.Status == SegmentStatus.LocalEvicted)
        {
            return new SegmentTransfer(id, info.LastId, last, epochs, info.FileName, ReadOnlyMemory<byte>.Empty, 0);
        }

        // The leader's side of the check: the footer, metadata and index checksums, then the CRC-32C of the bytes sent.
        var path = Path.Combine(SegmentsPath, info.FileName);
        byte[] bytes;
        using (var file = _fs.OpenFile(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            var scan = SegmentScanner.ReadSealed(file, validateIndex: true);
            if (!scan.IsSealed || scan.Metadata!.Value.BaseId != id || scan.Metadata!.Value.LastId != info.LastId)
            {
                throw new OrleansAof.Storage.SegmentCorruptedException(path, id, scan.FooterError ?? scan.HeaderError ?? "its metadata does not match the catalog");
            }

            bytes = new byte[file.Length];
            file.ReadExactly(0, bytes);
        }

        return new SegmentTransfer(id, info.LastId, last, epochs, info.FileName, bytes, Crc32C.Compute(bytes));
    }

    /// <exception cref="ReplicaAppendOutOfOrderException">The log's last record is not the one before the segment.</exception>
    /// <exception cref="OrleansAof.Storage.SegmentCorruptedException">The file received is not the segment announced (checksum, sealed structures, ids, records); nothing changed.</exception>
    /// <exception cref="ArchiveIntegrityException">The archive's copy failed verification; nothing changed.</exception>
    public void InstallSegment(SegmentTransfer segment)
    {
        ArgumentNullException.ThrowIfNull(segment);
        if (_log.LastId != segment.BaseId - 1)
        {
            throw new ReplicaAppendOutOfOrderException(segment.BaseId, _log.LastId);
        }

        var end = End;
        if (segment.Last <= end)
        {
            throw new InvalidOperationException($"Install of {segment} ending at {segment.Last} is not after the end {end}.");
        }

        // 1. The file, complete and verified, under a temporary name: nothing about the log has changed yet.
        var target = Path.Combine(SegmentsPath, PartitionLayout.SegmentFileName(segment.BaseId));
        var temp = target + InstallSuffix;
        try
        {
            ReceiveVerified(segment, temp);
        }
        catch
        {
            _fs.DeleteFile(temp);
            throw;
        }

        // 2. The epochs of its entries, durably (marks past the records are dropped at open if a crash stops here).
        var marks = new List<EpochMark>(_marks);
        var epoch = CurrentEpoch;
        foreach (var mark in segment.Epochs)
        {
            if (mark.HasStart ? mark.First > end : mark.Epoch != epoch)
            {
                marks.Add(mark);
                epoch = mark.Epoch;
            }
        }

        ReplicaFiles.WriteEpochs(_fs, _epochsPath, new EpochHistory(marks, null));
        _marks = marks;

        // 3. The active segment sealed (it ends right before the segment: a boundary the leader put there) and the
        // partition closed; 4. the file renamed into place (over the empty active segment with its name); 5. reopened by
        // the ordinary open, which takes the newest sealed segment as it does after a restore and starts the next one.
        _log.Writer.SealReplicated();
        _log.CloseAsync(seal: false).AsTask().GetAwaiter().GetResult();
        _fs.MoveFile(temp, target, overwrite: true);
        _fs.FlushDirectory(SegmentsPath);
        _log = PartitionLog.OpenAsync(_log.Log, _log.Partition, _engineOptions, _environment).GetAwaiter().GetResult();
        LoadSegmentStarts();
    }

    public void Flush() => _log.Writer.FlushReplicated();

    public void WriteState(ReplicaDurableState state)
    {
        ReplicaFiles.WriteState(_fs, _statePath, state);
        State = state;
    }

    public ValueTask DisposeAsync() => _log.DisposeAsync();

    private long CurrentEpoch => _marks.Count > 0 ? _marks[^1].Epoch : 0;

    private void LoadSegmentStarts()
    {
        _segmentStarts.Clear();
        foreach (var segment in _log.GetInfo().Segments)
        {
            if (segment.BaseId > 0)
            {
                _segmentStarts.Add(segment.BaseId);
            }
        }
    }

    /// <summary>The epoch marks of the entries after <paramref name="after"/> through record <paramref name="lastId"/>, the first record being <paramref name="firstId"/>.</summary>
    private List<EpochMark> EpochsFor(LogPosition after, long firstId, long lastId)
    {
        var epochs = new List<EpochMark>();
        foreach (var mark in _marks)
        {
            if (mark.HasStart ? mark.First > after && mark.AfterId < lastId : mark.AfterId >= firstId && mark.AfterId < lastId)
            {
                epochs.Add(mark);
            }
        }

        var firstEpoch = EpochOf(firstId);
        if (!epochs.Exists(m => m.AfterId == firstId - 1 && m.Epoch == firstEpoch))
        {
            epochs.Insert(0, new EpochMark(firstEpoch, firstId - 1, HasStart: false));
        }

        return epochs;
    }

    /// <summary>Writes the segment's file to <paramref name="temp"/> (from the bytes received, or from the archive), durably, and verifies it completely.</summary>
    private void ReceiveVerified(SegmentTransfer segment, string temp)
    {
        _fs.DeleteFile(temp);
        if (segment.FromArchive)
        {
            var archive = _environment.Archive
                ?? throw new InvalidOperationException($"{segment} is to be fetched from the archive, but the replica has no {nameof(PartitionLogEnvironment.Archive)}.");
            SegmentFiles.DownloadVerifiedAsync(archive, new ArchiveObjectKey(_log.Log, _log.Partition, segment.FileName), temp, _fs, durable: true, CancellationToken.None).GetAwaiter().GetResult();
        }
        else
        {
            if (Crc32C.Compute(segment.File.Span) != segment.FileChecksum)
            {
                throw new OrleansAof.Storage.SegmentCorruptedException(temp, segment.BaseId, "the bytes received do not match the leader's checksum");
            }

            using var file = _fs.OpenFile(temp, FileMode.CreateNew, FileAccess.ReadWrite);
            file.Write(0, segment.File.Span);
            file.Flush(dataOnly: false);
        }

        // The replica's side of the check: every frame, the rolling checksum, the sealed structures, and the ids announced.
        var facts = SegmentFiles.VerifySealed(_fs, temp, segment.BaseId, _engineOptions.MaxRecordBytes);
        using (var file = _fs.OpenFile(temp, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            var scan = SegmentScanner.ReadSealed(file, validateIndex: false);
            if (scan.Metadata!.Value.BaseId != segment.BaseId || scan.Metadata!.Value.LastId != segment.LastId || scan.Header!.Value.BaseId != segment.BaseId)
            {
                throw new OrleansAof.Storage.SegmentCorruptedException(temp, segment.BaseId, $"it holds ids {scan.Metadata!.Value.BaseId}..{scan.Metadata!.Value.LastId}, not {segment.BaseId}..{segment.LastId}");
            }
        }

        if (!segment.FromArchive && facts.Size != segment.File.Length)
        {
            throw new OrleansAof.Storage.SegmentCorruptedException(temp, segment.BaseId, "the file written is not the file received");
        }
    }

    private void FinishTruncation(LogPosition cut)
    {
        if (_log.LastId > cut.Id)
        {
            _log.Writer.TruncateReplicatedAfter(cut.Id);
        }

        _marks = _marks.FindAll(m => m.First <= cut);
        _segmentStarts.RemoveWhere(id => id > cut.Id + 1);
        ReplicaFiles.WriteEpochs(_fs, _epochsPath, new EpochHistory(_marks, null));
    }

    /// <summary>The epoch of record <paramref name="id"/>: the last mark before it.</summary>
    private long EpochOf(long id)
    {
        var epoch = 0L;
        foreach (var mark in _marks)
        {
            if (mark.AfterId >= id)
            {
                break;
            }

            epoch = mark.Epoch;
        }

        return epoch;
    }

    /// <summary>The ids of the records of <paramref name="epoch"/> (empty when lo &gt; hi).</summary>
    private (long Lo, long Hi) RangeOf(long epoch)
    {
        var lastId = _log.LastId;
        for (var k = 0; k < _marks.Count; k++)
        {
            if (_marks[k].Epoch == epoch)
            {
                return (_marks[k].AfterId + 1, Math.Min(lastId, k + 1 < _marks.Count ? _marks[k + 1].AfterId : lastId));
            }
        }

        return epoch == 0 ? (0, Math.Min(lastId, _marks.Count > 0 ? _marks[0].AfterId : lastId)) : (0, -1);
    }

    /// <summary>The greatest position in the log at most (or, <paramref name="strict"/>, below) <paramref name="position"/>.</summary>
    private LogPosition Floor(LogPosition position, bool strict)
    {
        var best = LogPosition.Start;
        var lastId = _log.LastId;

        // Records of earlier epochs: every record before the first mark of this epoch or a later one.
        var below = lastId;
        foreach (var mark in _marks)
        {
            if (mark.Epoch >= position.Epoch)
            {
                below = Math.Min(lastId, mark.AfterId);
                break;
            }
        }

        if (below >= 0 && EpochOf(below) < position.Epoch)
        {
            best = new LogPosition(EpochOf(below), below);
        }

        // Records of this epoch up to the position's id.
        var (lo, hi) = RangeOf(position.Epoch);
        hi = Math.Min(hi, strict ? position.Id - 1 : position.Id);
        if (hi >= lo && hi >= 0)
        {
            best = LogPosition.Max(best, new LogPosition(position.Epoch, hi));
        }

        foreach (var mark in _marks)
        {
            if (mark.HasStart && (strict ? mark.First < position : mark.First <= position))
            {
                best = LogPosition.Max(best, mark.First);
            }
        }

        return best;
    }

    /// <summary>The entry right after <paramref name="position"/>, or null at the end.</summary>
    private (LogPosition Position, bool Start)? Next(LogPosition position)
    {
        (LogPosition Position, bool Start)? best = null;
        var lastId = _log.LastId;

        void Offer(LogPosition candidate, bool start)
        {
            if (candidate > position && (best is null || candidate < best.Value.Position))
            {
                best = (candidate, start);
            }
        }

        var (lo, hi) = RangeOf(position.Epoch);
        var id = Math.Max(lo, position.Id + 1);
        if (id <= hi)
        {
            Offer(new LogPosition(position.Epoch, id), start: false);
        }

        foreach (var mark in _marks)
        {
            if (mark.Epoch > position.Epoch && mark.AfterId + 1 <= lastId)
            {
                Offer(new LogPosition(EpochOf(mark.AfterId + 1), mark.AfterId + 1), start: false);
                break;
            }
        }

        foreach (var mark in _marks)
        {
            if (mark.HasStart)
            {
                Offer(mark.First, start: true);
            }
        }

        return best;
    }

    private List<ReadOnlyMemory<byte>> ReadRecords(long fromId, int count)
    {
        var result = new List<ReadOnlyMemory<byte>>(count);
        var id = fromId;
        while (result.Count < count)
        {
            // Local segments answer synchronously; the seam is synchronous (the replica's rules run to completion).
            var batch = _log.ReadAsync(id, count - result.Count, PartitionLog.DefaultMaxReadBytes, includeUndurable: true).AsTask().GetAwaiter().GetResult();
            if (batch.Count == 0)
            {
                throw new InvalidOperationException($"Record {id} could not be read back.");
            }

            for (var k = 0; k < batch.Count; k++)
            {
                result.Add(batch[k].Payload.ToArray());
            }

            id = batch.NextId;
        }

        return result;
    }
}
