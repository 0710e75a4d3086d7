using System.Runtime.CompilerServices;
using OrleansAof.Storage.Archive;

namespace OrleansAof.TestInfrastructure;

/// <summary>
/// Passes every call to an inner archive and counts calls and failures (to see what a retrying decorator did); can also
/// inject an outage (every call fails as if the store were unreachable) or a crash right after a successful put.
/// </summary>
public sealed class CountingSegmentArchive(ISegmentArchive inner) : ISegmentArchive
{
    private int _calls;
    private int _failures;
    private int _puts;

    /// <summary>Successful puts.</summary>
    public int Puts => Volatile.Read(ref _puts);

    /// <summary>While set, every call fails with an <see cref="IOException"/> before reaching the inner archive.</summary>
    public bool Outage { get; set; }

    /// <summary>When set, the next put stores the object and then fails, as if the caller crashed before learning of it.</summary>
    public bool FailAfterNextPut { get; set; }
    private readonly List<Exception> _errors = [];

    public int Calls => Volatile.Read(ref _calls);

    public int Failures => Volatile.Read(ref _failures);

    public IReadOnlyList<Exception> Errors
    {
        get
        {
            lock (_errors)
            {
                return [.. _errors];
            }
        }
    }

    public string Description => inner.Description;

    public Task<ArchivedObjectInfo> PutAsync(ArchiveObjectKey key, string localPath, SegmentFileFacts original, CancellationToken cancellationToken) =>
        CountAsync(async () =>
        {
            var stored = await inner.PutAsync(key, localPath, original, cancellationToken);
            Interlocked.Increment(ref _puts);
            if (FailAfterNextPut)
            {
                FailAfterNextPut = false;
                throw new IOException($"Injected fault: the put of '{key}' completed but its caller crashed before hearing of it.");
            }

            return stored;
        });

    public Task<ArchivedObjectInfo?> GetInfoAsync(ArchiveObjectKey key, CancellationToken cancellationToken) =>
        CountAsync(() => inner.GetInfoAsync(key, cancellationToken));

    public Task DownloadAsync(ArchiveObjectKey key, string destinationPath, CancellationToken cancellationToken) =>
        CountAsync(async () =>
        {
            await inner.DownloadAsync(key, destinationPath, cancellationToken);
            return true;
        });

    public async IAsyncEnumerable<ArchivedObjectInfo> ListAsync(string log, string partition, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var all = await CountAsync(async () =>
        {
            var list = new List<ArchivedObjectInfo>();
            await foreach (var info in inner.ListAsync(log, partition, cancellationToken))
            {
                list.Add(info);
            }

            return list;
        });
        foreach (var info in all)
        {
            yield return info;
        }
    }

    public Task DeleteAsync(ArchiveObjectKey key, CancellationToken cancellationToken) =>
        CountAsync(async () =>
        {
            await inner.DeleteAsync(key, cancellationToken);
            return true;
        });

    private async Task<T> CountAsync<T>(Func<Task<T>> call)
    {
        Interlocked.Increment(ref _calls);
        try
        {
            if (Outage)
            {
                throw new IOException($"Injected fault: the archive ({inner.Description}) is unreachable.");
            }

            return await call();
        }
        catch (Exception e)
        {
            lock (_errors)
            {
                _errors.Add(e);
            }

            Interlocked.Increment(ref _failures);
            throw;
        }
    }
}
