namespace OrleansAof.Storage;

/// <summary>Stored data failed its checksum. It is never returned as data; the segment is quarantined for an operator.</summary>
public sealed class SegmentCorruptedException(string path, long baseId, string detail)
    : AppendLogException($"Segment {baseId} ('{path}') is damaged: {detail}")
{
    /// <summary>The damaged file.</summary>
    public string Path { get; } = path;

    /// <summary>Base id of the damaged segment.</summary>
    public long BaseId { get; } = baseId;

    /// <summary>What is wrong.</summary>
    public string Detail { get; } = detail;
}
