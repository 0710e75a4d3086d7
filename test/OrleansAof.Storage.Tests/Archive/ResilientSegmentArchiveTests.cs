using System.Runtime.CompilerServices;
using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using OrleansAof.Storage.Archive;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Archive;

[Trait(TestCategories.Name, TestCategories.Fast)]
public sealed class ResilientSegmentArchiveTests
{
    private static readonly ArchiveObjectKey Key = new("log", "p0", "00000000000000000000.aofseg");
    private static readonly ArchivedObjectInfo Stored = new(Key, new SegmentFileFacts(10, 0xABCD), 10, 0xABCD, ArchiveCompression.None, DateTimeOffset.UnixEpoch);
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(5);
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch);

    [Fact]
    public async Task Put_TransientFailuresThenSuccess_RetriesWithBoundedGrowingDelays()
    {
        var options = new ArchiveRetryOptions { MaxAttempts = 6, BaseDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(100) };
        var inner = new ScriptedArchive(_time, failures: 4, () => new IOException("transient"));
        var archive = new ResilientSegmentArchive(inner, e => e is IOException, options, _time);

        var put = archive.PutAsync(Key, "local", Stored.Original, CancellationToken.None);
        await DriveClockUntilAsync(put, "the put succeeded after four transient failures");

        (await put).Should().Be(Stored);
        inner.AttemptTimes.Should().HaveCount(5);
        var gaps = inner.AttemptTimes.Zip(inner.AttemptTimes.Skip(1), (a, b) => b - a).ToList();
        gaps.Should().OnlyContain(g => g > TimeSpan.Zero, "each retry waits on the injected clock");
        gaps.Should().OnlyContain(g => g <= options.MaxDelay + Step, "no delay exceeds MaxDelay");
    }

    [Fact]
    public async Task Put_IntegrityFailure_IsNeverRetriedEvenIfTheClassifierSaysTransient()
    {
        var inner = new ScriptedArchive(_time, failures: 10, () => new ArchiveIntegrityException("log/p0/x", "mismatch"));
        var archive = new ResilientSegmentArchive(inner, _ => true, new ArchiveRetryOptions { MaxAttempts = 5 }, _time);

        var put = () => archive.PutAsync(Key, "local", Stored.Original, CancellationToken.None);

        await put.Should().ThrowAsync<ArchiveIntegrityException>();
        inner.AttemptTimes.Should().HaveCount(1);
    }

    [Fact]
    public async Task Put_PermanentFailure_IsNotRetried()
    {
        var inner = new ScriptedArchive(_time, failures: 10, () => new UnauthorizedAccessException("read-only"));
        var archive = new ResilientSegmentArchive(inner, FileSystemArchive.IsTransient, new ArchiveRetryOptions { MaxAttempts = 5 }, _time);

        var put = () => archive.PutAsync(Key, "local", Stored.Original, CancellationToken.None);

        var error = (await put.Should().ThrowAsync<ArchiveUnavailableException>()).Which;
        error.Reason.Should().Be(ArchiveUnavailableReason.AccessDenied);
        error.IsTransient.Should().BeFalse();
        error.InnerException.Should().BeOfType<UnauthorizedAccessException>();
        inner.AttemptTimes.Should().HaveCount(1);
    }

    [Theory]
    [InlineData(ArchiveUnavailableReason.AccessDenied, false, 1)]
    [InlineData(ArchiveUnavailableReason.BucketMissing, false, 1)]
    [InlineData(ArchiveUnavailableReason.Unreachable, true, 5)]
    [InlineData(ArchiveUnavailableReason.Throttled, true, 5)]
    public async Task Put_ArchiveUnavailable_IsRetriedOnlyWhenTransient(ArchiveUnavailableReason reason, bool transient, int attempts)
    {
        var inner = new ScriptedArchive(_time, failures: 100, () => new ArchiveUnavailableException(reason, "scripted", "cause", transient));
        var archive = new ResilientSegmentArchive(inner, _ => true, new ArchiveRetryOptions { MaxAttempts = 5, BaseDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(20) }, _time);

        var put = archive.PutAsync(Key, "local", Stored.Original, CancellationToken.None);
        await DriveClockUntilAsync(put, "the put gave up");

        var act = () => put;
        (await act.Should().ThrowAsync<ArchiveUnavailableException>()).Which.Reason.Should().Be(reason);
        inner.AttemptTimes.Should().HaveCount(attempts, transient ? "an outage or throttling is retried" : "a refused key or a missing bucket is not");
    }

    [Fact]
    public async Task Put_TransientFailureOutlastsAttempts_ThrowsTheLastErrorAfterMaxAttempts()
    {
        var count = 0;
        var inner = new ScriptedArchive(_time, failures: 100, () => new IOException($"failure {++count}"));
        var archive = new ResilientSegmentArchive(inner, e => e is IOException, new ArchiveRetryOptions { MaxAttempts = 4, BaseDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(20) }, _time);

        var put = archive.PutAsync(Key, "local", Stored.Original, CancellationToken.None);
        await DriveClockUntilAsync(put, "the put gave up");

        var act = () => put;
        var error = (await act.Should().ThrowAsync<ArchiveUnavailableException>("an untyped error of the inner archive is typed")).Which;
        error.InnerException.Should().BeOfType<IOException>().Which.Message.Should().Be("failure 4");
        error.Reason.Should().Be(ArchiveUnavailableReason.Other);
        error.Cause.Should().Be("IOException: failure 4");
        error.IsTransient.Should().BeTrue();
        inner.AttemptTimes.Should().HaveCount(4);
    }

    [Fact]
    public async Task Put_CancelledWhileWaitingToRetry_StopsRetrying()
    {
        var inner = new ScriptedArchive(_time, failures: 100, () => new IOException("transient"));
        var archive = new ResilientSegmentArchive(inner, e => e is IOException, new ArchiveRetryOptions { MaxAttempts = 10, BaseDelay = TimeSpan.FromSeconds(10), MaxDelay = TimeSpan.FromSeconds(10) }, _time);
        using var cancellation = new CancellationTokenSource();

        var put = archive.PutAsync(Key, "local", Stored.Original, cancellation.Token);
        await Wait.UntilAsync(() => inner.AttemptTimes.Count == 1, "the first attempt ran");
        await cancellation.CancelAsync();

        var act = () => put;
        await act.Should().ThrowAsync<OperationCanceledException>();
        inner.AttemptTimes.Should().HaveCount(1);
    }

    [Fact]
    public async Task List_FailsMidwayThenSucceeds_YieldsEachObjectOnce()
    {
        var inner = new ScriptedArchive(_time, failures: 1, () => new IOException("connection reset"));
        var archive = new ResilientSegmentArchive(inner, e => e is IOException, new ArchiveRetryOptions { MaxAttempts = 3, BaseDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(10) }, _time);

        var list = CollectAsync(archive.ListAsync("log", "p0", CancellationToken.None));
        await DriveClockUntilAsync(list, "the listing completed");

        (await list).Select(i => i.Key.FileName).Should().Equal("a", "b", "c");
        inner.AttemptTimes.Should().HaveCount(2);
    }

    [Theory]
    [InlineData(0, 200, 30_000, "ArchiveRetryOptions.MaxAttempts must be between 1 and 100; it is 0.")]
    [InlineData(3, 0, 30_000, "ArchiveRetryOptions.BaseDelay must be positive; it is 00:00:00.")]
    [InlineData(3, 200, 100, "ArchiveRetryOptions.MaxDelay must be at least BaseDelay (00:00:00.2000000) and at most one day; it is 00:00:00.1000000.")]
    public void Constructor_InvalidOptions_ThrowsNamingTheOption(int attempts, int baseMs, int maxMs, string message)
    {
        var options = new ArchiveRetryOptions { MaxAttempts = attempts, BaseDelay = TimeSpan.FromMilliseconds(baseMs), MaxDelay = TimeSpan.FromMilliseconds(maxMs) };

        var create = () => new ResilientSegmentArchive(new ScriptedArchive(_time, 0, () => new IOException()), _ => true, options, _time);

        create.Should().Throw<InvalidLogOptionsException>().WithMessage(message);
    }

    [Fact]
    public async Task MaxAttemptsOne_CallsOnce()
    {
        var inner = new ScriptedArchive(_time, failures: 5, () => new IOException("transient"));
        var archive = new ResilientSegmentArchive(inner, _ => true, new ArchiveRetryOptions { MaxAttempts = 1 }, _time);

        var put = () => archive.PutAsync(Key, "local", Stored.Original, CancellationToken.None);

        (await put.Should().ThrowAsync<ArchiveUnavailableException>()).Which.InnerException.Should().BeOfType<IOException>();
        inner.AttemptTimes.Should().HaveCount(1);
    }

    [Fact]
    public async Task StreamingDownload_TransientFailuresBeforeTheFirstPiece_AreRetried()
    {
        var inner = new StreamingArchive(failures: 2, announceBeforeFailing: false);
        IStreamingSegmentArchive archive = new ResilientSegmentArchive(inner, e => e is IOException, new ArchiveRetryOptions { MaxAttempts = 5, BaseDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(40) }, _time);
        var pieces = new List<long>();

        var download = archive.DownloadAsync(Key, "destination", (offset, bytes) => pieces.Add(offset + bytes.Length), CancellationToken.None);
        await DriveClockUntilAsync(download, "the download succeeded after two failures before any piece");

        await download;
        inner.Attempts.Should().Be(3);
        pieces.Should().Equal(4L);
    }

    [Fact]
    public async Task StreamingDownload_TransientFailureAfterAPieceWasAnnounced_IsNotRetried()
    {
        // Readers may already have read the announced piece: the failure goes to them, and their next read downloads afresh.
        var inner = new StreamingArchive(failures: 2, announceBeforeFailing: true);
        IStreamingSegmentArchive archive = new ResilientSegmentArchive(inner, e => e is IOException, new ArchiveRetryOptions { MaxAttempts = 5, BaseDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(40) }, _time);
        var pieces = new List<long>();

        var download = archive.DownloadAsync(Key, "destination", (offset, bytes) => pieces.Add(offset + bytes.Length), CancellationToken.None);
        await DriveClockUntilAsync(download, "the download failed");

        var error = (await FluentActions.Awaiting(() => download).Should().ThrowAsync<ArchiveUnavailableException>()).Which;
        error.InnerException.Should().BeOfType<IOException>();
        error.IsTransient.Should().BeTrue("the caller may start a fresh download");
        inner.Attempts.Should().Be(1);
        pieces.Should().Equal(4L);
    }

    private async Task DriveClockUntilAsync(Task task, string what) =>
        await Wait.UntilAsync(
            () =>
            {
                _time.Advance(Step);
                return task.IsCompleted;
            },
            what);

    private static async Task<List<ArchivedObjectInfo>> CollectAsync(IAsyncEnumerable<ArchivedObjectInfo> source)
    {
        var result = new List<ArchivedObjectInfo>();
        await foreach (var item in source)
        {
            result.Add(item);
        }

        return result;
    }

    /// <summary>Fails the first <c>failures</c> calls with the given error, then succeeds; records when each call came.</summary>
    private sealed class ScriptedArchive(TimeProvider time, int failures, Func<Exception> error) : ISegmentArchive
    {
        private readonly List<DateTimeOffset> _attempts = [];

        public IReadOnlyList<DateTimeOffset> AttemptTimes
        {
            get
            {
                lock (_attempts)
                {
                    return [.. _attempts];
                }
            }
        }

        public string Description => "scripted";

        public Task<ArchivedObjectInfo> PutAsync(ArchiveObjectKey key, string localPath, SegmentFileFacts original, CancellationToken cancellationToken) =>
            Attempt() ? Task.FromResult(Stored) : Task.FromException<ArchivedObjectInfo>(error());

        public Task<ArchivedObjectInfo?> GetInfoAsync(ArchiveObjectKey key, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task DownloadAsync(ArchiveObjectKey key, string destinationPath, CancellationToken cancellationToken) => throw new NotSupportedException();

        public async IAsyncEnumerable<ArchivedObjectInfo> ListAsync(string log, string partition, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var succeeds = Attempt();
            foreach (var name in new[] { "a", "b", "c" })
            {
                if (!succeeds && name == "c")
                {
                    throw error();
                }

                await Task.Yield();
                yield return Stored with { Key = new ArchiveObjectKey(log, partition, name) };
            }
        }

        public Task DeleteAsync(ArchiveObjectKey key, CancellationToken cancellationToken) => throw new NotSupportedException();

        private bool Attempt()
        {
            lock (_attempts)
            {
                _attempts.Add(time.GetUtcNow());
                return _attempts.Count > failures;
            }
        }
    }

    /// <summary>A streaming download that fails its first <c>failures</c> attempts, announcing one 4-byte piece first when asked.</summary>
    private sealed class StreamingArchive(int failures, bool announceBeforeFailing) : IStreamingSegmentArchive
    {
        private int _attempts;

        public int Attempts => Volatile.Read(ref _attempts);

        public string Description => "streaming";

        public Task DownloadAsync(ArchiveObjectKey key, string destinationPath, DownloadedBytes written, CancellationToken cancellationToken)
        {
            var failing = Interlocked.Increment(ref _attempts) <= failures;
            if (!failing || announceBeforeFailing)
            {
                written(0, [1, 2, 3, 4]);
            }

            return failing ? Task.FromException(new IOException("connection reset")) : Task.CompletedTask;
        }

        public Task<ArchivedObjectInfo> PutAsync(ArchiveObjectKey key, string localPath, SegmentFileFacts original, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<ArchivedObjectInfo?> GetInfoAsync(ArchiveObjectKey key, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task DownloadAsync(ArchiveObjectKey key, string destinationPath, CancellationToken cancellationToken) => throw new NotSupportedException();

        public IAsyncEnumerable<ArchivedObjectInfo> ListAsync(string log, string partition, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task DeleteAsync(ArchiveObjectKey key, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
