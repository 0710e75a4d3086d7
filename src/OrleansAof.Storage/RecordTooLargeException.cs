namespace OrleansAof.Storage;

/// <summary>A record is larger than <see cref="PartitionLogOptions.MaxRecordBytes"/>. Nothing was written; split the record or raise the limit.</summary>
public sealed class RecordTooLargeException(int size, int maximum)
    : AppendLogException($"The record has {size} bytes; the maximum is {maximum} ({nameof(PartitionLogOptions)}.{nameof(PartitionLogOptions.MaxRecordBytes)}).")
{
    /// <summary>The option that sets <see cref="Maximum"/>: <c>MaxRecordBytes</c>.</summary>
    public string OptionName { get; } = nameof(PartitionLogOptions.MaxRecordBytes);

    /// <summary>The size of the rejected record.</summary>
    public int Size { get; } = size;

    /// <summary>The configured maximum.</summary>
    public int Maximum { get; } = maximum;
}
