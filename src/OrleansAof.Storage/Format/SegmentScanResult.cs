namespace OrleansAof.Storage.Format;

/// <summary>Everything a scan of one segment file found. Produced by <see cref="SegmentScanner"/>.</summary>
public sealed class SegmentScanResult
{
    internal SegmentScanResult(string path, long length)
    {
        Path = path;
        FileLength = length;
    }

    /// <summary>The file scanned.</summary>
    public string Path { get; }

    /// <summary>Its length.</summary>
    public long FileLength { get; }

    /// <summary>The header, when valid.</summary>
    public SegmentHeader? Header { get; internal set; }

    /// <summary>Why the header is invalid, if it is.</summary>
    public string? HeaderError { get; internal set; }

    /// <summary>Whether every byte of the file is zero (a preallocated file whose header was never written).</summary>
    public bool AllZero { get; internal set; }

    /// <summary>The footer, when valid.</summary>
    public SegmentFooter? Footer { get; internal set; }

    /// <summary>Why there is no valid footer.</summary>
    public string? FooterError { get; internal set; }

    /// <summary>The metadata referenced by a valid footer, when valid.</summary>
    public SegmentMetadata? Metadata { get; internal set; }

    /// <summary>Whether the index referenced by a valid footer passed its checksum (null when not checked).</summary>
    public bool? IndexValid { get; internal set; }

    /// <summary>Valid records in order.</summary>
    public List<ScannedRecord> Records { get; } = [];

    /// <summary>Valid checkpoints in order.</summary>
    public List<ScannedCheckpoint> Checkpoints { get; } = [];

    /// <summary>Valid producer stamps in order, with their file offsets.</summary>
    public List<(ProducerStampFrame Stamp, long Offset)> Stamps { get; } = [];

    /// <summary>The producer table referenced by a valid footer.</summary>
    public List<ProducerEntry>? ProducerTable { get; internal set; }

    /// <summary>Rolling checksum over <see cref="Records"/>.</summary>
    public uint RollingChecksum { get; internal set; }

    /// <summary>Offset just past the last valid frame.</summary>
    public long ValidEnd { get; internal set; }

    /// <summary>Why the scan stopped.</summary>
    public ScanStop Stop { get; internal set; }

    /// <summary>What was wrong with the frame at <see cref="ValidEnd"/>, when <see cref="Stop"/> is <see cref="ScanStop.InvalidFrame"/>.</summary>
    public string? StopDetail { get; internal set; }

    /// <summary>
    /// A valid checkpoint found after an invalid frame. Its presence proves the invalid frame lies in data that was once
    /// durable: damage, not a torn tail.
    /// </summary>
    public long? CheckpointAfterDamage { get; internal set; }

    /// <summary>Offset just past the last non-zero byte after <see cref="ValidEnd"/> (equal to it when only zeros follow).</summary>
    public long NonZeroEnd { get; internal set; }

    /// <summary>Whether a valid footer marks the file as sealed.</summary>
    public bool IsSealed => Footer is not null && Metadata is not null;

    /// <summary>Whether the data region holds damage that recovery must not silently drop.</summary>
    public bool HasDamage => CheckpointAfterDamage is not null;
}
