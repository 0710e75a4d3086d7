namespace OrleansAof.Storage.Format;

/// <summary>Why a forward scan stopped.</summary>
public enum ScanStop
{
    /// <summary>Zero bytes or the end of the file followed the last valid frame: a clean end.</summary>
    CleanEnd,

    /// <summary>The seal structures (metadata) follow the data.</summary>
    SealStructures,

    /// <summary>A frame is incomplete or fails its checks.</summary>
    InvalidFrame,
}
