namespace OrleansAof.Cli.Commands;

/// <summary>One append batch.</summary>
/// <param name="Sequence">The batch number: the sequence of its stamp.</param>
/// <param name="Records">Records in the batch.</param>
/// <param name="FirstId">Id of its first record (null when not known).</param>
/// <param name="LastId">Id of its last record (null when not known).</param>
/// <param name="Durable">Whether the records were durable when acknowledged (null when not known).</param>
/// <param name="Outcome">Appended now, or by an earlier run.</param>
internal sealed record AppendBatchDocument(long Sequence, int Records, long? FirstId, long? LastId, bool? Durable, AppendOutcome Outcome);
