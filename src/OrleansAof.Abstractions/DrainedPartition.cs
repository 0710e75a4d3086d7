namespace OrleansAof;

/// <summary>One partition moved by a drain.</summary>
/// <param name="Partition">Its key.</param>
/// <param name="Target">The silo that serves it now.</param>
/// <param name="LastId">Its last id at the handover; the new owner continued after it.</param>
/// <param name="Error">Why it was not moved, if it was not (it stays on the drained silo, appending again).</param>
[GenerateSerializer]
[Immutable]
[Alias("aof.DrainedPartition")]
public sealed record DrainedPartition([property: Id(0)] string Partition, [property: Id(1)] string? Target, [property: Id(2)] long LastId, [property: Id(3)] string? Error);
