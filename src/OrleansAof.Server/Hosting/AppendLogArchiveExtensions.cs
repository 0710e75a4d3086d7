using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansAof.Server.Archival;
using OrleansAof.Storage;
using OrleansAof.Storage.Archive;

namespace Orleans.Hosting;

/// <summary>Gives the append log an archive: sealed segments move there and stay readable.</summary>
public static class AppendLogArchiveExtensions
{
    /// <summary>
    /// Archives sealed segments to a folder (a local disk, NFS or any mounted volume):
    /// <c>{RootPath}/{log}/{partition}/{segment file}</c>. Invalid options stop the silo at start.
    /// </summary>
    /// <example><code>siloBuilder.AddAppendLog(o => o.DataRoot = "/var/lib/aof").AddAppendLogFileSystemArchive(o => o.RootPath = "/mnt/archive");</code></example>
    public static ISiloBuilder AddAppendLogFileSystemArchive(this ISiloBuilder builder, Action<FileSystemArchiveOptions> configure, Action<ArchiveRetryOptions>? retry = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<FileSystemArchiveOptions>().Configure(configure);
        builder.Services.AddSingleton<IConfigurationValidator>(sp => new DelegateValidator(() => sp.GetRequiredService<IOptions<FileSystemArchiveOptions>>().Value.Validate()));
        return builder.AddAppendLogArchive(
            sp => new FileSystemArchive(sp.GetRequiredService<IOptions<FileSystemArchiveOptions>>().Value.Clone()),
            FileSystemArchive.IsTransient,
            retry);
    }

    /// <summary>
    /// Archives sealed segments to the archive <paramref name="factory"/> builds (for example an S3 archive); transient
    /// faults (as <paramref name="isTransient"/> decides) are retried with backoff, permanent ones are reported.
    /// </summary>
    public static ISiloBuilder AddAppendLogArchive(this ISiloBuilder builder, Func<IServiceProvider, ISegmentArchive> factory, Func<Exception, bool> isTransient, Action<ArchiveRetryOptions>? retry = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(isTransient);
        var retryOptions = new ArchiveRetryOptions();
        retry?.Invoke(retryOptions);
        builder.Services.AddSingleton<IConfigurationValidator>(new DelegateValidator(retryOptions.Validate));
        builder.Services.AddSingleton(sp => new AppendLogArchive(new ResilientSegmentArchive(
            factory(sp),
            isTransient,
            retryOptions,
            sp.GetService<TimeProvider>() ?? TimeProvider.System,
            sp.GetService<ILogger<ResilientSegmentArchive>>())));
        return builder;
    }

    private sealed class DelegateValidator(Action validate) : IConfigurationValidator
    {
        public void ValidateConfiguration()
        {
            try
            {
                validate();
            }
            catch (InvalidLogOptionsException e)
            {
                throw new OrleansConfigurationException(e.Message, e);
            }
        }
    }
}
