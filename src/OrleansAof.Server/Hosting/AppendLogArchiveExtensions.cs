using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OrleansAof.Storage.Archive;

namespace Orleans.Hosting;

/// <summary>Gives the append log an archive: sealed segments move there and stay readable.</summary>
public static class AppendLogArchiveExtensions
{
    /// <summary>
    /// Archives sealed segments to a folder (a local disk, NFS or any mounted volume):
    /// <c>{RootPath}/{log}/{partition}/{segment file}</c>. Invalid options stop the silo at start with the option's name.
    /// For S3 use <c>siloBuilder.Services.AddAppendLogS3Archive(...)</c> from OrleansAof.Archive.S3.
    /// </summary>
    /// <example><code>siloBuilder.AddAppendLog(o => o.DataRoot = "/var/lib/aof").AddAppendLogFileSystemArchive(o => o.RootPath = "/mnt/archive");</code></example>
    public static ISiloBuilder AddAppendLogFileSystemArchive(this ISiloBuilder builder, Action<FileSystemArchiveOptions> configure, Action<ArchiveRetryOptions>? retry = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<FileSystemArchiveOptions>().Configure(configure).ValidateWith(static o => o.Validate());
        builder.Services.AddSegmentArchive(
            sp => new FileSystemArchive(sp.GetRequiredService<IOptions<FileSystemArchiveOptions>>().Value.Clone()),
            FileSystemArchive.IsTransient,
            retry);
        return builder;
    }
}
