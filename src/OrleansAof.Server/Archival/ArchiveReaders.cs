using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using OrleansAof.Storage.Archive;

namespace OrleansAof.Server.Archival;

/// <summary>One <see cref="ArchiveReader"/> per partition on this silo, with its fetched segments under <c>{DataRoot}/.archive-reads</c>.</summary>
internal sealed class ArchiveReaders(IOptions<AppendLogOptions> options, ILocalSiloDetails silo, IServiceProvider services) : IDisposable
{
    private readonly ConcurrentDictionary<string, ArchiveReader> _readers = new(StringComparer.Ordinal);

    public ArchiveReader? For(string log, string partition)
    {
        if (services.GetService(typeof(ConfiguredSegmentArchive)) is not ConfiguredSegmentArchive archive)
        {
            return null;
        }

        var o = options.Value;
        return _readers.GetOrAdd($"{log}/{partition}", _ => new ArchiveReader(
            archive.Archive,
            log,
            partition,
            Path.Combine(o.DataRootFor(o.SiloName ?? silo.Name), ".archive-reads", log, partition),
            o.ArchiveReadCacheBytes));
    }

    public void Dispose()
    {
        foreach (var reader in _readers.Values)
        {
            reader.Dispose();
        }
    }
}
