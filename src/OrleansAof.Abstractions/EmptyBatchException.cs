namespace OrleansAof;

/// <summary>An append batch holds no record. Nothing was written.</summary>
[GenerateSerializer]
[Alias("aof.EmptyBatchException")]
public sealed class EmptyBatchException(string message) : AppendLogException(message);
