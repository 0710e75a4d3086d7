using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansAof.Archive.S3;
using OrleansAof.Storage.Archive;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Archives the append log's sealed segments to Amazon S3 or an S3-compatible store.</summary>
public static class S3ArchiveServiceCollectionExtensions
{
    /// <summary>
    /// Makes <see cref="S3SegmentArchive"/> the host's archive: objects <c>{Prefix}/{log}/{partition}/{segment file}</c>,
    /// verified after upload and on every read; transient faults (5xx, throttling, timeouts, refused connections) are
    /// retried with backoff. Invalid options stop the host at start with the option's name in the message.
    /// </summary>
    /// <example><code>
    /// siloBuilder.AddAppendLog(o => o.DataRoot = "/var/lib/aof");
    /// siloBuilder.Services.AddAppendLogS3Archive(o => { o.Region = "eu-west-1"; o.Bucket = "my-log-archive"; o.Prefix = "prod"; });
    /// </code></example>
    public static IServiceCollection AddAppendLogS3Archive(this IServiceCollection services, Action<S3ArchiveOptions> configure, Action<ArchiveRetryOptions>? retry = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<S3ArchiveOptions>().Configure(configure).ValidateWith(static o => o.Validate());
        return services.AddSegmentArchive(
            sp => new S3SegmentArchive(sp.GetRequiredService<IOptions<S3ArchiveOptions>>().Value, sp.GetService<ILogger<S3SegmentArchive>>()),
            S3ArchiveErrors.IsTransient,
            retry);
    }
}
