using Microsoft.Extensions.DependencyInjection;
using OrleansAof.Archive.S3;
using OrleansAof.Storage.Archive;
using OrleansAof.TestInfrastructure;
using OrleansAof.TestInfrastructure.Clusters;
using Xunit;

namespace OrleansAof.Server.Tests.Fixtures;

/// <summary>What is wrong with the archive during a test.</summary>
public enum ArchiveFault
{
    /// <summary>Nothing: the silo archives to a running s3rver with the right keys.</summary>
    None,

    /// <summary>The s3rver process is killed (started again on the same port and folder when the fault ends).</summary>
    ServerDown,

    /// <summary>The silo's S3 client uses an access key s3rver does not know (403 InvalidAccessKeyId).</summary>
    WrongKey,

    /// <summary>The silo's S3 client names a bucket that does not exist (404 NoSuchBucket).</summary>
    MissingBucket,
}

/// <summary>
/// One silo that archives to a real s3rver through the product's S3 archive and retrying decorator, with 8 KiB segments,
/// one local sealed segment kept, an archive backlog bound of 3 segments, an archiver reminder period of one hour (so
/// any recovery within a test is the archiver's own retry, never the reminder) and fast run retries. A test switches
/// the archive's fault (<see cref="SetFaultAsync"/>): the server down, a wrong access key or a missing bucket, all real
/// answers of s3rver; the silo's archive forwards to an S3 archive configured accordingly.
/// </summary>
public sealed class S3ArchiveCluster() : AofClusterFixture(new AofTestClusterOptions { Silos = 1, Archive = TestClusterArchive.S3 })
{
    public const string Bucket = S3Bucket;
    public const int MaxBacklogSegments = 3;
    private readonly SwitchingArchive _archive = new();

    public S3rverServer Server => S3Server;

    public ArchiveFault Fault { get; private set; }

    /// <summary>The health of the silo's append log.</summary>
    public AppendLogHealth Health => SiloServices(SiloNames[0]).GetRequiredService<AppendLogHealth>();

    /// <summary>Makes the archive fail as <paramref name="fault"/> says (or work again with <see cref="ArchiveFault.None"/>).</summary>
    public async Task SetFaultAsync(ArchiveFault fault)
    {
        if (fault == ArchiveFault.ServerDown)
        {
            await Server.StopAsync();
        }
        else if (!Server.IsRunning)
        {
            await Server.StartAsync();
        }

        _archive.Current = fault switch
        {
            ArchiveFault.WrongKey => _archive.WrongKey!,
            ArchiveFault.MissingBucket => _archive.MissingBucket!,
            _ => _archive.Good!,
        };
        Fault = fault;
    }

    protected override Task BeforeStartAsync()
    {
        _archive.Good = new S3SegmentArchive(S3Options());
        _archive.WrongKey = new S3SegmentArchive(S3Options(o => o.AccessKey = "NOT-S3RVER"));
        _archive.MissingBucket = new S3SegmentArchive(S3Options(o => o.Bucket = "no-such-bucket"));
        _archive.Current = _archive.Good;
        return Task.CompletedTask;
    }

    protected override void ConfigureLog(AppendLogOptions options)
    {
        options.MaxSegmentBytes = 8192;
        options.MaxRecordBytes = 2048;
        options.KeepLocalSegments = 1;
        options.MaxArchiveBacklogSegments = MaxBacklogSegments;
        options.ArchiveReminderPeriod = TimeSpan.FromHours(1);
        options.ArchiveRunRetryDelay = TimeSpan.FromMilliseconds(100);
        options.ArchiveRunRetryMaxDelay = TimeSpan.FromMilliseconds(500);
        options.ArchiveReadCacheBytes = 64 * 1024;
    }

    protected override void ConfigureSilo(ISiloBuilder silo) => silo.UseInMemoryReminderService();

    /// <summary>The silo's archive is the switching one (each of its archives talks to the fixture's s3rver).</summary>
    protected override void ConfigureArchive(ISiloBuilder silo) =>
        silo.Services.AddSegmentArchive(
            _ => _archive,
            S3ArchiveErrors.IsTransient,
            retry =>
            {
                retry.MaxAttempts = 2;
                retry.BaseDelay = TimeSpan.FromMilliseconds(10);
                retry.MaxDelay = TimeSpan.FromMilliseconds(20);
            });

    protected override void AfterStop()
    {
        _archive.Good?.Dispose();
        _archive.WrongKey?.Dispose();
        _archive.MissingBucket?.Dispose();
    }

    /// <summary>Forwards every call to the S3 archive of the current fault (plumbing only: each of them talks to the real s3rver).</summary>
    private sealed class SwitchingArchive : ISegmentArchive
    {
        private volatile S3SegmentArchive? _current;

        public S3SegmentArchive? Good { get; set; }

        public S3SegmentArchive? WrongKey { get; set; }

        public S3SegmentArchive? MissingBucket { get; set; }

        public S3SegmentArchive Current
        {
            get => _current ?? throw new InvalidOperationException("No archive yet.");
            set => _current = value;
        }

        public string Description => Current.Description;

        public Task<ArchivedObjectInfo> PutAsync(ArchiveObjectKey key, string localPath, SegmentFileFacts original, CancellationToken cancellationToken) =>
            Current.PutAsync(key, localPath, original, cancellationToken);

        public Task<ArchivedObjectInfo?> GetInfoAsync(ArchiveObjectKey key, CancellationToken cancellationToken) => Current.GetInfoAsync(key, cancellationToken);

        public Task DownloadAsync(ArchiveObjectKey key, string destinationPath, CancellationToken cancellationToken) =>
            Current.DownloadAsync(key, destinationPath, cancellationToken);

        public IAsyncEnumerable<ArchivedObjectInfo> ListAsync(string log, string partition, CancellationToken cancellationToken) =>
            Current.ListAsync(log, partition, cancellationToken);

        public Task DeleteAsync(ArchiveObjectKey key, CancellationToken cancellationToken) => Current.DeleteAsync(key, cancellationToken);
    }
}

[CollectionDefinition(Name)]
public sealed class S3ArchiveClusterGroup : ICollectionFixture<S3ArchiveCluster>
{
    public const string Name = "s3 archive cluster";
}
