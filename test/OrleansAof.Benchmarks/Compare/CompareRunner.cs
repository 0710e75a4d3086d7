using System.Diagnostics;
using System.Globalization;
using System.Text;
using OrleansAof.Benchmarks.Shared;
using OrleansAof.Storage;

namespace OrleansAof.Benchmarks.Compare;

/// <summary>
/// <c>compare [--quick] [--rounds N] [--only sync1,sync64,throughput,scan,open,alloc,policies] [--sizes 64,1024,16384] [--active-segment-write Mapped|Write]</c>:
/// the side-by-side comparison of the engine with a raw FileStream baseline and FasterLog 2.6.5, in one process,
/// in interleaved rounds, ending with one Markdown report (ratios are medians of per-round ratios).
/// <c>--only replica-catchup</c> measures a wiped replica rebuilt by segment installs against the engine's scan of the same
/// records (<see cref="ReplicaCatchUpBenchmark"/>); it is not part of the default set either.
/// <c>--only grain-sync64,producer,client-tail,archive-put,archive-read [--tail-seconds N]</c> runs the comparisons of
/// the Orleans layer (a silo and an external client over TCP in this process) and of the S3 archive (against s3rver);
/// they are not part of the default set.
/// </summary>
internal static class CompareRunner
{
    private const int TargetSize = 1024;

    private static readonly string[] DefaultSections = ["sync1", "sync64", "throughput", "scan", "open", "alloc", "policies"];

    private static readonly string[] ClusterSections = ["grain-sync64", "producer", "client-tail"];

    private static readonly string[] ArchiveSections = ["archive-put", "archive-read"];

    private static readonly string[] AllSections = [.. DefaultSections, .. ClusterSections, .. ArchiveSections, "streams", "replica-catchup"];

    private sealed record Settings(bool Quick, int Rounds, int OtherSizeRounds, TimeSpan Slice, long VolumeBytes, long ScanBytes, int Opens, int[] Sizes, HashSet<string> Sections, int TailSeconds);

