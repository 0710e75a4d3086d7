namespace OrleansAof.Storage;

/// <summary>A read names an invalid range: a negative id, a reversed range or a non-positive limit. Nothing was read.</summary>
public sealed class InvalidRangeException(string message) : AppendLogException(message);
