using FluentAssertions;
using OrleansAof.Storage;
using OrleansAof.Storage.Archive;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Archive.S3.Tests;

/// <summary>s3rver is killed in the middle of a multipart upload of a partition's segment, then started again.</summary>
[Trait(TestCategories.Name, TestCategories.Integration)]
[Trait(TestCategories.Name, TestCategories.FaultInjection)]
public sealed class S3PartitionOutageTests(S3rverFixture fixture) : IClassFixture<S3rverFixture>, IDisposable
{
    private readonly TempDirectory _temp = new("s3-outage");

    private static byte[] Payload(long id)
    {
        var bytes = new byte[64 * 1024];
        new Random((int)id).NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public async Task ServerKilledMidUpload_AppendsRunToTheBacklogLimit_ThenDrainAfterRestart_NothingLost()
    {
        using var s3 = fixture.CreateArchive();
        var gate = new PutObserver(s3);
        var options = new PartitionLogOptions
        {
            DataRoot = _temp.Path,
            FlushPolicy = FlushPolicy.Async,
            MaxSegmentBytes = 12 * 1024 * 1024,
            MaxRecordBytes = 1024 * 1024,
            MaxUnflushedBytes = 256L * 1024 * 1024,
            MaxArchiveBacklogSegments = 3,
            MaxArchiveBacklogBytes = 1L << 30,
            ArchiveReadCacheBytes = 64 * 1024 * 1024,
            Preallocation = PreallocationMode.None,
        };
        var log = "outage-" + Guid.NewGuid().ToString("N")[..8];
        await using var partition = await PartitionLog.OpenAsync(log, "0", options, new PartitionLogEnvironment { Archive = gate });

        while (partition.ArchiveBacklog.Segments < 1)
        {
            await partition.AppendAsync(Payload(partition.NextId));
        }

        var step = partition.ArchiveNextAsync();
        await Wait.ForAsync(gate.PutStarted.Task, "the upload of the first segment to start");
        await fixture.Server.StopAsync();
        await step.Invoking(t => t).Should().ThrowAsync<Exception>("the server died during the upload");
        partition.GetInfo().Segments[0].Status.Should().Be(SegmentStatus.Archiving);

        LogBackpressureException? refused = null;
        while (refused is null)
        {
            try
            {
                await partition.AppendAsync(Payload(partition.NextId));
            }
            catch (LogBackpressureException e)
            {
                refused = e;
            }
        }

        refused.Reason.Should().Be(BackpressureReason.ArchiveBacklog);
        var acknowledged = partition.NextId;
        (await partition.EvictArchivedAsync()).Should().BeEmpty("nothing that was not verified in the archive is evicted");

        await fixture.Server.StartAsync();
        var archived = 0;
        while (await partition.ArchiveNextAsync() is not null)
        {
            archived++;
        }

        archived.Should().Be(4);
        partition.ArchiveBacklog.Should().Be((0, 0L));
        (await partition.AppendAsync(Payload(acknowledged))).FirstId.Should().Be(acknowledged, "appends resume once the backlog drained");
        (await partition.EvictArchivedAsync()).Should().HaveCount(2);
        await partition.FlushAsync();

        for (var id = 0L; id <= acknowledged; id++)
        {
            var batch = await partition.ReadAsync(id, 1);
            batch[0].Id.Should().Be(id);
            batch[0].Payload.ToArray().Should().Equal(Payload(id), $"record {id} must survive the outage byte for byte");
        }
    }

    public void Dispose() => _temp.Dispose();

    /// <summary>Signals when a put begins, so the test can kill the server in the middle of it.</summary>
    private sealed class PutObserver(ISegmentArchive inner) : ISegmentArchive
    {
        public TaskCompletionSource PutStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Description => inner.Description;

        public Task<ArchivedObjectInfo> PutAsync(ArchiveObjectKey key, string localPath, SegmentFileFacts original, CancellationToken cancellationToken)
        {
            var put = inner.PutAsync(key, localPath, original, cancellationToken);
            PutStarted.TrySetResult();
            return put;
        }

        public Task<ArchivedObjectInfo?> GetInfoAsync(ArchiveObjectKey key, CancellationToken cancellationToken) => inner.GetInfoAsync(key, cancellationToken);

        public Task DownloadAsync(ArchiveObjectKey key, string destinationPath, CancellationToken cancellationToken) => inner.DownloadAsync(key, destinationPath, cancellationToken);

        public IAsyncEnumerable<ArchivedObjectInfo> ListAsync(string log, string partition, CancellationToken cancellationToken) => inner.ListAsync(log, partition, cancellationToken);

        public Task DeleteAsync(ArchiveObjectKey key, CancellationToken cancellationToken) => inner.DeleteAsync(key, cancellationToken);
    }
}
