using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Storage;
using OrleansAof.Server;
using OrleansAof.Server.Ownership;

namespace Orleans.Hosting;

/// <summary>Adds the append log to a silo.</summary>
public static class AppendLogSiloExtensions
{
    /// <summary>The grain storage name Orleans streams keep subscriptions in.</summary>
    public const string PubSubStoreName = "PubSubStore";

    /// <summary>
    /// Adds partition grains, owner placement, tail notifications (a memory stream provider by default) and the
    /// subscriber services to the silo. Unless <see cref="AppendLogOptions.MemoryPubSubStore"/> is false it also adds an
    /// in-memory <c>PubSubStore</c> when the silo has none (a durable silo registers its own). Idempotent: a second call only applies its configuration. Invalid options stop
    /// the silo at start with the option's name in the message.
    /// </summary>
    /// <example><code>siloBuilder.AddAppendLog(o => o.DataRoot = "/var/lib/aof");</code></example>
    public static ISiloBuilder AddAppendLog(this ISiloBuilder builder, Action<AppendLogOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddAppendLog(configure);

        // The stream provider has to be registered while the silo is built, so the delegate is applied once here too.
        var probe = new AppendLogOptions();
        configure(probe);
        if (probe.AddMemoryStreams && !string.IsNullOrEmpty(probe.TailStreamProvider)
            && !builder.Services.Any(d => d.IsKeyedService && Equals(d.ServiceKey, probe.TailStreamProvider) && d.ServiceType == typeof(Orleans.Streams.IStreamProvider)))
        {
            var period = probe.MemoryStreamPollPeriod < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : probe.MemoryStreamPollPeriod;
            var queues = Math.Max(1, probe.MemoryStreamQueues);
            builder.AddMemoryStreams(probe.TailStreamProvider, streams =>
            {
                streams.ConfigurePartitioning(queues);
                streams.ConfigurePullingAgent(agent => agent.Configure(o =>
                {
                    o.GetQueueMsgsTimerPeriod = period;
                    o.StreamInactivityPeriod = probe.StreamGrainCollectionAge;
                }));
            });
        }

        // A durable silo registers its own (and sets MemoryPubSubStore = false, so a missing one stops it at start).
        if (probe.MemoryPubSubStore && !builder.Services.Any(d => d.IsKeyedService && Equals(d.ServiceKey, PubSubStoreName) && d.ServiceType == typeof(IGrainStorage)))
        {
            builder.AddMemoryGrainStorage(PubSubStoreName);
        }

        if (!builder.Services.Any(d => d.IsKeyedService && Equals(d.ServiceKey, AppendLogOptions.OwnershipStorageName) && d.ServiceType == typeof(IGrainStorage)))
        {
            // Replaced by a durable store when the host registers one under the same name (the silo host does with Redis or
            // ADO.NET); a silo with durable membership and only this one refuses to start (OwnershipStoreValidator).
            builder.AddMemoryGrainStorage(AppendLogOptions.OwnershipStorageName);
        }

        return builder;
    }

    /// <summary>Configures <see cref="LogSubscriberOptions"/> for the subscriber grains of this silo.</summary>
    public static ISiloBuilder ConfigureLogSubscribers(this ISiloBuilder builder, Action<LogSubscriberOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure(configure);
        return builder;
    }

    /// <summary>
    /// Registers the append log's silo services without a stream provider (the <see cref="ISiloBuilder"/> overload
    /// also adds the memory stream provider). Idempotent.
    /// </summary>
    public static IServiceCollection AddAppendLog(this IServiceCollection services, Action<AppendLogOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.Configure(configure);
        if (services.Any(d => d.ServiceType == typeof(AppendLogMarker)))
        {
            return services;
        }

        services.AddSingleton<AppendLogMarker>();
        services.AddOptions<LogSubscriberOptions>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IConfigurationValidator, AppendLogOptionsValidator>();
        services.AddSingleton<IConfigurationValidator, LogSubscriberOptionsValidator>();
        services.AddSingleton<IConfigurationValidator, PubSubStoreValidator>();
        services.AddSingleton<IConfigurationValidator, OwnershipStoreValidator>();
        services.AddSingleton<PartitionOwnership>();
        services.AddSingleton<OwnershipRefresher>();
        services.AddSingleton<PartitionFence>();
        services.AddSingleton<OpenPartitions>();
        services.AddSingleton<OrleansAof.Server.Replicated.ReplicaNodes>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, OrleansAof.Server.Replicated.ReplicaFailoverPoker>();
        services.AddSingleton(static sp => new AppendLogHealth(sp.GetRequiredService<OpenPartitions>(), sp.GetRequiredService<IOptions<AppendLogOptions>>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<OrleansAof.Server.Archival.ArchiveReaders>();
        services.AddSingleton<ServerInstruments>();
        services.TryAddSingleton<ITailNotificationInterceptor, PassThroughTailInterceptor>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, AppendLogLifecycle>();
        services.AddPlacementDirector<PartitionOwnerPlacement, PartitionPlacementDirector>();
        services.AddPlacementDirector<SiloNamePlacement, SiloNamePlacementDirector>();
        services.AddOptions<GrainCollectionOptions>().Configure<IOptions<AppendLogOptions>>((collection, log) =>
        {
            collection.ClassSpecificCollectionAge[typeof(PartitionGrain).FullName!] = log.Value.IdleDeactivationAge;
            collection.ClassSpecificCollectionAge[PubSubRendezvousGrainType] = log.Value.StreamGrainCollectionAge;
        });
        return services;
    }

    /// <summary>Orleans' pub-sub grain of a stream (internal to Orleans; its collection age is keyed by the class's full name).</summary>
    internal const string PubSubRendezvousGrainType = "Orleans.Streams.PubSubRendezvousGrain";

    private sealed class AppendLogMarker;
}
