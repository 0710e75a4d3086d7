using System.CommandLine;
using OrleansAof.Storage;
using OrleansAof.Storage.Archive;
using OrleansAof.Storage.Offline;

namespace OrleansAof.Cli.Commands;

/// <summary>
/// <c>aof restore --data-root D --log L --partition P --archive-path F</c>: opens the partition with a file-system
/// archive, so that a partition whose local folder is empty or lost rebuilds its catalog from the archive listing, fetches
/// the newest archived segment and continues after its last id (never from 0). Prints the partition afterwards.
/// </summary>
internal sealed class RestoreCommand(CliEnvironment environment) : AofCommand(environment)
{
    public override Command Build()
    {
        var dataRoot = new Option<string>("--data-root") { Description = "The data root the partition lives under ({data-root}/{log}/{partition}).", Required = true };
        var log = new Option<string>("--log") { Description = "The log name.", Required = true };
        var partition = new Option<string>("--partition") { Description = "The partition name.", Required = true };
        var archivePath = new Option<string>("--archive-path") { Description = "Root folder of a file-system archive ({archive}/{log}/{partition}/*.aofseg)." };
        var s3Bucket = new Option<string>("--s3-bucket") { Description = "Bucket of an S3 archive (instead of --archive-path)." };
        var s3Prefix = new Option<string>("--s3-prefix") { Description = "S3 key prefix ({prefix}/{log}/{partition}/*.aofseg)." };
        var s3Region = new Option<string>("--s3-region") { Description = "AWS region of the bucket." };
        var s3ServiceUrl = new Option<string>("--s3-service-url") { Description = "URL of an S3-compatible store (instead of --s3-region)." };
        var s3PathStyle = new Option<bool>("--s3-path-style") { Description = "Path-style addressing (most S3-compatible stores)." };
        var s3Compat = new Option<bool>("--s3-compatibility-mode") { Description = "For stores that do not accept aws-chunked uploads or trailing checksums." };
        var s3AccessKey = new Option<string>("--s3-access-key") { Description = "Access key; default: the standard AWS credential chain (AWS_ACCESS_KEY_ID, profile, role)." };
        var s3SecretKey = new Option<string>("--s3-secret-key") { Description = "Secret key (with --s3-access-key); prefer the AWS_SECRET_ACCESS_KEY environment variable." };
        var skipLostIds = new Option<bool>("--skip-lost-ids")
        {
            Description = "Accept that ids after the last archived one are lost: the next open by a silo (which knows the partition's id bound) "
                + "records them as a Missing gap and continues after the bound. Without it, a silo refuses to open a partition whose acknowledged ids "
                + "may be lost (PartitionDataLostException).",
        };
        var json = JsonOption();
        var command = new Command("restore", "Rebuild a partition from its archive (a folder with --archive-path, or S3 with --s3-bucket): the catalog from the archive listing and the newest "
            + "archived segment fetched back. A silo opening the restored folder checks it against the partition's id bound: when ids after the archived "
            + "last id may have been acknowledged, it refuses unless --skip-lost-ids was given. Takes the partition's lock (exit 5 while a writer holds it). "
            + "Exit 3 when the archive holds nothing to restore.")
        {
            dataRoot, log, partition, archivePath, s3Bucket, s3Prefix, s3Region, s3ServiceUrl, s3PathStyle, s3Compat, s3AccessKey, s3SecretKey, skipLostIds, json,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var output = Output(parse.GetValue(json));
            return output.RunAsync(async () =>
            {
                var root = Path.GetFullPath(parse.GetRequiredValue(dataRoot));
                var logName = parse.GetRequiredValue(log);
                var partitionName = parse.GetRequiredValue(partition);
                ISegmentArchive store;
                if (parse.GetValue(s3Bucket) is { Length: > 0 } bucket)
                {
                    if (parse.GetValue(archivePath) is { Length: > 0 })
                    {
                        return output.Fail(ExitCodes.Usage, "usage", "Give either --archive-path or --s3-bucket, not both.");
                    }

                    var s3Options = new OrleansAof.Archive.S3.S3ArchiveOptions
                    {
                        Bucket = bucket,
                        Prefix = parse.GetValue(s3Prefix) ?? "",
                        Region = parse.GetValue(s3Region),
                        ServiceUrl = parse.GetValue(s3ServiceUrl),
                        ForcePathStyle = parse.GetValue(s3PathStyle),
                        CompatibilityMode = parse.GetValue(s3Compat),
                        AccessKey = parse.GetValue(s3AccessKey),
                        SecretKey = parse.GetValue(s3SecretKey),
                    };
                    s3Options.Validate();
                    store = new OrleansAof.Archive.S3.S3SegmentArchive(s3Options);
                }
                else if (parse.GetValue(archivePath) is { Length: > 0 } path)
                {
                    var archiveRoot = Path.GetFullPath(path);
                    if (!Directory.Exists(archiveRoot))
                    {
                        throw new DirectoryNotFoundException($"The archive folder '{archiveRoot}' does not exist.");
                    }

                    store = new FileSystemArchive(new FileSystemArchiveOptions { RootPath = archiveRoot }, Environment.FileSystem, TimeProvider.System, null);
                }
                else
                {
                    return output.Fail(ExitCodes.Usage, "usage", "Name the archive: --archive-path <folder> or --s3-bucket <bucket> (with --s3-region or --s3-service-url).");
                }

                using var disposeStore = store as IDisposable;
                var archive = new CountingArchive(Environment.FileSystem, store);
                var archived = new List<ArchivedObjectInfo>();
                await foreach (var o in archive.ListAsync(logName, partitionName, cancellationToken))
                {
                    archived.Add(o);
                }

                var partitionDir = PartitionLayout.PartitionDirectory(root, logName, partitionName);
                var segments = PartitionLayout.SegmentsOf(partitionDir);
                var hadLocal = Directory.Exists(segments) && Directory.EnumerateFiles(segments, PartitionLayout.SegmentFilePattern).Any();
                if (archived.Count == 0 && !hadLocal)
                {
                    return output.Fail(ExitCodes.Failed, "failed", $"The archive {archive.Description} holds no segment of {logName}/{partitionName} and there is no local segment; nothing to restore (and no empty partition was created).");
                }

                var newestSize = archived.Count > 0 ? archived.Max(static o => o.Original.Size) : 0;
                var info = await output.WithProgressAsync("restoring", progress =>
                {
                    archive.Downloaded += bytes => progress?.Report(new InspectionProgress(bytes, Math.Max(bytes, newestSize), null));
                    return OpenAndDescribeAsync(root, logName, partitionName, archive, parse.GetValue(skipLostIds), cancellationToken);
                }, cancellationToken);

                var document = new RestoreDocument(
                    logName,
                    partitionName,
                    partitionDir,
                    archive.Description,
                    archived.Count,
                    [.. archive.DownloadedFiles],
                    info.State,
                    info.FaultReason,
                    info.FirstId,
                    info.LastId,
                    info.NextId,
                    info.WriterEpoch,
                    info.Segments);
                if (output.Json)
                {
                    output.WriteJson(document, CliJsonContext.Output.RestoreDocument);
                }
                else
                {
                    ReportRenderer.Render(output.Console, document);
                }

                return info.State == PartitionState.Open ? ExitCodes.Ok : ExitCodes.Failed;
            });
        });
        return command;
    }

    private async Task<PartitionInfo> OpenAndDescribeAsync(string root, string log, string partition, ISegmentArchive archive, bool skipLostIds, CancellationToken cancellationToken)
    {
        var options = new PartitionLogOptions
        {
            DataRoot = root,
            Preallocation = PreallocationMode.None,
            LostIds = skipLostIds ? LostIdsPolicy.SkipPastBound : LostIdsPolicy.Refuse,
        };
        var opened = await PartitionLog.OpenAsync(log, partition, options, new PartitionLogEnvironment { Archive = archive, FileSystem = Environment.FileSystem }, cancellationToken);
        try
        {
            return opened.GetInfo();
        }
        finally
        {
            await opened.CloseAsync(seal: false);
        }
    }

    /// <summary>Passes every call to the archive and remembers what was downloaded, for the report and the progress bar.</summary>
    private sealed class CountingArchive(OrleansAof.Storage.IO.IFileSystem fileSystem, ISegmentArchive inner) : ISegmentArchive
    {
        private long _bytes;

        public event Action<long>? Downloaded;

        public List<string> DownloadedFiles { get; } = [];

        public string Description => inner.Description;

        public Task<ArchivedObjectInfo> PutAsync(ArchiveObjectKey key, string localPath, SegmentFileFacts original, CancellationToken cancellationToken) =>
            inner.PutAsync(key, localPath, original, cancellationToken);

        public Task<ArchivedObjectInfo?> GetInfoAsync(ArchiveObjectKey key, CancellationToken cancellationToken) => inner.GetInfoAsync(key, cancellationToken);

        public async Task DownloadAsync(ArchiveObjectKey key, string destinationPath, CancellationToken cancellationToken)
        {
            await inner.DownloadAsync(key, destinationPath, cancellationToken);
            lock (DownloadedFiles)
            {
                DownloadedFiles.Add(key.FileName);
                _bytes += fileSystem.GetFileLength(destinationPath);
            }

            Downloaded?.Invoke(_bytes);
        }

        public IAsyncEnumerable<ArchivedObjectInfo> ListAsync(string log, string partition, CancellationToken cancellationToken) => inner.ListAsync(log, partition, cancellationToken);

        public Task DeleteAsync(ArchiveObjectKey key, CancellationToken cancellationToken) => inner.DeleteAsync(key, cancellationToken);
    }
}
