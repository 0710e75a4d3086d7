using OrleansAof.Cli.Cluster;
using Engine = OrleansAof.Storage;

namespace OrleansAof.Cli.Commands;

/// <summary>A partition in <c>aof status</c>.</summary>
/// <param name="Log">Log name.</param>
/// <param name="Partition">Partition name.</param>
/// <param name="Exists">Whether an active silo holds it (false: it was never appended to, or its silo is down).</param>
/// <param name="HeldBy">The active silos that hold it on disk, and whether it is open there.</param>
/// <param name="Silo">The silo serving it (its owner).</param>
/// <param name="State">Open, Faulted or Closed.</param>
/// <param name="FaultReason">Why it is faulted.</param>
/// <param name="FirstId">First id still held.</param>
/// <param name="LastId">Last id written (-1 when empty).</param>
/// <param name="DurableId">Last durable id (-1 when none).</param>
/// <param name="NextId">The id the next append gets.</param>
/// <param name="WriterEpoch">The writer epoch of the serving activation.</param>
/// <param name="FlushPolicy">The flush policy in its text form (Sync, Batched:N, Periodic:T, BatchedOrPeriodic:N:T, Async).</param>
/// <param name="Segments">Every segment with its status and size.</param>
/// <param name="Flush">Flush statistics since the partition was opened.</param>
/// <param name="Error">Why its state could not be read.</param>
/// <param name="Archive">Its archive backlog and archival error (null when the silo does not report them).</param>
internal sealed record PartitionStatusDocument(
    string Log,
    string Partition,
    bool Exists,
    IReadOnlyList<PartitionHolder> HeldBy,
    string? Silo,
    string? State,
    string? FaultReason,
    long? FirstId,
    long? LastId,
    long? DurableId,
    long? NextId,
    long? WriterEpoch,
    string? FlushPolicy,
    IReadOnlyList<SegmentSummary>? Segments,
    FlushDocument? Flush,
    RowError? Error,
    ArchiveDocument? Archive = null)
{
    public static PartitionStatusDocument Missing(string log, string partition) =>
        new(log, partition, false, [], null, null, null, null, null, null, null, null, null, null, null, null);

    public static PartitionStatusDocument From(PartitionStatus info, IReadOnlyList<PartitionHolder> holders, FlushStatistics flush) => new(
        info.Log,
        info.Partition,
        true,
        holders,
        info.Silo,
        info.State,
        info.FaultReason,
        info.FirstId,
        info.LastId,
        info.DurableId,
        info.NextId,
        info.WriterEpoch,
        FormatPolicy(info.FlushPolicy),
        info.Segments,
        FlushDocument.From(flush),
        null,
        ArchiveDocument.From(info.Archive));

    /// <summary>The engine's text form of a flush policy.</summary>
    private static string FormatPolicy(LogFlushPolicy policy) => (policy.Kind switch
    {
        LogFlushPolicyKind.Batched => Engine.FlushPolicy.Batched(policy.Records),
        LogFlushPolicyKind.Periodic => Engine.FlushPolicy.Periodic(policy.Interval),
        LogFlushPolicyKind.BatchedOrPeriodic => Engine.FlushPolicy.BatchedOrPeriodic(policy.Records, policy.Interval),
        LogFlushPolicyKind.Async => Engine.FlushPolicy.Async,
        _ => Engine.FlushPolicy.Sync,
    }).ToString();
}
