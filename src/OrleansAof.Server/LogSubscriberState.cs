namespace OrleansAof.Server;

/// <summary>The durable state of a <see cref="LogSubscriberGrain{TModel}"/>: a checkpoint per partition and the read model, written together.</summary>
/// <typeparam name="TModel">The read model the subscriber folds records into.</typeparam>
[GenerateSerializer]
[Alias("aof.LogSubscriberState`1")]
public sealed class LogSubscriberState<TModel>
    where TModel : class, new()
{
    /// <summary>The next id to process, by partition key <c>{log}/{partition}</c>.</summary>
    [Id(0)]
    public Dictionary<string, long> Checkpoints { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The read model.</summary>
    [Id(1)]
    public TModel Model { get; set; } = new();

    /// <summary>Side effects emitted by handled records and not yet delivered, oldest first (see <see cref="LogSubscriberGrain{TModel}.Emit"/>).</summary>
    [Id(2)]
    public List<LogEffect> Outbox { get; set; } = [];
}