    public static async Task<int> RunAsync(string[] args)
    {
        Settings settings;
        try
        {
            settings = Parse(args);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            await Console.Error.WriteLineAsync("usage: compare [--quick] [--rounds N] [--only " + string.Join(',', AllSections) + "] [--sizes 64,1024,16384] [--tail-seconds N] [--active-segment-write Mapped|Write]");
            return 2;
        }

        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var loadBefore = Machine.LoadAverage();
        using var temp = new TempRoot("aof-bench");
        var targets = new List<RatioRow>();
        var others = new List<RatioRow>();
        var absolute = new List<AbsoluteRow>();
        var matrix = new StringBuilder();
        var notes = new List<string>();
        var faster64 = FasterGroupCommit.AutoCommitMaxParallel1;

        void Progress(string message) => Console.Error.WriteLine(FormattableString.Invariant($"[{clock.Elapsed:mm\\:ss}] {message}"));

        foreach (var size in settings.Sizes)
        {
            var rows = size == TargetSize ? targets : others;
            var rounds = size == TargetSize ? settings.Rounds : settings.OtherSizeRounds;
            var payload = Payloads.Of(size);
            var sizeName = Payloads.SizeName(size);
            var slice = settings.Slice;

            if (settings.Sections.Contains("sync1"))
            {
                Progress($"{sizeName}: one durable appender — raw FileStream, ours Sync x1, FasterLog commit per record ({rounds} rounds)");
                await using var raw = new RawWriteFsyncSubject(temp.NewFolder("raw"), payload, slice);
                await using var ours = await EngineAppendSubject.OpenAsync(temp.NewFolder("sync1"), FlushPolicy.Sync, 1, payload, slice);
                await using var faster = new FasterCommitPerRecordSubject(temp.NewFolder("faster1"), payload, slice);
                var s = await Interleave.RunAsync([raw, ours, faster], rounds, quiesce: false);
                var isTarget = size == TargetSize;
                rows.Add(new RatioRow(isTarget ? "T2" : "", sizeName, "ours Sync x1", s[ours], raw.Name, s[raw], RateUnit.RecordsPerSecond, isTarget ? 0.9 : null));
                rows.Add(new RatioRow("", sizeName, faster.Name, s[faster], raw.Name, s[raw], RateUnit.RecordsPerSecond, null));
                rows.Add(new RatioRow("", sizeName, "ours Sync x1", s[ours], faster.Name, s[faster], RateUnit.RecordsPerSecond, null));
            }

            if (settings.Sections.Contains("sync64"))
            {
                // At the target size every FasterLog group-commit mode runs; the fastest (by median) is the peer.
                var modes = size == TargetSize ? Enum.GetValues<FasterGroupCommit>() : [faster64];
                Progress($"{sizeName}: 64 durable appenders — ours Sync x64, FasterLog 64 producers ({string.Join(", ", modes.Select(FasterGroupCommitSubject.ModeName))}; {rounds} rounds)");
                await using var ours = await EngineAppendSubject.OpenAsync(temp.NewFolder("sync64"), FlushPolicy.Sync, 64, payload, slice);
                var peers = new List<FasterGroupCommitSubject>();
                foreach (var mode in modes)
                {
                    peers.Add(new FasterGroupCommitSubject(temp.NewFolder("faster64"), mode, 64, payload, slice));
                }

                try
                {
                    var s = await Interleave.RunAsync([ours, .. peers], rounds, quiesce: false);
                    var best = peers.OrderByDescending(p => Stats.Median(s[p].Select(x => x.RecordsPerSecond))).First();
                    if (size == TargetSize)
                    {
                        faster64 = modes[peers.IndexOf(best)];
                    }

                    rows.Add(new RatioRow(size == TargetSize ? "T1" : "", sizeName, "ours Sync x64", s[ours], best.Name, s[best], RateUnit.RecordsPerSecond, size == TargetSize ? 2.0 : null));
                    foreach (var p in peers.Where(p => p != best))
                    {
                        rows.Add(new RatioRow("", sizeName, "ours Sync x64", s[ours], p.Name, s[p], RateUnit.RecordsPerSecond, null));
                    }

                    foreach (var p in peers.Where(p => p.ReleaseCommits > 0))
                    {
                        notes.Add($"{sizeName}, {p.Name}: producers were still waiting for a commit after the end of a slice; {p.ReleaseCommits} CommitStrongly() call(s) released them; those slices are timed as if the last commit had completed at the deadline (in FasterLog's favour).");
                    }
                }
                finally
                {
                    foreach (var p in peers)
                    {
                        await p.DisposeAsync();
                    }
                }
            }

            if (settings.Sections.Contains("throughput"))
            {
                var records = Math.Min(settings.VolumeBytes / size, settings.Quick ? 256 * 1024 : 512 * 1024);
                Progress($"{sizeName}: throughput, {records:N0} records per slice — ours Batched(1000) x1 and Async x1, FasterLog enqueue + one commit ({rounds} rounds)");
                await using var batched = await EngineVolumeSubject.OpenAsync(temp.NewFolder("batched"), FlushPolicy.Batched(1000), payload, records);
                await using var async = await EngineVolumeSubject.OpenAsync(temp.NewFolder("async"), FlushPolicy.Async, payload, records);
                await using var faster = new FasterEnqueueVolumeSubject(temp.NewFolder("fasterq"), payload, records);
                var isTarget = size == TargetSize;

                // At the target size also the batch API (one write per 100 records), for context: not a target line.
                await using var batches = isTarget ? await EngineVolumeSubject.OpenAsync(temp.NewFolder("batches"), FlushPolicy.Async, payload, records, batch: 100) : null;
                ISubject[] subjects = batches is null ? [batched, async, faster] : [batched, async, faster, batches];
                var s = await Interleave.RunAsync(subjects, rounds, quiesce: true);
                rows.Add(new RatioRow(isTarget ? "T3" : "", sizeName, batched.Name, s[batched], faster.Name, s[faster], RateUnit.MiBPerSecond, isTarget ? 1.0 : null));
                rows.Add(new RatioRow(isTarget ? "T3" : "", sizeName, async.Name, s[async], faster.Name, s[faster], RateUnit.MiBPerSecond, isTarget ? 1.0 : null));
                if (batches is not null)
                {
                    rows.Add(new RatioRow("", sizeName, batches.Name, s[batches], faster.Name, s[faster], RateUnit.MiBPerSecond, null));
                }
            }

            if (settings.Sections.Contains("scan"))
            {
                var records = Math.Min(settings.ScanBytes / size, 2 * 1024 * 1024);
                Progress($"{sizeName}: scan of {records:N0} records — writing both logs");
                await using var ours = await EngineScanSubject.CreateAsync(temp.NewFolder("scan"), payload, records);
                await using var faster = await FasterScanSubject.CreateAsync(temp.NewFolder("fasterscan"), payload, records);
                var isTarget = size == TargetSize;

                // Ours verifies a CRC-32C per record; at the target size FasterLog with its own per-entry checksum runs too, for context.
                await using var withChecksums = isTarget ? await FasterScanSubject.CreateAsync(temp.NewFolder("fasterscanck"), payload, records, checksums: true) : null;
                Progress($"{sizeName}: scan, warm ({rounds} rounds)");
                ISubject[] subjects = withChecksums is null ? [ours, faster] : [ours, faster, withChecksums];
                var s = await Interleave.RunAsync(subjects, rounds, quiesce: false);
                rows.Add(new RatioRow(isTarget ? "T4" : "", sizeName, ours.Name, s[ours], faster.Name, s[faster], RateUnit.MiBPerSecond, isTarget ? 0.8 : null));
                if (withChecksums is not null)
                {
                    rows.Add(new RatioRow("", sizeName, ours.Name, s[ours], withChecksums.Name, s[withChecksums], RateUnit.MiBPerSecond, null));
                }
            }

            if (settings.Sections.Contains("policies"))
            {
                if (matrix.Length == 0)
                {
                    matrix.AppendLine("| size | policy | x1 rec/s | x1 MiB/s | x64 rec/s | x64 MiB/s |");
                    matrix.AppendLine("|---|---|---:|---:|---:|---:|");
                }

                matrix.Append(await PolicyMatrixAsync(temp, payload, settings.Quick ? 2 : 3, settings.Slice, Progress));
            }
        }

        if (ClusterSections.Any(settings.Sections.Contains))
        {
            await ClusterComparisonsAsync(settings, temp, targets, absolute, notes, Progress);
        }

        if (ArchiveSections.Any(settings.Sections.Contains))
        {
            await ArchiveComparisonsAsync(settings, temp, targets, notes, Progress);
        }

        if (settings.Sections.Contains("streams"))
        {
            Progress($"streams: AddAppendLogStreams (Sync) vs memory streams, {(settings.Quick ? 3 : 5)} rounds of {(settings.Quick ? 2_000 : 5_000):N0} events");
            absolute.AddRange(await StreamsBenchmark.RunAsync(temp.NewFolder("streams"), settings.Quick ? 2_000 : 5_000, settings.Quick ? 3 : 5, Progress));
        }

        if (settings.Sections.Contains("replica-catchup"))
        {
            absolute.AddRange(await ReplicaCatchUpBenchmark.RunAsync(temp, settings.Quick ? 128L << 20 : 256L << 20, settings.Quick ? 3 : 5, Progress));
        }

        if (settings.Sections.Contains("open"))
        {
            absolute.AddRange(await OpenBenchmark.RunAsync(temp, settings.Opens, Progress));
        }

        if (settings.Sections.Contains("alloc"))
        {
            absolute.AddRange(await AllocationProbe.RunAsync(temp, settings.Quick, Progress));
        }

        var report = new StringBuilder();
        report.AppendLine("## OrleansAof storage engine: side-by-side comparison");
        report.AppendLine();
        var command = $"dotnet run -c Release --project test/OrleansAof.Benchmarks -- compare {string.Join(' ', args)}".TrimEnd();
        report.AppendLine(CultureInfo.InvariantCulture, $"- command: `{command}` ({started:yyyy-MM-dd HH:mm} UTC, {clock.Elapsed.TotalMinutes:0.0} min)");
        report.AppendLine(CultureInfo.InvariantCulture, $"- machine: {Machine.Cpu()}, {Machine.Memory()} RAM; {Machine.Runtime()}");
        report.AppendLine(CultureInfo.InvariantCulture, $"- disk: {Disk.Describe(temp.Path)} (shared and noisy: compare ratios, not absolute rates); load average {loadBefore} at start, {Machine.LoadAverage()} at end");
        report.AppendLine(CultureInfo.InvariantCulture, $"- method: every comparison runs its subjects in {settings.Rounds} interleaved rounds ({settings.OtherSizeRounds} for sizes other than 1 KiB) of {settings.Slice.TotalSeconds:0.##} s slices (throughput: fixed volume; scan: whole log), order rotating per round, after one unrecorded warm-up slice each; a ratio is the median of per-round ratios (p25–p75 in brackets). Rates are medians of the rounds. Engine: default options (64 MiB segments, Preallocation Auto, FlushOnCallerThread, ActiveSegmentWrite {Engine.ActiveSegmentWrite}) with BackpressureMode.Wait. FasterLog 2.6.5: default settings.");
        report.AppendLine();
        report.Append(Summary(targets, absolute));
        if (targets.Count > 0)
        {
            report.AppendLine("### Targets (1 KiB records)");
            report.AppendLine();
            report.Append(Report.RatioTable(targets));
            report.AppendLine();
        }

        if (absolute.Count > 0)
        {
            report.AppendLine("### Absolute values (open time, allocations, client tail)");
            report.AppendLine();
            report.Append(Report.AbsoluteTable(absolute));
            report.AppendLine();
        }

        if (others.Count > 0)
        {
            report.AppendLine("### Other record sizes (no targets)");
            report.AppendLine();
            report.Append(Report.RatioTable(others));
            report.AppendLine();
        }

        if (notes.Count > 0)
        {
            report.AppendLine("### Notes from the run");
            report.AppendLine();
            foreach (var note in notes)
            {
                report.AppendLine(CultureInfo.InvariantCulture, $"- {note}");
            }

            report.AppendLine();
        }

        if (matrix.Length > 0)
        {
            report.AppendLine("### Every flush policy, 1 and 64 appenders (engine only; durable throughput: non-Sync slices end with FlushAsync)");
            report.AppendLine();
            report.Append(matrix);
        }

        Console.WriteLine(report.ToString());
        return 0;
    }

