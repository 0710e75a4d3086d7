namespace OrleansAof.Storage;

/// <summary>An append batch is too large to fit in one segment. Nothing was written; split the batch or raise <see cref="PartitionLogOptions.MaxSegmentBytes"/>.</summary>
public sealed class BatchTooLargeException(int records, long bytes, long maximum)
    : AppendLogException($"The batch of {records} records needs {bytes} bytes on disk; one segment holds at most {maximum} ({nameof(PartitionLogOptions)}.{nameof(PartitionLogOptions.MaxSegmentBytes)}).")
{
    /// <summary>The most bytes of records one segment holds.</summary>
    public long Maximum { get; } = maximum;

    /// <summary>The option that sets <see cref="Maximum"/>: <c>MaxSegmentBytes</c>.</summary>
    public string OptionName { get; } = nameof(PartitionLogOptions.MaxSegmentBytes);

    /// <summary>Records in the rejected batch.</summary>
    public int Records { get; } = records;

    /// <summary>Bytes the batch needs on disk, framing included.</summary>
    public long Bytes { get; } = bytes;
}
