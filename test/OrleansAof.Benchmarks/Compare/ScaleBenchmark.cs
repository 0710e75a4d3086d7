using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using OrleansAof.Benchmarks.Shared;
using OrleansAof.Client;
using OrleansAof.TestInfrastructure;

namespace OrleansAof.Benchmarks.Compare;

/// <summary>
/// <c>scale [--partitions 10000] [--records 2] [--size 1024] [--cold-concurrency 8] [--appenders 256] [--seconds 10]
/// [--hot 16] [--max-open 3000]</c>: the silo host as its own process (as an operator runs it, flush policy <c>Sync</c>)
/// and one client. Every partition gets its records (the first append to each is timed: a cold partition) and is read
/// back and compared byte for byte; then the silo's resident memory and the disk its data folder uses are read; then
/// <c>--appenders</c> concurrent appenders append for <c>--seconds</c> over <c>--hot</c> partitions and over all of them,
/// and the ratio is printed. Exit code 1 when a record read back differs.
/// </summary>
internal static class ScaleBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var partitions = Arg(args, "--partitions", 10_000);
        var records = Arg(args, "--records", 2);
        var size = Arg(args, "--size", 1024);
        var coldConcurrency = Arg(args, "--cold-concurrency", 8);
        var appenders = Arg(args, "--appenders", 256);
        var seconds = Arg(args, "--seconds", 10);
        var hot = Arg(args, "--hot", 16);
        var maxOpen = Arg(args, "--max-open", 3000);

        using var temp = new TempRoot("aof-scale");
        Disk.EnsureFreeSpace(temp.Path);
        var data = temp.NewFolder("data");
        Console.WriteLine($"scale: {partitions:N0} partitions x {records} records of {size} B; {appenders} appenders for {seconds} s over {hot} vs {partitions:N0} partitions; MaxOpenPartitions {maxOpen:N0}");
        Console.WriteLine($"machine: {Machine.Cpu()}, {Environment.ProcessorCount} cores, {Machine.Memory()}, {Machine.Runtime()}, {Disk.Describe(data)}, load {Machine.LoadAverage()}");

        await using var silo = await SiloHost.StartAsync(data, maxOpen);
        using var client = await ConnectAsync(silo.GatewayPort, silo.ClusterId);
        var logs = client.Services.GetRequiredService<IAppendLogClient>();
        var log = logs.GetLog("scale");

        // 1. Each partition: its first append (timed: the partition is created and opened), then the rest.
        var cold = new double[partitions];
        long payloadBytes = 0;
        var started = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(Enumerable.Range(0, partitions), new ParallelOptions { MaxDegreeOfParallelism = coldConcurrency }, async (p, _) =>
        {
            for (var i = 0; i < records; i++)
            {
                var payload = Payload(p, i, size);
                var t = Stopwatch.GetTimestamp();
                var ack = await log.AppendToPartitionAsync(Name(p), payload);
                if (i == 0)
                {
                    cold[p] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                }

                if (ack.FirstId != i)
                {
                    throw new InvalidOperationException($"partition {p}: record {i} got id {ack.FirstId}");
                }

                Interlocked.Add(ref payloadBytes, payload.Length);
            }
        });
        var appendPhase = Stopwatch.GetElapsedTime(started);

        // 2. Read every partition back, byte for byte.
        var wrong = 0;
        started = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(Enumerable.Range(0, partitions), new ParallelOptions { MaxDegreeOfParallelism = coldConcurrency }, async (p, _) =>
        {
            var batch = await log.ReadAsync(Name(p), 0);
            var ok = batch.Count == records;
            var i = 0;
            foreach (var record in batch.Records)
            {
                ok &= record.Id == i && record.Payload.Span.SequenceEqual(Payload(p, i, size));
                i++;
            }

            if (!ok)
            {
                Interlocked.Increment(ref wrong);
            }
        });
        var readPhase = Stopwatch.GetElapsedTime(started);

        var fdsAfterReads = silo.OpenFileDescriptors();
        var activations = await ActivationsAsync(client.Services.GetRequiredService<IClusterClient>());
        var openAfterReads = await silo.OpenPartitionsAsync();
        var rss = silo.ResidentBytes();
        var peak = silo.PeakResidentBytes();
        var disk = DiskUsage.AllocatedBytes(data);
        var diskBound = (2 * payloadBytes) + (partitions * (1L << 20));
        Array.Sort(cold);
        var p50 = cold[partitions / 2];
        var p99 = cold[Math.Min(partitions - 1, (int)(partitions * 0.99))];

        // 3. Sync throughput: the same appenders over a few partitions and over all of them.
        var hotLog = logs.GetLog("scale-hot");
        for (var p = 0; p < hot; p++)
        {
            await hotLog.AppendToPartitionAsync(Name(p), Payload(p, 0, size));
        }

        var (hotRate, hotRetries) = await ThroughputAsync(hotLog, hot, appenders, size, TimeSpan.FromSeconds(seconds));
        long flushes = 0, flushed = 0;
        for (var p = 0; p < hot; p++)
        {
            var stats = await client.Services.GetRequiredService<IClusterClient>().GetGrain<IPartitionGrain>(PartitionKey.Format(hotLog.Name, Name(p))).GetFlushStatisticsAsync();
            flushes += stats.TotalFlushes - stats.FailedFlushes;
            flushed += stats.RecordsFlushed;
        }

        var (allRate, allRetries) = await ThroughputAsync(log, partitions, appenders, size, TimeSpan.FromSeconds(seconds));
        var rssAfter = silo.ResidentBytes();
        var peakAfter = silo.PeakResidentBytes();

        Console.WriteLine();
        Console.WriteLine($"appended {partitions:N0} partitions x {records} in {appendPhase.TotalSeconds:0.0} s, read back in {readPhase.TotalSeconds:0.0} s; records that differ: {wrong}");
        Console.WriteLine($"first append to a cold partition ({coldConcurrency} at a time): p50 {p50:0.0} ms, p99 {p99:0.0} ms, max {cold[^1]:0.0} ms   target p99 < 50 ms: {(p99 < 50 ? "met" : "MISSED")}");
        Console.WriteLine($"silo resident memory after append+read: {Mib(rss)} MiB (peak {Mib(peak)} MiB)   target <= 1536 MiB: {(rss <= 1536L << 20 ? "met" : "MISSED")}; {openAfterReads.ReplaceLineEndings(" ")}, {fdsAfterReads:N0} file descriptors (limit {FileLimit()})");
        Console.WriteLine($"grain activations after append+read: {activations}");
        Console.WriteLine($"disk: {Mib(disk)} MiB for {Mib(payloadBytes)} MiB of payload; bound 2 x data + 1 MiB x partitions = {Mib(diskBound)} MiB   {(disk <= diskBound ? "met" : "MISSED")}");
        Console.WriteLine($"Sync appends/s, {appenders} appenders: {hot} partitions {hotRate:N0} ({hotRetries} retried), {partitions:N0} partitions {allRate:N0} ({allRetries} retried); ratio {allRate / hotRate:0.00}x   target >= 0.8x: {(allRate / hotRate >= 0.8 ? "met" : "MISSED")}");
        Console.WriteLine($"records per fsync on the {hot} partitions: {(flushes == 0 ? 0 : flushed / (double)flushes):0.0} (over {partitions:N0} partitions appender a takes a, a + {appenders}, ...: no two appenders share a partition, so one fsync per record)");
        Console.WriteLine($"silo resident memory after the throughput runs: {Mib(rssAfter)} MiB (peak {Mib(peakAfter)} MiB); partitions open: {await silo.OpenPartitionsAsync()}");
        return wrong == 0 ? 0 : 1;
    }

    private static async Task<(double Rate, long Retries)> ThroughputAsync(AppendLogHandle log, int partitions, int appenders, int size, TimeSpan duration)
    {
        long appended = 0, retries = 0;
        var payload = Payload(0, 0, size);
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var started = Stopwatch.GetTimestamp();
        var workers = Enumerable.Range(0, appenders).Select(a => Task.Run(async () =>
        {
            // Appender a takes the partitions a, a + appenders, ... in turn (all of them when there are fewer partitions).
            var p = a % partitions;
            while (Stopwatch.GetTimestamp() < deadline)
            {
                try
                {
                    await log.AppendToPartitionAsync(Name(p), payload);
                    Interlocked.Increment(ref appended);
                }
                catch (PartitionUnavailableException)
                {
                    // A partition closing (closed as least recently used) while it was called: the client retries.
                    Interlocked.Increment(ref retries);
                    continue;
                }

                p = partitions > appenders ? (p + appenders) % partitions : p;
            }
        })).ToArray();
        await Task.WhenAll(workers);
        return (Interlocked.Read(ref appended) / Stopwatch.GetElapsedTime(started).TotalSeconds, retries);
    }

    /// <summary>The grain types with the most activations on the silo (where its memory goes besides the open partitions).</summary>
    private static async Task<string> ActivationsAsync(IClusterClient client)
    {
        var stats = await client.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics();
        return string.Join(", ", stats.GroupBy(s => s.GrainType).Select(g => (Type: ShortName(g.Key), Count: g.Sum(s => s.ActivationCount)))
            .OrderByDescending(t => t.Count).Take(5).Select(t => $"{t.Type} {t.Count:N0}"));
    }

    private static string ShortName(string grainType)
    {
        var name = grainType.Split(',')[0];
        return name[(name.LastIndexOf('.') + 1)..];
    }

    private static async Task<IHost> ConnectAsync(int gatewayPort, string clusterId)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleansClient(client =>
        {
            client.UseLocalhostClustering(gatewayPort, serviceId: "aof", clusterId: clusterId);
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(60));
            client.AddAppendLogClient();
        });
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private static string Name(int partition) => partition.ToString(CultureInfo.InvariantCulture);

    private static byte[] Payload(int partition, int index, int size)
    {
        var bytes = new byte[size];
        var seed = (partition * 131) + (index * 7);
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(seed + i);
        }

        BitConverter.TryWriteBytes(bytes, partition);
        BitConverter.TryWriteBytes(bytes.AsSpan(4), index);
        return bytes;
    }

    private static string FileLimit() =>
        File.ReadLines("/proc/self/limits").FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal))?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3] ?? "n/a";

    private static string Mib(long bytes) => (bytes / (1024.0 * 1024)).ToString("N0", CultureInfo.InvariantCulture);

    private static int Arg(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }

    /// <summary>The silo host executable as a child process on free loopback ports, development clustering, no archive.</summary>
    /// <summary>The silo host as a <see cref="ChildProcess"/>, its stderr lines forwarded to stderr, with the /proc figures the benchmark reads.</summary>
    private sealed class SiloHost : IAsyncDisposable
    {
        private readonly ChildProcess _process;
        private readonly int _httpPort;

        private SiloHost(ChildProcess process, int gatewayPort, int httpPort, string clusterId)
        {
            _process = process;
            GatewayPort = gatewayPort;
            _httpPort = httpPort;
            ClusterId = clusterId;
        }

        public int GatewayPort { get; }

        public string ClusterId { get; }

        private int ProcessId => _process.ProcessId ?? throw new InvalidOperationException("The silo host was not started.");

        public static async Task<SiloHost> StartAsync(string dataRoot, int maxOpen)
        {
            var (siloPort, gatewayPort, httpPort) = (FreePort.Find(), FreePort.Find(), FreePort.Find());
            var clusterId = "scale-" + Guid.NewGuid().ToString("N")[..8];
            var environment = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["Aof__DataRoot"] = dataRoot,
                ["Aof__SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture),
                ["Aof__GatewayPort"] = gatewayPort.ToString(CultureInfo.InvariantCulture),
                ["Aof__HttpPort"] = httpPort.ToString(CultureInfo.InvariantCulture),
                ["Aof__ClusterId"] = clusterId,
                ["Aof__Archive"] = "None",
                ["Aof__MaxOpenPartitions"] = maxOpen.ToString(CultureInfo.InvariantCulture),
                ["Logging__LogLevel__Default"] = "Warning",
            };
            var process = new ChildProcess(
                $"scale-silo-host-{httpPort}",
                ChildProcess.RepositoryAssembly(Path.Combine("silo-host", "OrleansAof.SiloHost")),
                [],
                environment,
                dataRoot,
                static (line, fromStandardError) =>
                {
                    if (fromStandardError)
                    {
                        Console.Error.WriteLine("silo: " + line);
                    }
                });
            var silo = new SiloHost(process, gatewayPort, httpPort, clusterId);
            try
            {
                await process.StartAsync();
                await process.WaitReadyAsync(silo.ReadyAsync, "reports ready on /health/ready", TimeSpan.FromSeconds(60));
            }
            catch
            {
                await silo.DisposeAsync();
                throw;
            }

            return silo;
        }

        public long ResidentBytes() => Status("VmRSS:");

        public int OpenFileDescriptors() => Directory.GetFileSystemEntries($"/proc/{ProcessId}/fd").Length;

        public long PeakResidentBytes() => Status("VmHWM:");

        /// <summary>The ready endpoint's body (it names how many partitions are open).</summary>
        public async Task<string> OpenPartitionsAsync()
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            return (await http.GetStringAsync(new Uri($"http://127.0.0.1:{_httpPort}/health/ready"))).Trim();
        }

        private async Task<bool> ReadyAsync()
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            try
            {
                return (await http.GetAsync(new Uri($"http://127.0.0.1:{_httpPort}/health/ready"))).StatusCode == HttpStatusCode.OK;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }

        private long Status(string field)
        {
            foreach (var line in File.ReadLines($"/proc/{ProcessId}/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(field.Length).Trim().TrimEnd("kB").Trim(), NumberStyles.None, CultureInfo.InvariantCulture) * 1024;
                }
            }

            return -1;
        }

        public ValueTask DisposeAsync() => _process.DisposeAsync();
    }
}
