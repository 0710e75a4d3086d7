namespace OrleansAof.Storage.Format;

/// <summary>Flags of a record header.</summary>
[Flags]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "Named after the on-disk header field it describes.")]
public enum RecordFlags : ushort
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>
    /// The record was acknowledged as soon as it was written to the operating system (every flush policy but
    /// <c>Sync</c>). Recovery keeps such a record when it is intact even if no checkpoint covers it; a record
    /// without the flag was acknowledged only once a checkpoint covered it, so an uncovered one is discarded.
    /// </summary>
    AcknowledgedOnWrite = 1,

    /// <summary>More records of the same append batch follow. Recovery never keeps part of a batch that no checkpoint covers.</summary>
    BatchContinues = 2,
}
