using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace OrleansAof.Storage.Archive;

/// <summary>
/// Measures and traces the calls that move segment bytes to and from the archive (uploads, downloads) and
/// counts every failed call by operation and reason. It is the outermost decorator, so a measured call includes the
/// retries of <see cref="ResilientSegmentArchive"/> and a failure is one the caller saw.
/// </summary>
internal sealed class InstrumentedSegmentArchive(ISegmentArchive inner) : IStreamingSegmentArchive
{
    public string Description => inner.Description;

    public async Task<ArchivedObjectInfo> PutAsync(ArchiveObjectKey key, string localPath, SegmentFileFacts original, CancellationToken cancellationToken)
    {
        using var activity = StorageTelemetry.StartArchive(StorageTelemetry.ArchiveUploadSpan, key);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var stored = await inner.PutAsync(key, localPath, original, cancellationToken).ConfigureAwait(false);
            StorageInstruments.RecordUpload(key.Log, stored.StoredSize, Stopwatch.GetElapsedTime(started));
            activity?.SetTag(AofTags.Bytes, stored.StoredSize);
            return stored;
        }
        catch (Exception e)
        {
            Failed(activity, key.Log, "upload", e);
            throw;
        }
    }

    public async Task<ArchivedObjectInfo?> GetInfoAsync(ArchiveObjectKey key, CancellationToken cancellationToken)
    {
        try
        {
            return await inner.GetInfoAsync(key, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Failed(null, key.Log, "get-info", e);
            throw;
        }
    }

    public Task DownloadAsync(ArchiveObjectKey key, string destinationPath, CancellationToken cancellationToken) =>
        DownloadCoreAsync(key, destinationPath, written: null, cancellationToken);

    /// <summary>Streams when the inner archive does; otherwise the whole download, announced by nothing until it completes.</summary>
    public Task DownloadAsync(ArchiveObjectKey key, string destinationPath, DownloadedBytes written, CancellationToken cancellationToken) =>
        DownloadCoreAsync(key, destinationPath, written, cancellationToken);

    private async Task DownloadCoreAsync(ArchiveObjectKey key, string destinationPath, DownloadedBytes? written, CancellationToken cancellationToken)
    {
        using var activity = StorageTelemetry.StartArchive(StorageTelemetry.ArchiveDownloadSpan, key);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await (written is not null && inner is IStreamingSegmentArchive streaming
                ? streaming.DownloadAsync(key, destinationPath, written, cancellationToken)
                : inner.DownloadAsync(key, destinationPath, cancellationToken)).ConfigureAwait(false);
            var bytes = LengthOf(destinationPath);
            StorageInstruments.RecordDownload(key.Log, StorageInstruments.DownloadSegment, bytes, Stopwatch.GetElapsedTime(started));
            activity?.SetTag(AofTags.Bytes, bytes);
        }
        catch (Exception e)
        {
            Failed(activity, key.Log, "download", e);
            throw;
        }
    }

    public async IAsyncEnumerable<ArchivedObjectInfo> ListAsync(string log, string partition, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var e = inner.ListAsync(log, partition, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            ArchivedObjectInfo item;
            try
            {
                if (!await e.MoveNextAsync().ConfigureAwait(false))
                {
                    yield break;
                }

                item = e.Current;
            }
            catch (Exception error)
            {
                Failed(null, log, "list", error);
                throw;
            }

            yield return item;
        }
    }

    public async Task DeleteAsync(ArchiveObjectKey key, CancellationToken cancellationToken)
    {
        try
        {
            await inner.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Failed(null, key.Log, "delete", e);
            throw;
        }
    }

    public override string ToString() => Description;

    /// <summary>The failure reason an operator filters on: the typed error's kind, never free text (bounded cardinality).</summary>
    internal static string ReasonOf(Exception error) => error switch
    {
        ArchiveUnavailableException u => u.Reason switch
        {
            ArchiveUnavailableReason.Unreachable => "unreachable",
            ArchiveUnavailableReason.AccessDenied => "access-denied",
            ArchiveUnavailableReason.BucketMissing => "bucket-missing",
            ArchiveUnavailableReason.Throttled => "throttled",
            _ => "other",
        },
        ArchiveIntegrityException => "integrity",
        ArchiveObjectNotFoundException => "not-found",
        OperationCanceledException => "cancelled",
        _ => "other",
    };

    private static void Failed(Activity? activity, string log, string operation, Exception error)
    {
        StorageInstruments.RecordArchiveFailure(log, operation, ReasonOf(error));
        if (activity is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error, error.GetType().Name);
            activity.AddException(error);
        }
    }

    private static long LengthOf(string path)
    {
        try
        {
            return new FileInfo(path).Length;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
