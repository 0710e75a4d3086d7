using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OrleansAof.Client;

namespace Orleans.Hosting;

/// <summary>Adds the append log client API.</summary>
public static class AppendLogClientExtensions
{
    /// <summary>Registers <see cref="IAppendLogClient"/> on an Orleans client. Idempotent; a second call only applies its configuration.</summary>
    /// <example><code>clientBuilder.AddAppendLogClient(o => o.PartitionCounts["orders"] = 8);</code></example>
    public static IClientBuilder AddAppendLogClient(this IClientBuilder builder, Action<AppendLogClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddAppendLogClient(configure);
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
            static o => o.DefaultPartitionCount >= 1 && o.TailPollWait > TimeSpan.Zero && o.TailBatchRecords >= 1 && o.TailRetryDelay >= TimeSpan.Zero && o.PartitionCounts.Values.All(static n => n >= 1),
            "AppendLogClientOptions: DefaultPartitionCount and every PartitionCounts value must be at least 1, TailPollWait positive, TailBatchRecords at least 1 and TailRetryDelay not negative.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IAppendLogClient, AppendLogClient>();
        return services;
    }
}
