using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using OrleansAof.Streams;

namespace Orleans.Hosting;

/// <summary>Adds an Orleans persistent stream provider whose queues are partitions of an append log.</summary>
public static class AppendLogStreamsExtensions
{
    /// <summary>
    /// Adds the persistent stream provider <paramref name="name"/>: each stream maps to one partition of
    /// <see cref="AppendLogStreamOptions.Log"/> (a stable hash of the stream id), each produced batch of events is one
    /// record, and a <c>StreamSequenceToken</c> is the record id plus the event's index in it, so
    /// <c>SubscribeAsync(observer, token)</c> rewinds to any record the log still holds, locally or in the archive.
    /// Pulling agents resume from a checkpoint kept in the grain storage <see cref="AppendLogStreamOptions.CheckpointStorageName"/>
    /// (an in-memory one is added when none is registered). Needs <c>AddAppendLog</c> on the silo and a
    /// <c>PubSubStore</c> for explicit subscriptions.
    /// </summary>
    /// <param name="builder">The silo builder.</param>
    /// <param name="name">The provider's name.</param>
    /// <param name="configure">Configures the provider's options.</param>
    /// <param name="configureProvider">
    /// Optional: further configuration of the Orleans persistent stream provider (queue balancer, pulling agent options,
    /// pub-sub), applied after the provider's own (the pulling agents' poll period from <see cref="AppendLogStreamOptions.PollPeriod"/>).
    /// </param>
    /// <example><code>siloBuilder.AddAppendLogStreams("events", o => { o.Log = "events"; o.Partitions = 8; });</code></example>
    public static ISiloBuilder AddAppendLogStreams(this ISiloBuilder builder, string name, Action<AppendLogStreamOptions> configure, Action<ISiloPersistentStreamConfigurator>? configureProvider = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(configure);
        var probe = new AppendLogStreamOptions();
        configure(probe);
        AppendLogStreamOptionsValidator.Validate(name, probe);
        builder.Services.Configure(name, configure);
        var period = probe.PollPeriod < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : probe.PollPeriod;
        builder.AddPersistentStreams(name, AppendLogQueueAdapterFactory.Create, streams =>
        {
            streams.ConfigurePullingAgent(agent => agent.Configure(o => o.GetQueueMsgsTimerPeriod = period));
            configureProvider?.Invoke(streams);
        });
        if (!builder.Services.Any(d => d.IsKeyedService && Equals(d.ServiceKey, AppendLogStreamOptions.CheckpointStorageName) && d.ServiceType == typeof(IGrainStorage)))
        {
            builder.AddMemoryGrainStorage(AppendLogStreamOptions.CheckpointStorageName);
        }

        return builder;
    }

    /// <summary>Adds the producing side of the stream provider <paramref name="name"/> to a client (same options as the silos').</summary>
    public static IClientBuilder AddAppendLogStreams(this IClientBuilder builder, string name, Action<AppendLogStreamOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(configure);
        var probe = new AppendLogStreamOptions();
        configure(probe);
        AppendLogStreamOptionsValidator.Validate(name, probe);
        builder.Services.Configure(name, configure);
        builder.AddPersistentStreams(name, AppendLogQueueAdapterFactory.Create, _ => { });
        return builder;
    }
}