    private static string Summary(List<RatioRow> targets, List<AbsoluteRow> absolute)
    {
        var goals = new (string Id, string Text, bool Any)[]
        {
            ("T1", "Sync, 64 appenders, 1 KiB: ≥ 2x FasterLog's 64-producer group commit (records/s)", false),
            ("T2", "Sync, one appender, 1 KiB: ≥ 0.9x a raw write + fsync per record", false),
            ("T3", "Batched(1000) or Async, 1 KiB: ≥ 1.0x FasterLog enqueue-only (MiB/s)", true),
            ("T4", "Scan, 1 KiB: ≥ 0.8x FasterLog's scan", false),
            ("T5", "Opening 1 GiB of sealed segments (+ a 64 MiB active one): < 200 ms", false),
            ("T6", "Steady-state appends allocate nothing per record (non-Sync policies)", false),
            ("O1", "Client over TCP -> one partition grain, Sync, 64 appenders, 1 KiB: ≥ 1.0x FasterLog's 64-producer group commit in-process (records/s)", false),
            ("O2", "Client LogProducer -> partition (BatchedOrPeriodic), 1 KiB: ≥ 0.7x the same batches to a no-op grain (records/s)", false),
            ("O3", "Client IAsyncEnumerable tail keeps up with a producer paced at 50,000 records/s", false),
            ("A1", "S3 archive put of a 64 MiB sealed segment (with verification): ≥ 0.8x a raw SDK upload of the same bytes (MiB/s)", false),
            ("A2", "Sequential read of archived records via ArchiveReader: ≥ 0.8x a raw GetObject of the same object (MiB/s)", false),
        };
        var sb = new StringBuilder();
        sb.AppendLine("### Summary");
        sb.AppendLine();
        foreach (var (id, text, any) in goals)
        {
            var verdicts = targets.Where(r => r.Target == id && r.Passed is not null).Select(r => r.Passed!.Value)
                .Concat(absolute.Where(r => r.Target == id && r.Passed is not null).Select(r => r.Passed!.Value))
                .ToList();
            var result = verdicts.Count == 0 ? "not run" : (any ? verdicts.Contains(true) : !verdicts.Contains(false)) ? "**PASS**" : "**MISS**";
            var ratios = string.Join(", ", targets.Where(r => r.Target == id).Select(r => $"{r.Ours}: {r.RatioMedian.ToString("0.00", CultureInfo.InvariantCulture)}x"));
            sb.AppendLine(CultureInfo.InvariantCulture, $"- {id} {text}: {result}{(ratios.Length > 0 ? " (" + ratios + ")" : "")}");
        }

        sb.AppendLine();
        return sb.ToString();
    }

