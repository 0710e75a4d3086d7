namespace OrleansAof.Storage;

/// <summary>Why an append was refused by backpressure.</summary>
public enum BackpressureReason
{
    /// <summary>More than <see cref="PartitionLogOptions.MaxUnflushedBytes"/> are written but not yet flushed.</summary>
    UnflushedBytes,

    /// <summary>More sealed segments (or bytes) wait for archival than the configured limit.</summary>
    ArchiveBacklog,

    /// <summary>The partition's id reservation is used up and raising it in the <see cref="IIdBoundStore"/> failed or is under way.</summary>
    IdReservation,
}
