namespace OrleansAof.Cli.Commands;

/// <summary>The JSON document of <c>aof append</c>.</summary>
/// <param name="Log">Log name.</param>
/// <param name="Partition">The partition the records went to.</param>
/// <param name="ProducerId">The producer id of the stamps: rerun with it to retry without duplicates.</param>
/// <param name="Records">Records read from the input.</param>
/// <param name="Appended">Records appended by this run.</param>
/// <param name="Duplicates">Records an earlier run had appended already.</param>
/// <param name="FirstId">The lowest id known of these records.</param>
/// <param name="LastId">The highest id known of these records.</param>
/// <param name="Batches">Every batch in input order.</param>
internal sealed record AppendDocument(string Log, string Partition, long ProducerId, long Records, long Appended, long Duplicates, long? FirstId, long? LastId, IReadOnlyList<AppendBatchDocument> Batches)
{
    public static AppendDocument From(string log, string partition, long producerId, IReadOnlyList<AppendBatchDocument> batches) => new(
        log,
        partition,
        producerId,
        batches.Sum(static b => (long)b.Records),
        batches.Where(static b => b.Outcome == AppendOutcome.Appended).Sum(static b => (long)b.Records),
        batches.Where(static b => b.Outcome != AppendOutcome.Appended).Sum(static b => (long)b.Records),
        batches.Min(static b => b.FirstId),
        batches.Max(static b => b.LastId),
        batches);
}
