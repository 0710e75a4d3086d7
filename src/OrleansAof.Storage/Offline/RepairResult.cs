namespace OrleansAof.Storage.Offline;

/// <summary>The outcome of <see cref="PartitionRepair.Run"/>: what was (or would be) changed.</summary>
/// <param name="Kind">The repair.</param>
/// <param name="PartitionPath">The partition directory.</param>
/// <param name="Applied">Whether the steps were carried out (false for a dry run or when there was nothing to do).</param>
/// <param name="Steps">The changes, one per segment file; empty when there is nothing to do.</param>
/// <param name="Summary">One sentence for people.</param>
public sealed record RepairResult(RepairKind Kind, string PartitionPath, bool Applied, IReadOnlyList<RepairStep> Steps, string Summary)
{
    /// <summary>Records no longer served after the repair (at least).</summary>
    public long RecordsDropped => Steps.Sum(static s => s.RecordsDropped);
}