    /// <summary>grain-sync64, producer and client-tail: a silo and an external client over TCP in this process, 1 KiB records.</summary>
    private static async Task ClusterComparisonsAsync(Settings settings, TempRoot temp, List<RatioRow> targets, List<AbsoluteRow> absolute, List<string> notes, Action<string> progress)
    {
        var payload = Payloads.Of(TargetSize);
        var sizeName = Payloads.SizeName(TargetSize);
        progress("orleans: starting a silo (TCP endpoints on free ports) and an external client through its gateway");
        await using var cluster = await BenchCluster.StartAsync(temp.NewFolder("silo"));
        if (settings.Sections.Contains("grain-sync64"))
        {
            var modes = Enum.GetValues<FasterGroupCommit>();
            progress($"{sizeName}: client -> partition grain Sync x64 over TCP, FasterLog 64 producers in-process ({string.Join(", ", modes.Select(FasterGroupCommitSubject.ModeName))}; {settings.Rounds} rounds)");
            var syncLog = cluster.Logs.GetLog("sync64");
            await using var ours = new GrainAppendSubject(syncLog, 64, payload, settings.Slice);
            await using var noop = GrainAppendSubject.ToNoopGrain(cluster.Grains, 64, payload, settings.Slice);
            var peers = new List<FasterGroupCommitSubject>();
            foreach (var mode in modes)
            {
                peers.Add(new FasterGroupCommitSubject(temp.NewFolder("faster64"), mode, 64, payload, settings.Slice));
            }

            try
            {
                var s = await Interleave.RunAsync([ours, noop, .. peers], settings.Rounds, quiesce: false);
                var best = peers.OrderByDescending(p => Stats.Median(s[p].Select(x => x.RecordsPerSecond))).First();
                targets.Add(new RatioRow("O1", sizeName, ours.Name, s[ours], best.Name, s[best], RateUnit.RecordsPerSecond, 1.0));
                targets.Add(new RatioRow("", sizeName, noop.Name, s[noop], best.Name, s[best], RateUnit.RecordsPerSecond, null));
                targets.Add(new RatioRow("", sizeName, ours.Name, s[ours], noop.Name, s[noop], RateUnit.RecordsPerSecond, null));
                notes.Add(FlushNote("Sync x64 partition", await syncLog.Partition("0").GetFlushStatisticsAsync()));
                progress($"{sizeName}: allocated per call, client and silo in this process (x1, sequential)");
                var noopGrain = cluster.Grains.GetGrain<INoopBatchGrain>("noop/alloc");
                var background = await AllocationProbe.BackgroundRateAsync(TimeSpan.FromSeconds(3));
                var (allocOurs, typesOurs) = await AllocationProbe.PerCallAsync(p => syncLog.AppendToPartitionAsync("alloc", p), payload, background);
                var (allocNoop, typesNoop) = await AllocationProbe.PerCallAsync(p => noopGrain.AppendAsync(p), payload, background);
                var (allocYield, _) = await AllocationProbe.PerCallAsync(p => noopGrain.AppendAfterYieldAsync(p), payload, background);
                absolute.Add(new AbsoluteRow("O1", $"allocated per call: client -> partition grain, Sync x1, {sizeName}", $"{allocOurs:N0} B", $"no-op grain, same call: {allocNoop:N0} B ({allocYield:N0} B when it completes after a yield, as a call that waits for a flush does); ours beyond the asynchronous Orleans call: {allocOurs - allocYield:N0} B (both ends of the call; the process's idle rate, {background / 1024:N0} KiB/s, taken off)", "", null));
                notes.Add($"Allocated types per call (sampled), partition grain: {typesOurs}. No-op grain: {typesNoop}.");
                foreach (var p in peers.Where(p => p != best))
                {
                    targets.Add(new RatioRow("", sizeName, ours.Name, s[ours], p.Name, s[p], RateUnit.RecordsPerSecond, null));
                }

                foreach (var p in peers.Where(p => p.ReleaseCommits > 0))
                {
                    notes.Add($"{sizeName}, {p.Name}: producers were still waiting for a commit after the end of a slice; {p.ReleaseCommits} CommitStrongly() call(s) released them; those slices are timed as if the last commit had completed at the deadline (in FasterLog's favour).");
                }
            }
            finally
            {
                foreach (var p in peers)
                {
                    await p.DisposeAsync();
                }
            }
        }

        if (settings.Sections.Contains("producer"))
        {
            var log = cluster.Logs.GetLog("producer");
            var policy = LogFlushPolicy.BatchedOrPeriodic(1000, TimeSpan.FromMilliseconds(10));
            await log.Partition("0").SetFlushPolicyAsync(policy);
            var options = new Client.LogProducerOptions();
            progress($"{sizeName}: LogProducer -> partition (BatchedOrPeriodic(1000, 10 ms)) vs the same batches to a no-op grain ({settings.Rounds} rounds)");
            await using var ours = new ProducerSubject(log.CreateProducer(options), "BatchedOrPeriodic(1000, 10 ms)", payload, settings.Slice);
            await using var noop = BatchCallSubject.ToNoopGrain(cluster.Grains, payload, options.MaxBatchBytes, settings.Slice);
            await using var direct = BatchCallSubject.ToPartition(log, "BatchedOrPeriodic(1000, 10 ms)", payload, options.MaxBatchBytes, settings.Slice);

            // For context: the same batches to a partition that never fsyncs during the slice (Async).
            var asyncLog = cluster.Logs.GetLog("producer-async");
            await asyncLog.Partition("0").SetFlushPolicyAsync(LogFlushPolicy.Async);
            await using var directAsync = BatchCallSubject.ToPartition(asyncLog, "Async", payload, options.MaxBatchBytes, settings.Slice);
            var s = await Interleave.RunAsync([ours, noop, direct, directAsync], settings.Rounds, quiesce: false);
            targets.Add(new RatioRow("O2", sizeName, ours.Name, s[ours], noop.Name, s[noop], RateUnit.RecordsPerSecond, 0.7));
            targets.Add(new RatioRow("", sizeName, direct.Name, s[direct], noop.Name, s[noop], RateUnit.RecordsPerSecond, null));
            targets.Add(new RatioRow("", sizeName, directAsync.Name, s[directAsync], noop.Name, s[noop], RateUnit.RecordsPerSecond, null));
            targets.Add(new RatioRow("", sizeName, ours.Name, s[ours], direct.Name, s[direct], RateUnit.RecordsPerSecond, null));
            notes.Add(FlushNote("producer partition", await log.Partition("0").GetFlushStatisticsAsync()));
        }

        if (settings.Sections.Contains("client-tail"))
        {
            progress($"{sizeName}: client tail against a producer paced at 50,000 records/s for {settings.TailSeconds} s");
            // The per-record form (TailAsync) is the target; the batch form runs next, on its own log, for comparison.
            absolute.AddRange(await ClientTailBenchmark.RunAsync(cluster.Logs.GetLog("tail"), 50_000, TargetSize, TimeSpan.FromSeconds(settings.TailSeconds), batches: false, progress));
            absolute.AddRange(await ClientTailBenchmark.RunAsync(cluster.Logs.GetLog("tail-batches"), 50_000, TargetSize, TimeSpan.FromSeconds(settings.TailSeconds), batches: true, progress));
        }
    }

