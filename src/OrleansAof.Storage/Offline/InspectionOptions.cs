namespace OrleansAof.Storage.Offline;

/// <summary>Options of <see cref="PartitionInspector"/> and <see cref="PartitionRepair"/>.</summary>
public sealed class InspectionOptions
{
    /// <summary>
    /// Check every checksum, also of sealed segments: a full forward scan, the rolling checksum against the metadata, the
    /// index entries against the scanned offsets and a backward scan through the trailers. Default false: sealed segments
    /// are read from their footers, as an open does.
    /// </summary>
    public bool Verify { get; set; }

    /// <summary>
    /// The largest plausible payload; a record header claiming more is treated as invalid, as recovery does with
    /// <see cref="PartitionLogOptions.MaxRecordBytes"/>. Default 1 MiB (the engine's default); set it to the partition's
    /// value when that was raised.
    /// </summary>
    public int MaxRecordBytes { get; set; } = 1024 * 1024;
}
