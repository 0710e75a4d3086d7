using OrleansAof.Storage.Format;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage.Internal;

/// <summary>The segment being written. Mutated only under the partition's write lock; read fields are published in order.</summary>
internal sealed class ActiveSegment(IStorageFile file, SegmentHeader header, DateTimeOffset createdAt)
{
    public IStorageFile File { get; } = file;

    public SegmentHeader Header { get; } = header;

    public long BaseId => Header.BaseId;

    public DateTimeOffset CreatedAt { get; } = createdAt;

    public OffsetIndex Offsets { get; } = new();

    /// <summary>Where the next frame goes.</summary>
    public long WriteOffset { get; set; } = SegmentHeader.Size;

    /// <summary>Offset just past the last record (published before the partition's last id).</summary>
    public long LastRecordEnd;

    public long LastRecordStart { get; set; } = -1;

    public int Count => Offsets.Count;

    public long LastId => BaseId + Count - 1;

    public uint Rolling { get; set; }

    public long FirstTimestampMicros { get; set; }

    public long LastTimestampMicros { get; set; }

    /// <summary>Offset up to which write-back was started early (non-Sync policies).</summary>
    public long WriteBackStarted { get; set; } = SegmentHeader.Size;

    /// <summary>Whether prepared for the next segment already.</summary>
    public bool PreallocationStarted { get; set; }

    public long RecordEnd(int index) => index + 1 < Offsets.Count ? Offsets[index + 1] : Volatile.Read(ref LastRecordEnd);
}