    private static string FlushNote(string what, FlushStatistics f) => FormattableString.Invariant(
        $"{what}: {f.TotalFlushes:N0} fsyncs for {f.RecordsFlushed:N0} records ({(f.TotalFlushes == 0 ? 0 : f.RecordsFlushed / (double)f.TotalFlushes):0.0} records per fsync, at most {f.MaxRecordsPerFlush:N0}); fsync p50 {f.LatencyP50.TotalMilliseconds:0.00} ms, p99 {f.LatencyP99.TotalMilliseconds:0.00} ms.");

    /// <summary>archive-put and archive-read: our S3 archive against s3rver on 127.0.0.1, one 64 MiB sealed segment, compression off.</summary>
    private static async Task ArchiveComparisonsAsync(Settings settings, TempRoot temp, List<RatioRow> targets, List<string> notes, Action<string> progress)
    {
        var rounds = Math.Min(settings.Rounds, 12);
        progress("archive: starting s3rver on 127.0.0.1");
        await using var bench = await ArchiveBench.StartAsync(temp.NewFolder("archive"), Payloads.Of(TargetSize), progress);
        var size = $"{bench.Facts.Size / 1048576.0:0.0} MiB segment";
        if (settings.Sections.Contains("archive-put"))
        {
            var multipart = bench.Facts.Size >= bench.Options.MultipartThresholdBytes;
            progress($"archive: put of a {size} ({(multipart ? "multipart" : "one PUT")} in our archive) vs raw PutObject and TransferUtility ({rounds} rounds)");
            await using var ours = new ArchivePutSubject(bench, compatibilityMode: false);
            await using var compatible = new ArchivePutSubject(bench, compatibilityMode: true);
            await using var put = new RawPutSubject(bench, transferUtility: false);
            await using var transfer = new RawPutSubject(bench, transferUtility: true);
            await using var md5 = new Md5PassSubject(bench);
            var s = await Interleave.RunAsync([ours, compatible, put, transfer, md5], rounds, quiesce: true);
            var (peer, other) = multipart ? (transfer, put) : (put, transfer);
            targets.Add(new RatioRow("A1", size, ours.Name, s[ours], peer.Name, s[peer], RateUnit.MiBPerSecond, 0.9));
            targets.Add(new RatioRow("", size, ours.Name, s[ours], other.Name, s[other], RateUnit.MiBPerSecond, null));
            targets.Add(new RatioRow("", size, compatible.Name, s[compatible], peer.Name, s[peer], RateUnit.MiBPerSecond, null));
            notes.Add(FormattableString.Invariant($"archive put, medians per slice: ours {Stats.Median(s[ours].Select(x => x.Elapsed.TotalMilliseconds)):0} ms, ours in compatibility mode {Stats.Median(s[compatible].Select(x => x.Elapsed.TotalMilliseconds)):0} ms, {peer.Name} {Stats.Median(s[peer].Select(x => x.Elapsed.TotalMilliseconds)):0} ms, {other.Name} {Stats.Median(s[other].Select(x => x.Elapsed.TotalMilliseconds)):0} ms; {md5.Name} {Stats.Median(s[md5].Select(x => x.Elapsed.TotalMilliseconds)):0} ms."));
        }

        if (settings.Sections.Contains("archive-read"))
        {
            progress($"archive: sequential read of the archived {size} ({bench.Segment.RecordCount:N0} records) vs raw GetObject ({rounds} rounds)");
            await using var ours = new ArchiveReadSubject(bench, temp.NewFolder("archive-cache"));
            await using var raw = new RawGetSubject(bench);
            await using var download = new ArchiveDownloadSubject(bench, temp.NewFolder("archive-download"));
            var s = await Interleave.RunAsync([ours, raw, download], rounds, quiesce: true);
            targets.Add(new RatioRow("A2", size, ours.Name, s[ours], raw.Name, s[raw], RateUnit.MiBPerSecond, 0.9));
            targets.Add(new RatioRow("", size, download.Name, s[download], raw.Name, s[raw], RateUnit.MiBPerSecond, null));
            var split = ours.Split.Skip(1).ToList();
            notes.Add(FormattableString.Invariant($"{ours.Name}: the first read (listing, then the first records, served while the segment streams in) took {Stats.Median(split.Select(x => x.First.TotalMilliseconds)):0} ms (median), reading the records after it {Stats.Median(split.Select(x => x.Reading.TotalMilliseconds)):0} ms; {download.Name} {Stats.Median(s[download].Select(x => x.Elapsed.TotalMilliseconds)):0} ms; the raw GetObject {Stats.Median(s[raw].Select(x => x.Elapsed.TotalMilliseconds)):0} ms."));
        }
    }

