namespace OrleansAof.Storage.Format;

/// <summary>One record found by a scan.</summary>
/// <param name="Id">Record id.</param>
/// <param name="Offset">File offset of its header.</param>
/// <param name="PayloadLength">Payload length.</param>
/// <param name="TimestampMicros">Timestamp.</param>
/// <param name="Flags">Header flags.</param>
/// <param name="Checksum">Record checksum.</param>
public readonly record struct ScannedRecord(long Id, long Offset, int PayloadLength, long TimestampMicros, RecordFlags Flags, uint Checksum)
{
    /// <summary>Offset just past the record's trailer.</summary>
    public long End => Offset + SegmentFormat.RecordFrameSize(PayloadLength);
}
