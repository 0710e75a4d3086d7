namespace OrleansAof.Server;

/// <summary>Why a subscriber moved its checkpoint past records it did not handle.</summary>
public enum SkippedRecordsReason
{
    /// <summary>Retention removed the records (<see cref="RecordTrimmedException"/>).</summary>
    Trimmed,

    /// <summary>The records are lost: no local file and no archived object holds them (<see cref="RecordsMissingException"/>).</summary>
    Missing,
}
