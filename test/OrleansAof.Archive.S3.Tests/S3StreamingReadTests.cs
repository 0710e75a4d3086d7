using FluentAssertions;
using Microsoft.Extensions.Logging.Abstractions;
using OrleansAof.Storage;
using OrleansAof.Storage.Archive;
using OrleansAof.Storage.IO;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Archive.S3.Tests;

/// <summary>
/// Archived reads served while the object streams in, against s3rver: a real archived segment of about 4 MiB, read
/// through <see cref="ArchiveReader"/> with a blob store whose body is held at 1 MiB (<see cref="HeldBodyBlobStorage"/>)
/// until the test releases it. Records below the downloaded frontier come back before the download completes; a body
/// that fails the whole object's check, or is cut, leaves nothing in the cache and fails the readers waiting beyond.
/// </summary>
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class S3StreamingReadTests(S3rverFixture fixture) : IClassFixture<S3rverFixture>, IDisposable
{
    private const int HoldAt = 1024 * 1024;
    private const int PayloadSize = 1000;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _temp = new("s3-streaming");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task FirstRecords_AreServedWhileTheBodyIsHeld_ThenTheRestAfterRelease_OneDownload()
    {
        var (log, segment, _) = await ArchiveOneSegmentAsync();
        var (held, archive) = HeldArchive();
        held.HoldAt = HoldAt;
        var cache = _temp.Combine("cache");
        using var reader = new ArchiveReader(archive, log, "0", cache);

        var first = await Within(reader.ReadAsync(segment.BaseId, 10), "the first records while the body is held at 1 MiB");
        var middle = await Within(reader.ReadAsync(segment.BaseId + 500, 3), "record 500 (below the held offset) while the body is held");
        await Within(held.Held, "the body to reach the held offset");

        held.IsReleased.Should().BeFalse();
        File.Exists(Path.Combine(cache, segment.FileName)).Should().BeFalse("the download has not completed: only its partial file exists");
        first.Records.Select(r => r.Id).Should().Equal(Enumerable.Range(0, 10).Select(i => segment.BaseId + i));
        foreach (var r in first.Records.Concat(middle.Records))
        {
            r.Payload.ToArray().Should().Equal(Payload(r.Id), $"record {r.Id} must be the archived bytes");
        }

        middle.Records.Select(r => r.Id).Should().Equal(segment.BaseId + 500, segment.BaseId + 501, segment.BaseId + 502);
        var late = reader.ReadAsync(segment.LastId, 1);
        var sameLate = reader.ReadAsync(segment.LastId - 1, 2);
        late.IsCompleted.Should().BeFalse("the last record lies beyond the downloaded frontier");

        held.Release();
        var lastBatch = await Within(late, "the last record after the release");
        lastBatch.Records.Should().ContainSingle().Which.Id.Should().Be(segment.LastId);
        lastBatch[0].Payload.ToArray().Should().Equal(Payload(segment.LastId));
        (await Within(sameLate, "the concurrent late read")).Records.Select(r => r.Id).Should().Equal(segment.LastId - 1, segment.LastId);

        var next = segment.BaseId;
        while (next <= segment.LastId)
        {
            var batch = await reader.ReadAsync(next, 700);
            batch.Count.Should().BePositive($"record {next} is archived");
            foreach (var r in batch.Records)
            {
                r.Id.Should().Be(next);
                r.Payload.ToArray().Should().Equal(Payload(next), $"record {next} must be the archived bytes");
                next++;
            }
        }

        next.Should().Be(segment.LastId + 1);
        (await reader.ReadAsync(segment.LastId + 1)).Count.Should().Be(0);
        held.Opens.Should().Be(1, "concurrent and later readers of one segment share one download");
        await Wait.UntilAsync(() => File.Exists(Path.Combine(cache, segment.FileName)), "the verified segment lands in the cache (the last records may be served before the final check ends)");
        Directory.GetFiles(cache).Should().ContainSingle("the partial file became the segment file");
    }

    [Fact]
    public async Task BodyFailingTheWholeObjectCheck_ReadersWaitingBeyondGetIntegrityError_NothingCached_NextReadRefetches()
    {
        var (log, segment, file) = await ArchiveOneSegmentAsync();
        var damaged = segment.BaseId + (segment.RecordCount * 3 / 4);
        var payloadOffset = IndexOf(file, Payload(damaged));
        payloadOffset.Should().BeGreaterThan(HoldAt, "the damaged record lies beyond the held offset");
        var (held, archive) = HeldArchive();
        held.HoldAt = HoldAt;
        held.FlipAt = payloadOffset + 10;
        var cache = _temp.Combine("cache");
        using var reader = new ArchiveReader(archive, log, "0", cache);

        var early = await Within(reader.ReadAsync(segment.BaseId, 5), "early records while the body is held");
        early.Records.Select(r => r.Id).Should().Equal(Enumerable.Range(0, 5).Select(i => segment.BaseId + i));
        early.Records.Should().OnlyContain(r => r.Payload.ToArray().SequenceEqual(Payload(r.Id)), "records below the damage passed their own checksum");
        var waitingOnDamaged = reader.ReadAsync(damaged, 1);
        var waitingPastEnd = reader.ReadAsync(segment.LastId + 1, 1);
        await Within(held.Held, "the body to reach the held offset");
        waitingOnDamaged.IsCompleted.Should().BeFalse();

        held.Release();

        var e1 = await FluentActions.Awaiting(() => Within(waitingOnDamaged, "the read of the damaged record")).Should().ThrowAsync<ArchiveIntegrityException>();
        e1.Which.ObjectKey.Should().Be($"{log}/0/{segment.FileName}");
        await FluentActions.Awaiting(() => Within(waitingPastEnd, "the read past the segment")).Should().ThrowAsync<ArchiveIntegrityException>();
        Directory.GetFiles(cache).Should().BeEmpty("nothing of a download that failed its check stays in the cache");

        held.FlipAt = null;
        held.HoldAt = null;
        var again = await Within(reader.ReadAsync(damaged, 1), "the read after the failure");
        again.Records.Should().ContainSingle().Which.Id.Should().Be(damaged);
        again[0].Payload.ToArray().Should().Equal(Payload(damaged));
        held.Opens.Should().Be(2, "the read after the failure downloads afresh");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task BodyCutMidStream_ReadersWaitingBeyondGetTypedError_NothingCached_NextReadRefetches(bool withError)
    {
        var (log, segment, _) = await ArchiveOneSegmentAsync();
        var (held, archive) = HeldArchive();
        held.HoldAt = HoldAt;
        held.CutAt = 2 * HoldAt;
        held.CutWithError = withError;
        var cache = _temp.Combine("cache");
        using var reader = new ArchiveReader(archive, log, "0", cache);

        (await Within(reader.ReadAsync(segment.BaseId, 5), "early records while the body is held")).Count.Should().Be(5);
        var waiting = reader.ReadAsync(segment.LastId, 1);
        await Within(held.Held, "the body to reach the held offset");
        held.Release();

        if (withError)
        {
            var e = await FluentActions.Awaiting(() => Within(waiting, "the read beyond the cut")).Should().ThrowAsync<ArchiveUnavailableException>();
            e.Which.Reason.Should().Be(ArchiveUnavailableReason.Unreachable);
        }
        else
        {
            var e = await FluentActions.Awaiting(() => Within(waiting, "the read beyond the cut")).Should().ThrowAsync<ArchiveIntegrityException>();
            e.Which.Message.Should().Contain($"({2 * HoldAt} bytes");
        }

        Directory.GetFiles(cache).Should().BeEmpty("a cut body leaves no cache entry");

        held.CutAt = null;
        held.HoldAt = null;
        var again = await Within(reader.ReadAsync(segment.LastId, 1), "the read after the cut");
        again.Records.Should().ContainSingle().Which.Id.Should().Be(segment.LastId);
        again[0].Payload.ToArray().Should().Equal(Payload(segment.LastId));
        held.Opens.Should().Be(2);
        await Wait.UntilAsync(() => File.Exists(Path.Combine(cache, segment.FileName)), "the refetched segment lands in the cache");
    }

    private static byte[] Payload(long id)
    {
        var bytes = new byte[PayloadSize];
        new Random((int)id).NextBytes(bytes);
        return bytes;
    }

    private static async Task<T> Within<T>(Task<T> task, string what)
    {
        try
        {
            return await task.WaitAsync(Timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Waited {Timeout.TotalSeconds:0} s for {what}.");
        }
    }

    private static async Task Within(Task task, string what)
    {
        try
        {
            await task.WaitAsync(Timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Waited {Timeout.TotalSeconds:0} s for {what}.");
        }
    }

    private static long IndexOf(byte[] haystack, byte[] needle)
    {
        var at = haystack.AsSpan().IndexOf(needle);
        at.Should().BeGreaterThanOrEqualTo(0, "the payload is in the segment file");
        return at;
    }

    /// <summary>The S3 archive's protocol over the held store (a real s3rver body behind it).</summary>
    private (HeldBodyBlobStorage Held, BlobSegmentArchive Archive) HeldArchive()
    {
        var options = fixture.Options();
        var held = new HeldBodyBlobStorage(new S3BlobStorage(options, S3ArchiveClientFactory.CreateClient(options), ownsClient: true, NullLogger.Instance));
        return (held, new BlobSegmentArchive(held, new BlobArchiveSettings(), PhysicalFileSystem.Instance, logger: null));
    }

    /// <summary>A partition of 1,000-byte records whose first 4 MiB segment is sealed and archived to s3rver; the segment file's bytes.</summary>
    private async Task<(string Log, SegmentInfo Segment, byte[] File)> ArchiveOneSegmentAsync()
    {
        using var s3 = fixture.CreateArchive();
        var log = "stream-" + Guid.NewGuid().ToString("N")[..8];
        var data = _temp.Combine("data-" + log);
        var options = new PartitionLogOptions
        {
            DataRoot = data,
            FlushPolicy = FlushPolicy.Async,
            MaxSegmentBytes = 4 * 1024 * 1024,
            MaxRecordBytes = 64 * 1024,
            Preallocation = PreallocationMode.None,
        };
        await using var partition = await PartitionLog.OpenAsync(log, "0", options, new PartitionLogEnvironment { Archive = s3 });
        while (!partition.GetInfo().Segments.Any(s => s.Status != SegmentStatus.Active))
        {
            var next = partition.NextId;
            await partition.AppendBatchAsync([.. Enumerable.Range(0, 64).Select(i => (ReadOnlyMemory<byte>)Payload(next + i))]);
        }

        await partition.FlushAsync();
        var segment = await partition.ArchiveNextAsync() ?? throw new InvalidOperationException("nothing was archived");
        segment.RecordCount.Should().BeGreaterThan(3000);
        var bytes = await File.ReadAllBytesAsync(Directory.EnumerateFiles(data, segment.FileName, SearchOption.AllDirectories).Single());
        return (log, segment, bytes);
    }
}
