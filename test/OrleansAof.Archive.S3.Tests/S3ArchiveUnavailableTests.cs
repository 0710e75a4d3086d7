using FluentAssertions;
using OrleansAof.Storage;
using OrleansAof.Storage.Archive;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Archive.S3.Tests;

/// <summary>
/// Every call of the S3 archive against a real s3rver that refuses the keys (403), lacks the bucket (404 NoSuchBucket) or
/// is down: each fails with a typed <see cref="ArchiveUnavailableException"/> that names the reason and carries the
/// cause, never with the SDK's or the HTTP stack's own exception; the retrying decorator retries the outage only.
/// </summary>
[Trait(TestCategories.Name, TestCategories.Integration)]
[Trait(TestCategories.Name, TestCategories.FaultInjection)]
public sealed class S3ArchiveUnavailableTests(S3rverFixture fixture) : ArchiveTestBase, IClassFixture<S3rverFixture>, IAsyncLifetime
{
    private S3SegmentArchive? _archive;

    protected override ISegmentArchive Archive => _archive ??= fixture.CreateArchive();

    public async Task InitializeAsync()
    {
        if (!fixture.Server.IsRunning)
        {
            await fixture.Server.StartAsync();
        }
    }

    public async Task DisposeAsync()
    {
        if (!fixture.Server.IsRunning)
        {
            await fixture.Server.StartAsync();
        }
    }

    /// <remarks>
    /// s3rver checks the access key id (403 InvalidAccessKeyId for any but S3RVER) but does not verify SigV4 signatures, so
    /// a wrong secret alone is accepted by it; AccessDenied and SignatureDoesNotMatch from AWS are covered by
    /// <see cref="S3ArchiveOptionsTests"/>' classification test.
    /// </remarks>
    [Fact]
    public async Task EveryCall_WrongAccessKey_FailsWithAccessDenied_AndIsNotRetried()
    {
        var stored = await StoreOneAsync();
        using var denied = fixture.CreateArchive(o =>
        {
            o.AccessKey = "NOT-S3RVER";
            o.SecretKey = "not-the-secret";
        });

        foreach (var (name, call) in Calls(denied, stored))
        {
            var error = await FailsTypedAsync(call, name);
            error.Reason.Should().Be(ArchiveUnavailableReason.AccessDenied, $"{name} with a wrong access key is refused by the store: {error.Cause}");
            error.IsTransient.Should().BeFalse($"{name}: a refused key does not go away by retrying");
            error.Archive.Should().Be(denied.Description);
            error.Cause.Should().Contain("403");
            error.Message.Should().NotContain("not-the-secret", "the secret never appears in an error");
        }

        var counting = new CountingSegmentArchive(denied);
        var resilient = Resilient(counting);
        var put = () => resilient.PutAsync(Key("p0", 77), stored.Path, stored.Facts, None);
        (await put.Should().ThrowAsync<ArchiveUnavailableException>()).Which.Reason.Should().Be(ArchiveUnavailableReason.AccessDenied);
        counting.Calls.Should().Be(1, "a 403 is permanent: the decorator must not retry it");
    }

    [Fact]
    public async Task EveryCall_MissingBucket_FailsWithBucketMissing_AndIsNotRetried()
    {
        var stored = await StoreOneAsync();
        using var missing = fixture.CreateArchive(o =>
        {
            o.Bucket = "no-such-bucket-" + Guid.NewGuid().ToString("N")[..8];
            o.CreateBucketIfMissing = false;
        });

        // get-info included: its HEAD answers a bare 404 either way, so a missing bucket must not read as a missing key
        // (eviction would take the archived segments for unarchived ones and upload them all again).
        foreach (var (name, call) in Calls(missing, stored))
        {
            var error = await FailsTypedAsync(call, name);
            error.Reason.Should().Be(ArchiveUnavailableReason.BucketMissing, $"{name}: {error.Cause}");
            error.IsTransient.Should().BeFalse();
            error.Cause.Should().Contain("NoSuchBucket");
        }

        var counting = new CountingSegmentArchive(missing);
        var resilient = Resilient(counting);
        var list = () => ListAsync(resilient, "p0");
        (await list.Should().ThrowAsync<ArchiveUnavailableException>()).Which.Reason.Should().Be(ArchiveUnavailableReason.BucketMissing);
        counting.Calls.Should().Be(1, "a missing bucket is permanent: the decorator must not retry it");
    }

    [Fact]
    public async Task EveryCall_ServerDown_FailsWithUnreachable_IsRetried_AndWorksAgainWhenItReturns()
    {
        var stored = await StoreOneAsync();
        await fixture.Server.StopAsync();

        foreach (var (name, call) in Calls(Archive, stored))
        {
            var error = await FailsTypedAsync(call, name);
            error.Reason.Should().Be(ArchiveUnavailableReason.Unreachable, $"{name}: {error.Cause}");
            error.IsTransient.Should().BeTrue();
            error.Cause.Should().Contain("Connection refused");
        }

        var counting = new CountingSegmentArchive(Archive);
        var resilient = Resilient(counting);
        var download = () => resilient.DownloadAsync(stored.Key, Scratch.Combine("down.download"), None);
        (await download.Should().ThrowAsync<ArchiveUnavailableException>()).Which.Reason.Should().Be(ArchiveUnavailableReason.Unreachable);
        counting.Calls.Should().Be(3, "an outage is transient: the decorator retries up to its attempts");

        await fixture.Server.StartAsync();
        var destination = Scratch.Combine("after.download");
        await Archive.DownloadAsync(stored.Key, destination, None);
        File.ReadAllBytes(destination).Should().Equal(stored.Bytes);
    }

    private static ResilientSegmentArchive Resilient(ISegmentArchive inner) => new(
        inner,
        S3ArchiveErrors.IsTransient,
        new ArchiveRetryOptions { MaxAttempts = 3, BaseDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(20) },
        TimeProvider.System);

    private async Task<StoredSegment> StoreOneAsync()
    {
        var (path, bytes, facts) = CreateSegmentFile("stored", 5000, seed: 1);
        var key = Key("p0", 0);
        await Archive.PutAsync(key, path, facts, None);
        return new StoredSegment(key, path, bytes, facts);
    }

    /// <summary>Each call of the archive, by name, on the stored object (or next to it).</summary>
    private IEnumerable<(string Name, Func<Task> Call)> Calls(ISegmentArchive archive, StoredSegment stored) =>
    [
        ("put", () => archive.PutAsync(Key("p0", 1), stored.Path, stored.Facts, None)),
        ("get-info", () => archive.GetInfoAsync(stored.Key, None)),
        ("download", () => archive.DownloadAsync(stored.Key, Scratch.Combine("typed.download"), None)),
        ("list", () => ListAsync(archive, "p0")),
        ("delete", () => archive.DeleteAsync(Key("p0", 2), None)),
    ];

    private static async Task<ArchiveUnavailableException> FailsTypedAsync(Func<Task> call, string name)
    {
        try
        {
            await call();
        }
        catch (ArchiveUnavailableException e)
        {
            return e;
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{name} failed with {e.GetType().Name} instead of ArchiveUnavailableException: {e}");
        }

        throw new Xunit.Sdk.XunitException($"{name} succeeded although the archive is unavailable");
    }

    private async Task ListAsync(ISegmentArchive archive, string partition)
    {
        await foreach (var _ in archive.ListAsync(Log, partition, None))
        {
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _archive?.Dispose();
        }

        base.Dispose(disposing);
    }

    private sealed record StoredSegment(ArchiveObjectKey Key, string Path, byte[] Bytes, SegmentFileFacts Facts);
}
