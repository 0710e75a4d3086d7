namespace OrleansAof.Storage.Format;

/// <summary>The rolling checksum of a segment: CRC-32C chained over each record's checksum, in id order.</summary>
public static class RollingChecksum
{
    /// <summary>The rolling checksum of a segment with no records.</summary>
    public const uint Empty = 0;

    /// <summary>Extends <paramref name="rolling"/> with the checksum of the next record.</summary>
    public static uint Next(uint rolling, uint recordChecksum) => Crc32C.AppendUInt32(rolling, recordChecksum);
}
