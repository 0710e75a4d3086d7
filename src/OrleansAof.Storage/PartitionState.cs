namespace OrleansAof.Storage;

/// <summary>The state of a partition.</summary>
public enum PartitionState
{
    /// <summary>Accepting appends and reads.</summary>
    Open,

    /// <summary>Stopped after an I/O error or damage in its active segment; reads of intact data still work.</summary>
    Faulted,

    /// <summary>Closed.</summary>
    Closed,
}
