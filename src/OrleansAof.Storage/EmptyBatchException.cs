namespace OrleansAof.Storage;

/// <summary>An append batch holds no record. Nothing was written.</summary>
public sealed class EmptyBatchException()
    : AppendLogException("An append batch must hold at least one record.");
