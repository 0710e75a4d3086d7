using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using OrleansAof.TestInfrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OrleansAof.IntegrationTests;

/// <summary>
/// The silo host as operators run it: its Prometheus <c>/metrics</c> after an append, an archive and a read holds every
/// instrument docs/observability.md marks <c>always</c>, with exactly its documented tags; the Orleans dashboard is
/// served when <c>Aof:Dashboard</c> is set; traces and metrics reach an OTLP endpoint when <c>Aof:OtlpEndpoint</c> is set.
/// </summary>
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed partial class ObservabilityProcessTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _data = new("observability");

    [Fact]
    public async Task Metrics_AfterAppendArchiveAndRead_HoldEveryDocumentedInstrumentWithItsTags()
    {
        await using var silo = new SiloHostProcess(Dir("data"), new Dictionary<string, string>
        {
            ["Aof__SiloName"] = "obs-0",
            ["Aof__ArchivePath"] = Path.Combine(_data.Path, "archive"),
            ["Aof__MaxSegmentBytes"] = "8192",
            ["Aof__MaxRecordBytes"] = "2048",
            ["Aof__KeepLocalSegments"] = "1",
            ["Aof__Dashboard"] = "true",
        });
        await silo.StartAsync();
        using var client = await silo.ConnectClientAsync();
        var log = client.Logs().GetLog("metered");

        // Append: 40 records of 1,000 bytes roll 8 KiB segments over several times.
        var payload = Encoding.ASCII.GetBytes(new string('m', 1000));
        for (var i = 0; i < 40; i++)
        {
            (await log.AppendToPartitionAsync("0", payload)).FirstId.Should().Be(i);
        }

        // Archive: each seal pokes the archiver; the admin call archives whatever still waits. Sealed segments end up
        // archived, and all but the newest local one evicted.
        (await client.Services.GetRequiredService<IClusterClient>().GetGrain<IPartitionAdminGrain>(PartitionKey.Format("metered", "0")).RunArchivalAsync(64)).Error.Should().BeNull();
        PartitionStatus info = null!;
        await Wait.UntilAsync(
            async () =>
            {
                info = await log.GetInfoAsync("0");
                return info.Archive!.BacklogSegments == 0 && info.Segments.Any(s => s.Status == "LocalEvicted");
            },
            "every sealed segment is archived and the older ones evicted");
        var archived = info.Segments.Count(s => s.Status is "Archived" or "LocalEvicted");
        var evicted = info.Segments.Count(s => s.Status == "LocalEvicted");
        archived.Should().BeGreaterThan(1);

        // Read twice from id 0: the first read downloads the evicted segment (a cache miss), the second finds it (a hit;
        // another count, or the grain would answer it from its last read). The first read is answered while the segment
        // still streams in, so the second waits until the download has landed (the download is counted as it ends, the
        // segment enters the cache in the same step): a read that joins a download in flight is a miss too.
        (await log.ReadAsync("0", 0, maxRecords: 3)).Count.Should().Be(3);
        await Wait.UntilAsync(
            async () => Parse((await silo.HealthAsync("/metrics")).Body)
                .Where(s => s.Name == "aof_archive_download_duration_milliseconds_count" && s.Labels.GetValueOrDefault("kind") == "segment")
                .Sum(s => s.Value) >= 1,
            "the first read's download ends");
        (await log.ReadAsync("0", 0, maxRecords: 2)).Count.Should().Be(2);

        var documented = ObservabilityDoc.Instruments();
        var always = documented.Values.Where(i => i.Seen == "always").ToList();
        always.Should().HaveCountGreaterThan(20);
        List<Sample> samples = [];
        double Value(string name, params (string Key, string Value)[] labels) =>
            samples.Where(s => s.Name == name && labels.All(l => s.Labels.GetValueOrDefault(l.Key) == l.Value)).Sum(s => s.Value);

        await Wait.UntilAsync(
            async () =>
            {
                samples = Parse((await silo.HealthAsync("/metrics")).Body);
                return always.All(i => samples.Any(s => s.Name == SeriesName(i)))
                    && Value("aof_archive_cache_requests_total", ("log", "metered"), ("result", "hit")) >= 1;
            },
            "/metrics holds a series of every instrument documented as always present");

        foreach (var instrument in always)
        {
            var series = samples.Where(s => s.Name == SeriesName(instrument)).ToList();
            foreach (var sample in series)
            {
                sample.Labels.Keys.Where(k => !k.StartsWith("otel_scope_", StringComparison.Ordinal)).Should()
                    .BeEquivalentTo(instrument.Tags, $"{sample.Name} carries exactly the documented tags of {instrument.Name}");
            }
        }

        Value("aof_appended_records_total").Should().Be(40);
        Value("aof_appended_bytes_total").Should().Be(40_000);
        Value("aof_flushed_records_total", ("log", "metered")).Should().Be(40);
        Value("aof_archived_segments_total", ("log", "metered")).Should().Be(archived);
        Value("aof_evicted_segments_total", ("log", "metered")).Should().Be(evicted);
        Value("aof_archive_upload_duration_milliseconds_count", ("log", "metered")).Should().Be(archived);
        Value("aof_archive_upload_bytes_total", ("log", "metered")).Should().Be(info.Segments.Where(s => s.Status is "Archived" or "LocalEvicted").Sum(s => s.SizeBytes));
        Value("aof_archive_backlog_segments", ("log", "metered")).Should().Be(0);
        Value("aof_archive_cache_requests_total", ("log", "metered"), ("result", "miss")).Should().Be(1);
        Value("aof_archive_cache_requests_total", ("log", "metered"), ("result", "hit")).Should().Be(1);
        Value("aof_archive_download_duration_milliseconds_count", ("log", "metered"), ("kind", "segment")).Should().Be(1);
        Value("aof_archival_runs_total", ("log", "metered"), ("result", "success")).Should().BeGreaterThanOrEqualTo(1);
        samples.Should().NotContain(s => s.Labels.ContainsKey("partition"), "partition tags are off by default");

        // The Orleans dashboard, enabled by Aof:Dashboard.
        var (status, body) = await silo.HealthAsync("/dashboard");
        status.Should().Be(HttpStatusCode.OK);
        body.Should().Contain("<html", because: "the dashboard's page is served");
        output.WriteLine($"{samples.Count} samples, {always.Count} instruments checked");
    }

    [Fact]
    public async Task Dashboard_IsNotServedByDefault()
    {
        await using var silo = new SiloHostProcess(Dir("plain"), new Dictionary<string, string> { ["Aof__SiloName"] = "obs-1" });
        await silo.StartAsync();
        (await silo.HealthAsync("/dashboard")).Status.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Otlp_WhenConfigured_ReceivesTheSilosSpansAndMetrics()
    {
        using var receiver = new OtlpReceiver();
        await using var silo = new SiloHostProcess(Dir("otlp"), new Dictionary<string, string>
        {
            ["Aof__SiloName"] = "obs-2",
            ["Aof__OtlpEndpoint"] = receiver.Endpoint,
            ["Aof__OtlpProtocol"] = "HttpProtobuf",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        });
        await silo.StartAsync();
        using var client = await silo.ConnectClientAsync();
        (await client.Logs().GetLog("exported").AppendToPartitionAsync("0", [1, 2, 3])).FirstId.Should().Be(0);

        await Wait.UntilAsync(() => receiver.Contains("/v1/traces", "aof.partition.append") && receiver.Contains("/v1/traces", "aof.engine.append"), "the grain's and the engine's append spans reach the OTLP trace endpoint");
        await Wait.UntilAsync(() => receiver.Contains("/v1/metrics", "aof-appended-records"), "the append metrics reach the OTLP metrics endpoint");
    }

    [Fact]
    public async Task Otlp_InvalidEndpoint_StopsTheSiloNamingTheOption()
    {
        await using var silo = new SiloHostProcess(Dir("bad"), new Dictionary<string, string>
        {
            ["Aof__SiloName"] = "obs-3",
            ["Aof__OtlpEndpoint"] = "collector:4317",
        });
        var start = async () => await silo.StartAsync();
        (await start.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain("Aof:OtlpEndpoint");
    }

    public void Dispose() => _data.Dispose();

    private string Dir(string name) => Directory.CreateDirectory(Path.Combine(_data.Path, name)).FullName;

    private static string SeriesName(DocumentedInstrument instrument) =>
        instrument.Type == "histogram" ? instrument.Prometheus + "_count" : instrument.Prometheus;

    private static List<Sample> Parse(string exposition)
    {
        var samples = new List<Sample>();
        foreach (var line in exposition.Split('\n'))
        {
            var match = SampleLine().Match(line);
            if (!match.Success)
            {
                continue;
            }

            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match label in LabelPair().Matches(match.Groups["labels"].Value))
            {
                labels[label.Groups[1].Value] = label.Groups[2].Value;
            }

            samples.Add(new Sample(match.Groups["name"].Value, labels, double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture)));
        }

        return samples;
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>[^ ]+)")]
    private static partial Regex SampleLine();

    [GeneratedRegex("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"")]
    private static partial Regex LabelPair();

    private sealed record Sample(string Name, Dictionary<string, string> Labels, double Value);

    /// <summary>An OTLP/HTTP endpoint on 127.0.0.1 that keeps the bodies it receives, by path.</summary>
    private sealed class OtlpReceiver : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly List<(string Path, byte[] Body)> _received = [];
        private readonly Task _loop;

        public OtlpReceiver()
        {
            var port = FreePort.Find();
            Endpoint = $"http://127.0.0.1:{port}/";
            _listener.Prefixes.Add(Endpoint);
            _listener.Start();
            _loop = Task.Run(ServeAsync);
        }

        public string Endpoint { get; }

        /// <summary>Whether a body posted to <paramref name="path"/> contains <paramref name="text"/> (protobuf keeps strings as UTF-8).</summary>
        public bool Contains(string path, string text)
        {
            var needle = Encoding.UTF8.GetBytes(text);
            lock (_received)
            {
                return _received.Any(r => r.Path == path && r.Body.AsSpan().IndexOf(needle) >= 0);
            }
        }

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
            _ = _loop;
        }

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                lock (_received)
                {
                    _received.Add((context.Request.Url!.AbsolutePath, body.ToArray()));
                }

                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/x-protobuf";
                context.Response.Close();
            }
        }
    }
}
