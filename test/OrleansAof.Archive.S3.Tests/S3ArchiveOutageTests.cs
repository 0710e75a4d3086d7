using FluentAssertions;
using OrleansAof.Storage.Archive;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Archive.S3.Tests;

/// <summary>An S3 outage: s3rver is killed and started again on the same port with the same data.</summary>
[Trait(TestCategories.Name, TestCategories.Integration)]
[Trait(TestCategories.Name, TestCategories.FaultInjection)]
public sealed class S3ArchiveOutageTests(S3rverFixture fixture) : ArchiveTestBase, IClassFixture<S3rverFixture>, IAsyncLifetime
{
    private readonly S3SegmentArchive _archive = fixture.CreateArchive();

    protected override ISegmentArchive Archive => _archive;

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

    [Fact]
    public async Task Calls_ServerStopped_FailWithTransientErrors()
    {
        var (path, bytes, facts) = CreateSegmentFile("stored", 1000, seed: 1);
        await _archive.PutAsync(Key("p0", 1), path, facts, None);
        await fixture.Server.StopAsync();

        var put = () => _archive.PutAsync(Key("p0", 2), path, facts, None);
        var download = () => _archive.DownloadAsync(Key("p0", 1), Scratch.Combine("outage.download"), None);

        var putError = (await put.Should().ThrowAsync<Exception>()).Which;
        S3ArchiveErrors.IsTransient(putError).Should().BeTrue($"a refused connection is transient, but got {putError}");
        var downloadError = (await download.Should().ThrowAsync<Exception>()).Which;
        S3ArchiveErrors.IsTransient(downloadError).Should().BeTrue($"a refused connection is transient, but got {downloadError}");
        File.Exists(Scratch.Combine("outage.download")).Should().BeFalse();

        await fixture.Server.StartAsync();
        var destination = Scratch.Combine("after.download");
        await _archive.DownloadAsync(Key("p0", 1), destination, None);
        File.ReadAllBytes(destination).Should().Equal(bytes, "the server kept its data across the restart");
    }

    [Fact]
    public async Task ResilientPut_ServerComesBack_Succeeds()
    {
        var (path, bytes, facts) = CreateSegmentFile("retry", 200_000, seed: 2);
        var key = Key("p0", 3);
        var counting = new CountingSegmentArchive(_archive);
        var resilient = new ResilientSegmentArchive(
            counting,
            S3ArchiveErrors.IsTransient,
            new ArchiveRetryOptions { MaxAttempts = 100, BaseDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(200) },
            TimeProvider.System);
        await fixture.Server.StopAsync();

        var put = resilient.PutAsync(key, path, facts, None);
        await Wait.UntilAsync(() => counting.Failures >= 2, "the put failed at least twice against the stopped server");
        put.IsCompleted.Should().BeFalse("the decorator keeps retrying a transient outage");
        await fixture.Server.StartAsync();
        var info = await Wait.ForAsync(put, "the retried put to succeed once the server is back");

        info.Original.Should().Be(facts);
        counting.Calls.Should().Be(counting.Failures + 1);
        counting.Errors.Should().OnlyContain(e => S3ArchiveErrors.IsTransient(e));
        var destination = Scratch.Combine("retry.download");
        await resilient.DownloadAsync(key, destination, None);
        File.ReadAllBytes(destination).Should().Equal(bytes);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _archive.Dispose();
        }

        base.Dispose(disposing);
    }
}
