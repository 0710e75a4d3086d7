namespace OrleansAof;

/// <summary>Stored data failed its checksum. It is never returned as data; the segment is quarantined for an operator.</summary>
[GenerateSerializer]
[Alias("aof.SegmentCorruptedException")]
public sealed class SegmentCorruptedException : AppendLogException
{
    /// <summary>Creates the exception.</summary>
    public SegmentCorruptedException(long baseId, string detail, string message)
        : base(message)
    {
        BaseId = baseId;
        Detail = detail;
    }

    /// <summary>Base id of the damaged segment.</summary>
    [Id(0)]
    public long BaseId { get; private set; }

    /// <summary>What is wrong.</summary>
    [Id(1)]
    public string Detail { get; private set; }
}
