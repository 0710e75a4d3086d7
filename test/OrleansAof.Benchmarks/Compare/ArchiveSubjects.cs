using System.Buffers;
using System.Diagnostics;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.S3.Transfer;
using OrleansAof.Archive.S3;
using OrleansAof.Storage;
using OrleansAof.Storage.Archive;
using OrleansAof.TestInfrastructure;

namespace OrleansAof.Benchmarks.Compare;

/// <summary>
/// s3rver on 127.0.0.1 (started here, stopped on dispose), our <see cref="S3SegmentArchive"/> on it twice (compression
/// off): in compatibility mode (unchunked requests, Content-MD5 on every upload) and in the default mode (a single PUT
/// carries the recorded CRC-32C in <c>x-amz-checksum-crc32c</c>, unchunked; s3rver accepts it and does not check it),
/// and one sealed segment of the engine, archived once through the engine (<see cref="PartitionLog.ArchiveNextAsync"/>),
/// that the put and read comparisons use.
/// </summary>
internal sealed class ArchiveBench : IAsyncDisposable
{
    public const string Bucket = "bench";
    public const string Log = "bench";
    public const string SourcePartition = "src";

    private readonly S3rverServer _server;

    private ArchiveBench(S3rverServer server, S3ArchiveOptions options, IAmazonS3 client, S3SegmentArchive archive, IAmazonS3 defaultClient, S3SegmentArchive defaultArchive, SegmentInfo segment, string segmentPath)
    {
        _server = server;
        Options = options;
        Client = client;
        Archive = archive;
        DefaultModeClient = defaultClient;
        DefaultModeArchive = defaultArchive;
        Segment = segment;
        SegmentPath = segmentPath;
    }

    public S3ArchiveOptions Options { get; }

    /// <summary>The SDK client the archive uses (compatibility mode: no aws-chunked bodies); the baselines use it too.</summary>
    public IAmazonS3 Client { get; }

    /// <summary>The archive in compatibility mode (Content-MD5 on every upload); reads and the engine's archival use it.</summary>
    public S3SegmentArchive Archive { get; }

    /// <summary>A client in the default mode (<see cref="S3ArchiveOptions.CompatibilityMode"/> off).</summary>
    public IAmazonS3 DefaultModeClient { get; }

    /// <summary>The archive in the default mode: a single PUT sends the recorded CRC-32C in a header and reads the file once.</summary>
    public S3SegmentArchive DefaultModeArchive { get; }

    /// <summary>The sealed and archived segment.</summary>
    public SegmentInfo Segment { get; }

    /// <summary>The sealed segment's local file.</summary>
    public string SegmentPath { get; }

    public SegmentFileFacts Facts => new(Segment.SizeBytes, Segment.FileChecksum);

    public string SegmentObjectKey => Archive.ObjectKeyOf(new ArchiveObjectKey(Log, SourcePartition, Segment.FileName));

    public static async Task<ArchiveBench> StartAsync(string folder, byte[] payload, Action<string> progress)
    {
        var server = await S3rverServer.StartNewAsync();
        try
        {
            var options = new S3ArchiveOptions
            {
                ServiceUrl = server.ServiceUrl,
                Region = "us-east-1",
                Bucket = Bucket,
                ForcePathStyle = true,
                AccessKey = S3rverServer.AccessKey,
                SecretKey = S3rverServer.SecretKey,
                CompatibilityMode = true,
                CreateBucketIfMissing = true,
                Compression = S3ArchiveCompression.None,
            };
            var client = S3ArchiveClientFactory.CreateClient(options);
            await client.PutBucketAsync(new PutBucketRequest { BucketName = Bucket });
            var archive = new S3SegmentArchive(options, client);
            var defaultOptions = options.Clone();
            defaultOptions.CompatibilityMode = false;
            var defaultClient = S3ArchiveClientFactory.CreateClient(defaultOptions);
            var defaultArchive = new S3SegmentArchive(defaultOptions, defaultClient);

            // Fill a partition until its first 64 MiB segment seals by rollover, then archive it through the engine.
            var data = Path.Combine(folder, "data");
            var log = await PartitionLog.OpenAsync(Log, SourcePartition, new PartitionLogOptions { DataRoot = data, FlushPolicy = FlushPolicy.Async, BackpressureMode = BackpressureMode.Wait }, new PartitionLogEnvironment { Archive = archive });
            SegmentInfo segment;
            try
            {
                progress($"archive: writing a sealed {PartitionLogOptionsMaxSegment()} segment of {Shared.Payloads.SizeName(payload.Length)} records");
                await Task.Run(async () =>
                {
                    var batch = Enumerable.Repeat<ReadOnlyMemory<byte>>(payload, 256).ToArray();
                    while (!log.GetInfo().Segments.Any(s => s.Status != SegmentStatus.Active))
                    {
                        await log.AppendBatchAsync(batch);
                    }
                });
                await log.FlushAsync();
                progress($"archive: archiving it through the engine (s3rver at {server.ServiceUrl})");
                segment = await log.ArchiveNextAsync() ?? throw new InvalidOperationException("Nothing was archived.");
            }
            finally
            {
                await log.CloseAsync(seal: false);
            }

            var path = Directory.EnumerateFiles(data, segment.FileName, SearchOption.AllDirectories).Single();
            return new ArchiveBench(server, options, client, archive, defaultClient, defaultArchive, segment, path);
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    public async Task DeleteAsync(string objectKey) =>
        await Client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = Bucket, Key = objectKey });

