using System.Diagnostics;
using OrleansAof.Benchmarks.Shared;
using OrleansAof.Server.Replication;
using OrleansAof.Storage;

namespace OrleansAof.Benchmarks.Compare;

/// <summary>
/// <c>--only replica-catchup</c>: a wiped replica rebuilt by segment installs (the leader exports each sealed segment,
/// footer checked and checksummed; the replica writes, fsyncs and verifies every frame, then installs it by the ordinary
/// open) against the engine's sequential scan of the same records, in the same run, interleaved round by round. The
/// ratio is the median of the per-round ratios of MiB/s (issue target: catch-up ≥ 0.5x the scan).
/// </summary>
internal static class ReplicaCatchUpBenchmark
{
    private const long SegmentBytes = 16L * 1024 * 1024;

    public static async Task<List<AbsoluteRow>> RunAsync(TempRoot temp, long volumeBytes, int rounds, Action<string> progress)
    {
        var root = temp.NewFolder("replica-catchup");
        var payload = Payloads.Of(1024);
        var leaderOptions = Options(Path.Combine(root, "leader"));
        await using var leaderStore = await EngineReplicaLogStore.OpenAsync("log", "p0", leaderOptions);
        var local = Replica.Open("a", leaderStore, 1);
        local.Fence(1);
        var leader = new Leader(new ReplicationConfiguration(1, "a", ["a"]), local, LogPosition.Start, 64);
        var acks = new List<Acknowledgement>();
        progress($"replica-catchup: writing {volumeBytes >> 20} MiB of 1 KiB records through a leader, {SegmentBytes >> 20} MiB segments");
        leaderStore.Flush();
        leader.OnLocalFlush(acks);
        for (long written = 0, token = 1; written < volumeBytes; written += payload.Length, token++)
        {
            if (leader.Append(payload, token) < 0)
            {
                throw new InvalidOperationException("The leader does not serve.");
            }

            if (token % 4096 == 0 || leader.Deferred > 0)
            {
                leaderStore.Flush();
                leader.OnLocalFlush(acks);
            }
        }

        leaderStore.Flush();
        leader.OnLocalFlush(acks);
        var sealedLast = leaderStore.Partition.Writer.ActiveBaseId - 1;
        var sealedBytes = leaderStore.Partition.GetInfo().Segments.Where(s => s.Status != SegmentStatus.Active).Sum(s => s.SizeBytes);
        var catchUp = new List<double>();
        var scan = new List<double>();
        var copy = new List<double>();
        var ratios = new List<double>();
        var copyRatios = new List<double>();
        var files = leaderStore.Partition.GetInfo().Segments.Where(s => s.Status != SegmentStatus.Active)
            .Select(s => Path.Combine(leaderStore.Partition.DirectoryPath, PartitionLayout.SegmentsFolder, s.FileName)).ToList();
        for (var round = 0; round < rounds; round++)
        {
            var scanned = Scan(leaderStore.Partition, sealedLast);
            var installed = await InstallAllAsync(leaderStore, Path.Combine(root, "follower" + round));
            var copied = Copy(files, Path.Combine(root, "copy" + round), sealedLast + 1);
            scan.Add(scanned);
            catchUp.Add(installed);
            copy.Add(copied);
            ratios.Add(installed / scanned);
            copyRatios.Add(installed / copied);
            progress($"replica-catchup: round {round + 1}/{rounds}: installs {installed:0} MiB/s, scan {scanned:0} MiB/s, copy + fsync {copied:0} MiB/s");
        }

        var ratio = Stats.Median(ratios);
        return
        [
            new AbsoluteRow("", $"replica catch-up: {sealedBytes / (1024.0 * 1024):0} MiB in {SegmentBytes >> 20} MiB sealed segments, installs", $"{Stats.Median(catchUp):0} MiB/s", $"median of {rounds}; min {catchUp.Min():0}, max {catchUp.Max():0}", "", null),
            new AbsoluteRow("", "replica catch-up baseline: the engine's sequential scan of the same records", $"{Stats.Median(scan):0} MiB/s", $"median of {rounds}; min {scan.Min():0}, max {scan.Max():0}", "", null),
            new AbsoluteRow("", "replica catch-up context: a raw copy of the same segment files (read, write, fsync each)", $"{Stats.Median(copy):0} MiB/s", $"median of {rounds}; installs / copy {Stats.Median(copyRatios):0.00}x", "", null),
            new AbsoluteRow("R4", "replica catch-up / sequential scan", $"{ratio:0.00}x", $"median of per-round ratios; min {ratios.Min():0.00}x, max {ratios.Max():0.00}x", "≥ 0.5x", ratio >= 0.5),
        ];
    }

    private static PartitionLogOptions Options(string dataRoot)
        => new() { DataRoot = dataRoot, FlushPolicy = FlushPolicy.Async, MaxSegmentBytes = SegmentBytes, MaxUnflushedBytes = 256L * 1024 * 1024 };

    /// <summary>Reads every record of the sealed segments with the engine's zero-copy scan; MiB/s of frames' payloads and headers read.</summary>
    private static double Scan(PartitionLog log, long lastId)
    {
        var watch = Stopwatch.StartNew();
        long bytes = 0;
        long count = 0;
        foreach (var record in log.Scan(0, lastId))
        {
            bytes += record.Payload.Length;
            count++;
        }

        watch.Stop();
        if (count != lastId + 1)
        {
            throw new InvalidOperationException($"The scan read {count} records, not {lastId + 1}.");
        }

        return bytes / (1024.0 * 1024) / watch.Elapsed.TotalSeconds;
    }

    /// <summary>Copies the files with a write and an fsync each; MiB/s of record payloads (the same unit as the others).</summary>
    private static double Copy(List<string> files, string folder, long records)
    {
        Directory.CreateDirectory(folder);
        var watch = Stopwatch.StartNew();
        foreach (var file in files)
        {
            var bytes = File.ReadAllBytes(file);
            using var target = new FileStream(Path.Combine(folder, Path.GetFileName(file)), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
            target.Write(bytes);
            target.Flush(flushToDisk: true);
        }

        watch.Stop();
        TempRoot.Delete(folder);
        return records * 1024L / (1024.0 * 1024) / watch.Elapsed.TotalSeconds;
    }

    /// <summary>A wiped replica receives every sealed segment whole; MiB/s of record payloads installed.</summary>
    private static async Task<double> InstallAllAsync(EngineReplicaLogStore leader, string dataRoot)
    {
        var watch = Stopwatch.StartNew();
        long payloadBytes = 0;
        await using (var follower = await EngineReplicaLogStore.OpenAsync("log", "p0", Options(dataRoot)))
        {
            var after = LogPosition.Start;
            while (leader.ExportSegmentAfter(after) is { } segment)
            {
                follower.InstallSegment(segment);
                payloadBytes += (segment.LastId - segment.BaseId + 1) * 1024L;
                after = segment.Last;
            }

            watch.Stop();
            if (follower.Partition.LastId != leader.Partition.Writer.ActiveBaseId - 1)
            {
                throw new InvalidOperationException($"The replica ends at {follower.Partition.LastId}, not at the leader's last sealed id.");
            }
        }

        TempRoot.Delete(dataRoot);
        return payloadBytes / (1024.0 * 1024) / watch.Elapsed.TotalSeconds;
    }
}
