using System.Buffers.Binary;
using System.Runtime.ExceptionServices;
using OrleansAof.Storage.Format;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage.Internal;

/// <summary>
/// A segment being fetched from the archive, readable while it streams in. The download announces each piece once it
/// is in the file (<see cref="Written"/>); the frames are indexed from those bytes as they pass (record starts, no copy,
/// no second read), and a record is served once its whole frame lies below the downloaded frontier: read from the
/// partial file and checked as every read is (id and CRC-32C of each record). Reads beyond the frontier wait for it
/// (a signal, not polling). When the download ends (<see cref="Complete"/>) readers go to the verified segment, or get
/// the download's error: records already served passed their own checksum, so they are archived bytes, but nothing of
/// a failed download stays in the cache. Own lock, a leaf (opening the partial file is the only call made under it).
/// </summary>
internal sealed class SegmentDownload
{
    private readonly Lock _lock = new();
    private readonly long _baseId;
    private readonly string _path;
    private readonly IFileSystem _fs;
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // The frame index, built by the downloading thread from the announced bytes. A header split between two pieces is
    // kept in _carry (the bytes from _carryStart up to the start of the next piece).
    private readonly byte[] _carry = new byte[SegmentHeader.Size];
    private long[] _starts = new long[4096];
    private int _count;
    private long _lastEnd;
    private int _available;
    private long _frontier;
    private long _next;
    private long _carryStart;
    private int _carryLength;
    private bool _indexStopped;

    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _completed;
    private Exception? _failure;
    private IStorageFile? _file;
    private int _readers;

    /// <summary>A download of the segment of <paramref name="baseId"/> into <paramref name="path"/> (the file being written).</summary>
    public SegmentDownload(long baseId, string path, IFileSystem fs)
    {
        _baseId = baseId;
        _path = path;
        _fs = fs;
    }

    /// <summary>Bytes below this offset are in the file.</summary>
    public long Frontier
    {
        get
        {
            lock (_lock)
            {
                return _frontier;
            }
        }
    }

    /// <summary>Records whose whole frame lies below the frontier (served before the download completes).</summary>
    public int AvailableRecords
    {
        get
        {
            lock (_lock)
            {
                return _available;
            }
        }
    }

    /// <summary>The download wrote <paramref name="bytes"/> at <paramref name="offset"/> (see <see cref="Archive.DownloadedBytes"/>).</summary>
    public void Written(long offset, ReadOnlySpan<byte> bytes)
    {
        TaskCompletionSource? changed = null;
        lock (_lock)
        {
            if (_completed)
            {
                return;
            }

            if (offset != _frontier)
            {
                // Not the next piece (a download that started over): index no further; readers wait for the end.
                _indexStopped = true;
                return;
            }

            Index(offset, bytes);
            _frontier = offset + bytes.Length;
            var before = _available;
            while (_available < _count && End(_available) <= _frontier)
            {
                _available++;
            }

            if (_available != before)
            {
                changed = _changed;
                _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        changed?.TrySetResult();
    }

    /// <summary>The download ended: verified and in the cache (<paramref name="failure"/> null), or failed.</summary>
    public void Complete(Exception? failure)
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            _completed = true;
            _failure = failure;
            changed = _changed;
            if (_readers == 0)
            {
                CloseFileLocked();
            }
        }

        changed.TrySetResult();
        _done.TrySetResult();
    }

