using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OrleansAof.Client;

namespace Orleans.Hosting;

/// <summary>Adds the append log client API.</summary>
public static class AppendLogClientExtensions
{
    /// <summary>
    /// Registers <see cref="IAppendLogClient"/> on an Orleans client. Idempotent; a second call only applies its
    /// configuration. Unless the client registered its own <see cref="IClientConnectionRetryFilter"/>, the first connection
    /// is retried for <see cref="AppendLogClientOptions.ConnectTimeout"/> and then fails the client's start with
    /// <see cref="ClusterConnectionException"/>, naming the cluster and service ids (Orleans alone retries forever, silently,
    /// when the ids differ from the silos').
    /// </summary>
    /// <example><code>clientBuilder.AddAppendLogClient(o => o.PartitionCounts["orders"] = 8);</code></example>
    public static IClientBuilder AddAppendLogClient(this IClientBuilder builder, Action<AppendLogClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddAppendLogClient(configure);

        // Orleans registers its own filter (which retries forever); one the application registered is left alone.
        var existing = builder.Services.LastOrDefault(static d => d.ServiceType == typeof(IClientConnectionRetryFilter));
        var ownedByOrleans = existing?.ImplementationType?.Assembly.GetName().Name?.StartsWith("Orleans.", StringComparison.Ordinal) == true;
        if (existing is null || ownedByOrleans)
        {
            builder.Services.Replace(ServiceDescriptor.Singleton<IClientConnectionRetryFilter, ConnectRetryFilter>());
        }

        return builder;
    }

    /// <summary>Registers <see cref="IAppendLogClient"/> in a container that has an <see cref="IGrainFactory"/> (a client or a silo, for grains that append).</summary>
    public static IServiceCollection AddAppendLogClient(this IServiceCollection services, Action<AppendLogClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.AddOptions<AppendLogClientOptions>().Validate(
            static o => o.DefaultPartitionCount >= 1 && o.TailPollWait > TimeSpan.Zero && o.TailBatchRecords >= 1 && o.TailRetryDelay >= TimeSpan.Zero && o.PartitionCounts.Values.All(static n => n >= 1) && o.ConnectTimeout > TimeSpan.Zero,
            "AppendLogClientOptions: DefaultPartitionCount and every PartitionCounts value must be at least 1, TailPollWait and ConnectTimeout positive, TailBatchRecords at least 1 and TailRetryDelay not negative.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IAppendLogClient, AppendLogClient>();
        return services;
    }
}
