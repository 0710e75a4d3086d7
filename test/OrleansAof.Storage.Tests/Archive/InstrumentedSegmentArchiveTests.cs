using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using FluentAssertions;
using OrleansAof.Storage.Archive;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Archive;

/// <summary>
/// The archive decorator every host's archive is wrapped in: upload and download bytes, durations and spans
/// against a real folder archive, and failures counted by operation and by the typed error's reason.
/// </summary>
[Trait(TestCategories.Name, TestCategories.Fast)]
public sealed class InstrumentedSegmentArchiveTests : ArchiveTestBase
{
    private readonly TempDirectory _root = new("instrumented-archive");
    private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, string?> Tags)> _measurements = new();
    private readonly ConcurrentQueue<Activity> _spans = new();
    private readonly MeterListener _meters = new();
    private readonly ActivityListener _traces = new();

    public InstrumentedSegmentArchiveTests()
    {
        FolderArchive = new FileSystemArchive(new FileSystemArchiveOptions { RootPath = _root.Path });
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == StorageInstruments.MeterName && instrument.Name.StartsWith("aof-archive-", StringComparison.Ordinal))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meters.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i, v, tags));
        _meters.SetMeasurementEventCallback<double>((i, v, tags, _) => Add(i, v, tags));
        _meters.Start();
        _traces.ShouldListenTo = static s => s.Name == StorageTelemetry.ActivitySourceName;
        _traces.Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded;
        _traces.ActivityStopped = _spans.Enqueue;
        ActivitySource.AddActivityListener(_traces);
    }

    private FileSystemArchive FolderArchive { get; }

    protected override ISegmentArchive Archive => FolderArchive;

    [Fact]
    public async Task UploadAndDownload_AreMeasuredAndTracedWithTheirBytes()
    {
        var archive = new InstrumentedSegmentArchive(FolderArchive);
        var (path, bytes, facts) = CreateSegmentFile("seg", 20_000, seed: 7);
        var key = Key("0", 0);

        var stored = await archive.PutAsync(key, path, facts, None);
        var destination = Scratch.Combine("downloaded");
        await archive.DownloadAsync(key, destination, None);

        Values("aof-archive-upload-bytes").Should().Equal(stored.StoredSize);
        stored.StoredSize.Should().Be(20_000);
        Values("aof-archive-upload-duration").Should().ContainSingle().Which.Should().BeGreaterThanOrEqualTo(0);
        Values("aof-archive-download-bytes", ("kind", "segment")).Should().Equal(20_000);
        Values("aof-archive-download-duration").Should().HaveCount(1);
        Values("aof-archive-failures").Should().BeEmpty();

        Span(StorageTelemetry.ArchiveUploadSpan).GetTagItem(AofTags.Bytes).Should().Be(20_000L);
        Span(StorageTelemetry.ArchiveDownloadSpan).GetTagItem(AofTags.Bytes).Should().Be(20_000L);
        foreach (var span in _spans.Where(s => Equals(s.GetTagItem(AofTags.Log), Log)))
        {
            (span.GetTagItem(AofTags.Partition), span.GetTagItem(AofTags.ArchiveObject), span.Kind).Should().Be(("0", key.FileName, ActivityKind.Client));
            span.Status.Should().Be(ActivityStatusCode.Unset);
        }
    }

    [Fact]
    public async Task Failures_AreCountedByOperationAndReason_AndTheCallerSeesTheSameError()
    {
        var key = Key("1", 0);
        var (path, _, facts) = CreateSegmentFile("seg", 100, seed: 1);
        var throttled = new ArchiveUnavailableException(ArchiveUnavailableReason.Throttled, "test", "slow down", isTransient: true);
        var integrity = new ArchiveIntegrityException(key.RelativeKey, "checksum differs");

        await FluentActions.Awaiting(() => new InstrumentedSegmentArchive(new FailingArchive(FolderArchive, throttled)).PutAsync(key, path, facts, None))
            .Should().ThrowAsync<ArchiveUnavailableException>().Where(e => ReferenceEquals(e, throttled));
        await FluentActions.Awaiting(() => new InstrumentedSegmentArchive(new FailingArchive(FolderArchive, integrity)).DownloadAsync(key, Scratch.Combine("x"), None))
            .Should().ThrowAsync<ArchiveIntegrityException>();
        await FluentActions.Awaiting(() => new InstrumentedSegmentArchive(FolderArchive).DownloadAsync(key, Scratch.Combine("y"), None))
            .Should().ThrowAsync<ArchiveObjectNotFoundException>();

        Failures().Should().BeEquivalentTo([("upload", "throttled"), ("download", "integrity"), ("download", "not-found")]);
        var failedUpload = Span(StorageTelemetry.ArchiveUploadSpan);
        failedUpload.Status.Should().Be(ActivityStatusCode.Error);
        failedUpload.Events.Select(e => e.Name).Should().Equal("exception");
        Values("aof-archive-upload-bytes").Should().BeEmpty("nothing was stored");
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _meters.Dispose();
            _traces.Dispose();
            _root.Dispose();
        }
    }

    private Activity Span(string name) => _spans.Where(s => s.OperationName == name && Equals(s.GetTagItem(AofTags.Log), Log)).Should().ContainSingle().Subject;

    private List<double> Values(string instrument, params (string Key, string Value)[] tags) =>
        [.. _measurements.Where(m => m.Instrument == instrument && m.Tags.GetValueOrDefault("log") == Log && tags.All(t => m.Tags.GetValueOrDefault(t.Key) == t.Value)).Select(m => m.Value)];

    private List<(string Operation, string Reason)> Failures() =>
        [.. _measurements.Where(m => m.Instrument == "aof-archive-failures" && m.Tags.GetValueOrDefault("log") == Log).Select(m => (m.Tags["operation"]!, m.Tags["reason"]!))];

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value as string;
        }

        _measurements.Enqueue((instrument.Name, value, copy));
    }

    /// <summary>Throws <paramref name="error"/> from every call that moves bytes; the rest goes to the folder archive.</summary>
    private sealed class FailingArchive(ISegmentArchive inner, Exception error) : ISegmentArchive
    {
        public string Description => "failing";

        public Task<ArchivedObjectInfo> PutAsync(ArchiveObjectKey key, string localPath, SegmentFileFacts original, CancellationToken cancellationToken) => Task.FromException<ArchivedObjectInfo>(error);

        public Task<ArchivedObjectInfo?> GetInfoAsync(ArchiveObjectKey key, CancellationToken cancellationToken) => inner.GetInfoAsync(key, cancellationToken);

        public Task DownloadAsync(ArchiveObjectKey key, string destinationPath, CancellationToken cancellationToken) => Task.FromException(error);

        public IAsyncEnumerable<ArchivedObjectInfo> ListAsync(string log, string partition, CancellationToken cancellationToken) => inner.ListAsync(log, partition, cancellationToken);

        public Task DeleteAsync(ArchiveObjectKey key, CancellationToken cancellationToken) => inner.DeleteAsync(key, cancellationToken);
    }
}
