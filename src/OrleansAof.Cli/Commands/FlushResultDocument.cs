namespace OrleansAof.Cli.Commands;

/// <summary>The JSON document of <c>aof flush</c>.</summary>
/// <param name="Log">Log name.</param>
/// <param name="Partition">Partition name.</param>
/// <param name="DurableId">The partition's durable id after the flush (-1 when empty).</param>
internal sealed record FlushResultDocument(string Log, string Partition, long DurableId);