    public ValueTask DisposeAsync()
    {
        Archive.Dispose();
        Client.Dispose();
        DefaultModeArchive.Dispose();
        DefaultModeClient.Dispose();
        _server.Dispose();
        return ValueTask.CompletedTask;
    }

    private static string PartitionLogOptionsMaxSegment() => $"{new PartitionLogOptions().MaxSegmentBytes >> 20} MiB";
}

/// <summary>
/// Our put: <see cref="BlobSegmentArchive.PutAsync"/> of the sealed segment under a new key per slice, as the engine's
/// archival step calls it: HEAD for an existing object, the upload — one PUT below
/// <see cref="S3ArchiveOptions.MultipartThresholdBytes"/>, parts above — and the HEAD that verifies the stored object.
/// In the default mode the PUT carries the recorded CRC-32C and the file's CRC-32C is checked as it is sent (one read of
/// the file); in compatibility mode one read of the file computes its CRC-32C and MD5 before the PUT with Content-MD5.
/// The object of the previous slice is deleted before the clock starts.
/// </summary>
internal sealed class ArchivePutSubject(ArchiveBench bench, bool compatibilityMode) : ISubject
{
    private readonly S3SegmentArchive _archive = compatibilityMode ? bench.Archive : bench.DefaultModeArchive;
    private int _slice;
    private string? _previous;

    public string Name => compatibilityMode ? "ours PutAsync, CompatibilityMode (Content-MD5)" : "ours S3SegmentArchive.PutAsync (+ verification)";

    public async Task<Sample> RunSliceAsync()
    {
        if (_previous is not null)
        {
            await bench.DeleteAsync(_previous);
        }

        var key = new ArchiveObjectKey(ArchiveBench.Log, $"put{(compatibilityMode ? "c" : "")}{++_slice}", bench.Segment.FileName);
        var start = Stopwatch.GetTimestamp();
        var info = await _archive.PutAsync(key, bench.SegmentPath, bench.Facts, CancellationToken.None);
        var elapsed = Stopwatch.GetElapsedTime(start);
        _previous = _archive.ObjectKeyOf(key);
        if (info.Original != bench.Facts)
        {
            throw new InvalidOperationException("The archive recorded other facts than it was given.");
        }

        return new Sample(1, bench.Facts.Size, elapsed);
    }

    public async ValueTask DisposeAsync()
    {
        if (_previous is not null)
        {
            await bench.DeleteAsync(_previous);
        }
    }
}

/// <summary>
/// The baseline put: the same file's bytes through the same SDK client to the same server, with nothing around it:
/// one <c>PutObject</c> (below the multipart threshold, as our archive does) or the SDK's <see cref="TransferUtility"/>
/// with our part size.
/// </summary>
internal sealed class RawPutSubject(ArchiveBench bench, bool transferUtility) : ISubject
{
    private int _slice;
    private string? _previous;

    public string Name => transferUtility ? $"raw TransferUtility ({bench.Options.PartSizeBytes >> 20} MiB parts)" : "raw PutObject";

    public async Task<Sample> RunSliceAsync()
    {
        if (_previous is not null)
        {
            await bench.DeleteAsync(_previous);
        }

        var key = $"raw{(transferUtility ? "tu" : "put")}/{++_slice}/{bench.Segment.FileName}";
        var start = Stopwatch.GetTimestamp();
        if (transferUtility)
        {
            using var transfer = new TransferUtility(bench.Client);
            await transfer.UploadAsync(new TransferUtilityUploadRequest { BucketName = ArchiveBench.Bucket, Key = key, FilePath = bench.SegmentPath, PartSize = bench.Options.PartSizeBytes });
        }
        else
        {
            await using var body = new FileStream(bench.SegmentPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 20, useAsync: true);
            await bench.Client.PutObjectAsync(new PutObjectRequest { BucketName = ArchiveBench.Bucket, Key = key, InputStream = body, AutoCloseStream = false, UseChunkEncoding = false });
        }

        var elapsed = Stopwatch.GetElapsedTime(start);
        _previous = key;
        return new Sample(1, bench.Facts.Size, elapsed);
    }

    public async ValueTask DisposeAsync()
    {
        if (_previous is not null)
        {
            await bench.DeleteAsync(_previous);
        }
    }
}