    /// <summary>
    /// Reads records <paramref name="fromId"/>.. at most <paramref name="toId"/> from the partial file once the first is
    /// below the frontier, as many as are there; returns the next id, or <see langword="null"/> when the download
    /// completed first (the caller reads the verified segment). Throws the download's error when it failed.
    /// </summary>
    public async ValueTask<long?> ReadAsync(long fromId, long toId, RecordBatchBuilder builder, long maxBytes, CancellationToken cancellationToken)
    {
        var index = fromId - _baseId;
        IStorageFile? file = null;
        PartialOffsets offsets = default;
        var available = 0;
        while (file is null)
        {
            Task wait;
            lock (_lock)
            {
                if (_completed)
                {
                    return Outcome();
                }

                wait = _changed.Task;
                if (index < _available)
                {
                    try
                    {
                        file = _file ??= _fs.OpenFile(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                        _readers++;
                        offsets = new PartialOffsets(_baseId, _starts, _count, _lastEnd);
                        available = _available;
                        break;
                    }
                    catch (IOException)
                    {
                        // Gone: the download failed and deleted it, or finished and moved it; its end says which.
                        wait = _done.Task;
                    }
                }
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        var mark = builder.Count;
        try
        {
            var last = Math.Min(toId, _baseId + available - 1);
            return SegmentReads.ReadFrames(file, offsets, fromId, last, builder, maxBytes, _path);
        }
        catch (Exception e) when (e is SegmentCorruptedException or IOException)
        {
            // Bytes below the frontier that fail their check: the whole object's check will fail too. Wait for its verdict.
            builder.TruncateTo(mark);
        }
        finally
        {
            Release();
        }

        await _done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            return Outcome();
        }
    }

    /// <summary>After the download completed: null to read the verified segment, or its error.</summary>
    private long? Outcome()
    {
        if (_failure is { } failure)
        {
            ExceptionDispatchInfo.Capture(failure).Throw();
        }

        return null;
    }

    private void Release()
    {
        lock (_lock)
        {
            _readers--;
            if (_readers == 0 && _completed)
            {
                CloseFileLocked();
            }
        }
    }

    private void CloseFileLocked()
    {
        _file?.Dispose();
        _file = null;
    }

    /// <summary>The end of record <paramref name="i"/>'s frames: where the next record starts, or its own end when it is the last parsed.</summary>
    private long End(int i) => i + 1 < _count ? _starts[i + 1] : _lastEnd;

    /// <summary>Parses the frame headers in <paramref name="piece"/> (at file offset <paramref name="pieceStart"/>), recording where each record starts.</summary>
    private void Index(long pieceStart, ReadOnlySpan<byte> piece)
    {
        var pieceEnd = pieceStart + piece.Length;
        Span<byte> joined = stackalloc byte[SegmentHeader.Size];
        while (!_indexStopped && _next < pieceEnd)
        {
            var need = _next == 0 ? SegmentHeader.Size : RecordHeader.Size;
            if (pieceEnd - _next < need)
            {
                KeepCarry(pieceStart, piece);
                return;
            }

            scoped ReadOnlySpan<byte> header;
            if (_next >= pieceStart)
            {
                header = piece.Slice((int)(_next - pieceStart), need);
            }
            else
            {
                // The header began in the previous piece.
                var carried = (int)(pieceStart - _next);
                _carry.AsSpan((int)(_next - _carryStart), carried).CopyTo(joined);
                piece[..(need - carried)].CopyTo(joined[carried..]);
                header = joined[..need];
            }

            Step(header);
        }
    }

    /// <summary>Keeps the bytes from <see cref="_next"/> to the piece's end (fewer than a header) for the next piece.</summary>
    private void KeepCarry(long pieceStart, ReadOnlySpan<byte> piece)
    {
        Span<byte> kept = stackalloc byte[SegmentHeader.Size];
        var length = 0;
        if (_next < pieceStart)
        {
            var carried = (int)(pieceStart - _next);
            _carry.AsSpan((int)(_next - _carryStart), carried).CopyTo(kept);
            length = carried;
            piece.CopyTo(kept[length..]);
            length += piece.Length;
        }
        else
        {
            var tail = piece[(int)(_next - pieceStart)..];
            tail.CopyTo(kept);
            length = tail.Length;
        }

        kept[..length].CopyTo(_carry);
        _carryStart = _next;
        _carryLength = length;
    }

    /// <summary>One frame header at <see cref="_next"/>: the segment header, a frame readers step over, or a record.</summary>
    private void Step(ReadOnlySpan<byte> header)
    {
        if (_next == 0)
        {
            if (SegmentHeader.TryRead(header, out var segment) is not null || segment.BaseId != _baseId)
            {
                _indexStopped = true; // not the segment its name says: the checks at the end report it
                return;
            }

            _next = SegmentHeader.Size;
            return;
        }

        var skip = SegmentFormat.NonRecordFrameSize(BinaryPrimitives.ReadUInt32LittleEndian(header));
        if (skip > 0)
        {
            _next += skip;
            return;
        }

        // The seal structures (metadata first) end the records; anything else unexpected stops the index too, and the
        // records after it are served once the download is verified.
        if (!RecordHeader.TryRead(header, out var record) || record.Id != _baseId + _count || record.PayloadLength < 0 || record.PayloadLength > int.MaxValue / 2)
        {
            _indexStopped = true;
            return;
        }

        if (_count == _starts.Length)
        {
            // Readers hold the old array with its count; entries are never changed once written.
            Array.Resize(ref _starts, _starts.Length * 2);
        }

        _starts[_count++] = _next;
        _lastEnd = _next + SegmentFormat.RecordFrameSize(record.PayloadLength);
        _next = _lastEnd;
    }

    /// <summary>Where records are in the partial file: a snapshot of the index (the starts array and count when taken).</summary>
    private readonly struct PartialOffsets(long baseId, long[] starts, int count, long lastEnd) : SegmentReads.IOffsets
    {
        public long BaseId => baseId;

        public long At(int index) => starts[index];

        public long End(int index) => index + 1 < count ? starts[index + 1] : lastEnd;
    }
}
