namespace OrleansAof.Storage;

/// <summary>A configured bound an append ran into.</summary>
/// <param name="OptionName">The option of <see cref="PartitionLogOptions"/> that sets the bound (for example <c>MaxUnflushedBytes</c>).</param>
/// <param name="Limit">The bound.</param>
/// <param name="Unit">What <see cref="Limit"/> counts: <c>bytes</c> or <c>segments</c>.</param>
public readonly record struct BackpressureBound(string OptionName, long Limit, string Unit);