    private static async Task<string> PolicyMatrixAsync(TempRoot temp, byte[] payload, int rounds, TimeSpan slice, Action<string> progress)
    {
        var policies = new[]
        {
            FlushPolicy.Sync,
            FlushPolicy.Batched(1000),
            FlushPolicy.Periodic(TimeSpan.FromMilliseconds(10)),
            FlushPolicy.BatchedOrPeriodic(1000, TimeSpan.FromMilliseconds(10)),
            FlushPolicy.Async,
        };
        var sizeName = Payloads.SizeName(payload.Length);
        progress($"{sizeName}: every flush policy x 1 and 64 appenders ({rounds} rounds)");
        var subjects = new List<EngineAppendSubject>();
        try
        {
            foreach (var policy in policies)
            {
                foreach (var appenders in new[] { 1, 64 })
                {
                    subjects.Add(await EngineAppendSubject.OpenAsync(temp.NewFolder("policy"), policy, appenders, payload, slice));
                }
            }

            var s = await Interleave.RunAsync([.. subjects], rounds, quiesce: true);
            var sb = new StringBuilder();
            for (var i = 0; i < subjects.Count; i += 2)
            {
                var one = s[subjects[i]];
                var many = s[subjects[i + 1]];
                sb.AppendLine(CultureInfo.InvariantCulture, $"| {sizeName} | {Engine.PolicyName(policies[i / 2])} | {Stats.Median(one.Select(x => x.RecordsPerSecond)):N0} | {Stats.Median(one.Select(x => x.MiBPerSecond)):N1} | {Stats.Median(many.Select(x => x.RecordsPerSecond)):N0} | {Stats.Median(many.Select(x => x.MiBPerSecond)):N1} |");
            }

            return sb.ToString();
        }
        finally
        {
            foreach (var subject in subjects)
            {
                await subject.DisposeAsync();
            }
        }
    }