/// <summary>
/// For context, no S3 involved: one pass over the segment file computing its MD5 (1 MiB reads), the part of our put's
/// local pass that the Content-MD5 header needs before the PUT can start.
/// </summary>
internal sealed class Md5PassSubject(ArchiveBench bench) : ISubject
{
    public string Name => "local pass: read + MD5 of the file";

    public Task<Sample> RunSliceAsync() => Task.Run(() =>
    {
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            var start = Stopwatch.GetTimestamp();
#pragma warning disable CA5351 // Measures the Content-MD5 pass of an S3 upload; not a security use.
            using var md5 = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.MD5);
#pragma warning restore CA5351
            using var file = new FileStream(bench.SegmentPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
            int n;
            while ((n = file.Read(buffer, 0, 1 << 20)) > 0)
            {
                md5.AppendData(buffer, 0, n);
            }

            _ = md5.GetHashAndReset();
            return new Sample(1, bench.Facts.Size, Stopwatch.GetElapsedTime(start));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    });

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>
/// Our read: a new <see cref="ArchiveReader"/> with an empty cache folder reads every record of the archived segment
/// in order (<see cref="ArchiveReader.ReadAsync"/>, 1,000 records or 4 MiB per call): listing, download, verification
/// and the checksum of every record included. Rates count the segment's bytes, like the baseline.
/// </summary>
internal sealed class ArchiveReadSubject(ArchiveBench bench, string cacheRoot) : ISubject
{
    private int _slice;

    public string Name => "ours ArchiveReader, every record";

    /// <summary>Per slice: the time of the first read (listing, then the first records once the download reaches them) and of the rest.</summary>
    public List<(TimeSpan First, TimeSpan Reading)> Split { get; } = [];

    public async Task<Sample> RunSliceAsync()
    {
        var cache = Path.Combine(cacheRoot, $"cache-{++_slice}");
        var start = Stopwatch.GetTimestamp();
        long records = 0, payloadBytes = 0;
        var first = TimeSpan.Zero;
        using (var reader = new ArchiveReader(bench.Archive, ArchiveBench.Log, ArchiveBench.SourcePartition, cache, maxCacheBytes: 1L << 30))
        {
            var next = bench.Segment.BaseId;
            while (next <= bench.Segment.LastId)
            {
                var batch = await reader.ReadAsync(next);
                if (first == TimeSpan.Zero)
                {
                    first = Stopwatch.GetElapsedTime(start);
                }

                if (batch.Count == 0)
                {
                    break;
                }

                for (var i = 0; i < batch.Count; i++)
                {
                    payloadBytes += batch.Entries[i].Length;
                }

                records += batch.Count;
                next = batch.NextId;
            }
        }

        var elapsed = Stopwatch.GetElapsedTime(start);
        Split.Add((first, elapsed - first));
        Shared.TempRoot.Delete(cache);
        if (records != bench.Segment.RecordCount)
        {
            throw new InvalidOperationException($"The archive reader returned {records} records ({payloadBytes} payload bytes); the segment holds {bench.Segment.RecordCount}.");
        }

        return new Sample(records, bench.Facts.Size, elapsed);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>For context: <see cref="BlobSegmentArchive.DownloadAsync"/> of the segment to a new file (GET, CRC-32C, write to the OS), no engine.</summary>
internal sealed class ArchiveDownloadSubject(ArchiveBench bench, string folder) : ISubject
{
    private int _slice;

    public string Name => "ours S3SegmentArchive.DownloadAsync only";

    public async Task<Sample> RunSliceAsync()
    {
        var path = Path.Combine(folder, $"download-{++_slice}");
        var start = Stopwatch.GetTimestamp();
        await bench.Archive.DownloadAsync(new ArchiveObjectKey(ArchiveBench.Log, ArchiveBench.SourcePartition, bench.Segment.FileName), path, CancellationToken.None);
        var elapsed = Stopwatch.GetElapsedTime(start);
        File.Delete(path);
        return new Sample(bench.Segment.RecordCount, bench.Facts.Size, elapsed);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>The baseline read: one <c>GetObject</c> of the same object through the same client, its body read to the end into a 1 MiB buffer.</summary>
internal sealed class RawGetSubject(ArchiveBench bench) : ISubject
{
    public string Name => "raw GetObject, body read to the end";

    public async Task<Sample> RunSliceAsync()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            var start = Stopwatch.GetTimestamp();
            long bytes = 0;
            using (var response = await bench.Client.GetObjectAsync(new GetObjectRequest { BucketName = ArchiveBench.Bucket, Key = bench.SegmentObjectKey }))
            {
                int n;
                while ((n = await response.ResponseStream.ReadAsync(buffer)) > 0)
                {
                    bytes += n;
                }
            }

            var elapsed = Stopwatch.GetElapsedTime(start);
            if (bytes != bench.Facts.Size)
            {
                throw new InvalidOperationException($"GetObject returned {bytes} bytes; the object holds {bench.Facts.Size}.");
            }

            return new Sample(bench.Segment.RecordCount, bytes, elapsed);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
