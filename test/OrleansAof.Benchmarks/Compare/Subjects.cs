namespace OrleansAof.Benchmarks.Compare;

/// <summary>
/// Something measured in slices: it is opened once, then <see cref="RunSliceAsync"/> is called once per round,
/// interleaved with the other subjects of the same comparison, and it is disposed at the end.
/// </summary>
internal interface ISubject : IAsyncDisposable
{
    /// <summary>A short name for tables.</summary>
    string Name { get; }

    /// <summary>Runs one timed slice.</summary>
    Task<Sample> RunSliceAsync();
}