    private static Settings Parse(string[] args)
    {
        var quick = false;
        int? rounds = null;
        var sections = new HashSet<string>(DefaultSections);
        int[]? sizes = null;
        var tailSeconds = 20;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--rounds" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var r) && r > 0:
                    rounds = r;
                    i++;
                    break;
                case "--only" when i + 1 < args.Length:
                    sections = [.. args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
                    if (sections.Except(AllSections).FirstOrDefault() is { } unknown)
                    {
                        throw new ArgumentException($"Unknown section '{unknown}'.");
                    }

                    break;
                case "--tail-seconds" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var t) && t > 0:
                    tailSeconds = t;
                    i++;
                    break;
                case "--active-segment-write" when i + 1 < args.Length && Enum.TryParse<ActiveSegmentWriteMode>(args[i + 1], ignoreCase: true, out var mode) && Enum.IsDefined(mode):
                    // Same binary, the other write path of the active segment (an A/B of PartitionLogOptions.ActiveSegmentWrite).
                    Engine.ActiveSegmentWrite = mode;
                    i++;
                    break;
                case "--sizes" when i + 1 < args.Length:
                    sizes = [.. args[++i].Split(',').Select(x => int.Parse(x, CultureInfo.InvariantCulture))];
                    break;
                default:
                    throw new ArgumentException($"Unknown argument '{args[i]}'.");
            }
        }

        if (quick)
        {
            // Targets only: 1 KiB, short slices, no policy matrix.
            sections.Remove("policies");
            return new Settings(true, rounds ?? 8, rounds ?? 8, TimeSpan.FromSeconds(0.25), 32L << 20, 64L << 20, 5, sizes ?? [TargetSize], sections, tailSeconds);
        }

        return new Settings(false, rounds ?? 25, Math.Max(3, (rounds ?? 25) / 3), TimeSpan.FromSeconds(0.4), 64L << 20, 256L << 20, 10, sizes ?? [TargetSize, 64, 16 * 1024], sections, tailSeconds);
    }
}
