namespace OrleansAof;

/// <summary>
/// A call names an invalid id or range: a read from a negative id, a reversed range or a non-positive limit, or an append
/// whose expected last id is below -1 (-1 means "the partition is empty"). Nothing was read or written.
/// </summary>
[GenerateSerializer]
[Alias("aof.InvalidRangeException")]
public sealed class InvalidRangeException(string message) : AppendLogException(message);
