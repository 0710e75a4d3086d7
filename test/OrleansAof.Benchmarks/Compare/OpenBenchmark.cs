using System.Diagnostics;
using OrleansAof.Benchmarks.Shared;
using OrleansAof.Storage;
using OrleansAof.Storage.Catalog;
using OrleansAof.Storage.Format;
using OrleansAof.Storage.Internal;
using OrleansAof.Storage.IO;

namespace OrleansAof.Benchmarks.Compare;

/// <summary>
/// Time to open a partition that holds 1 GiB of sealed segments (16 x 64 MiB, opened from their footers) plus an active
/// segment of about 64 MiB (which recovery scans). The partition is written once; then it is opened and closed N times
/// (warm page cache) and each open is timed. A stopwatch breakdown of the same steps follows.
/// </summary>
internal static class OpenBenchmark
{
    private const int SealedSegments = 16;
    private const long ActiveTarget = 62L * 1024 * 1024;

    public static async Task<List<AbsoluteRow>> RunAsync(TempRoot temp, int opens, Action<string> progress)
    {
        var root = temp.NewFolder("open");
        var payload = Payloads.Of(1024);
        var rows = new List<AbsoluteRow>();
        try
        {
            progress($"open: writing {SealedSegments} sealed segments of 64 MiB");
            await using (var log = await Engine.OpenAsync(root, FlushPolicy.Async))
            {
                await FillAsync(log, payload, info => Count(info, SegmentStatus.Sealed) >= SealedSegments);
            }

            var sealedOnly = await TimeOpensAsync(root, opens);
            var (sealedBytes, activeBytes) = Sizes(root);
            rows.Add(new AbsoluteRow(
                "",
                $"open: {SealedSegments} sealed segments ({sealedBytes / (1024.0 * 1024 * 1024):0.00} GiB), near-empty active segment ({activeBytes / 1024.0:0} KiB)",
                $"{Stats.Median(sealedOnly):0.0} ms",
                $"median of {opens}; min {sealedOnly.Min():0.0}, max {sealedOnly.Max():0.0} ms",
                "",
                null));

            progress("open: filling the active segment to ~62 MiB");
            await using (var log = await Engine.OpenAsync(root, FlushPolicy.Async))
            {
                await FillAsync(log, payload, info => info.Segments[^1].SizeBytes >= ActiveTarget);
                if (Count(log.GetInfo(), SegmentStatus.Sealed) != SealedSegments)
                {
                    throw new InvalidOperationException("The active segment rolled while it was being filled.");
                }
            }

            progress($"open: timing {opens} opens");
            var full = await TimeOpensAsync(root, opens);
            (sealedBytes, activeBytes) = Sizes(root);
            var median = Stats.Median(full);
            rows.Add(new AbsoluteRow(
                "T5",
                $"open: {SealedSegments} sealed segments ({sealedBytes / (1024.0 * 1024 * 1024):0.00} GiB) + active segment ({activeBytes / (1024.0 * 1024):0.0} MiB of records)",
                $"{median:0.0} ms",
                $"median of {opens}; min {full.Min():0.0}, max {full.Max():0.0} ms",
                "< 200 ms",
                median < 200));

            foreach (var (step, ms) in Breakdown(root, opens))
            {
                rows.Add(new AbsoluteRow("", $"open step: {step}", $"{ms:0.0} ms", $"median of {opens}", "", null));
            }
        }
        finally
        {
            TempRoot.Delete(root);
        }

        return rows;
    }

    private static int Count(PartitionInfo info, SegmentStatus status)
    {
        var n = 0;
        foreach (var s in info.Segments)
        {
            if (s.Status == status)
            {
                n++;
            }
        }

        return n;
    }

    private static async Task FillAsync(PartitionLog log, byte[] payload, Func<PartitionInfo, bool> done)
    {
        // At most 1.5 GiB of records, whatever the condition says.
        for (var written = 0L; !done(log.GetInfo()); written += 512L * payload.Length)
        {
            if (written > (3L << 29))
            {
                throw new InvalidOperationException("The partition did not reach the expected shape after 1.5 GiB of records.");
            }

            Disk.EnsureFreeSpace(log.DirectoryPath);
            for (var i = 0; i < 512; i++)
            {
                await log.AppendAsync(payload);
            }
        }

        await log.FlushAsync();
    }

    private static (long Sealed, long ActiveData) Sizes(string root)
    {
        var dir = new PartitionDirectory(root, Engine.LogName, Engine.PartitionName);
        var files = Directory.GetFiles(dir.Segments, PartitionLayout.SegmentFilePattern).Order(StringComparer.Ordinal).ToArray();
        long sealedBytes = 0;
        for (var i = 0; i < files.Length - 1; i++)
        {
            sealedBytes += new FileInfo(files[i]).Length;
        }

        using var active = PhysicalFileSystem.Instance.OpenFile(files[^1], FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var scan = SegmentScanner.ScanForward(active, 1024 * 1024, collectRecords: false);
        return (sealedBytes, scan.ValidEnd);
    }

    private static async Task<List<double>> TimeOpensAsync(string root, int opens)
    {
        var times = new List<double>();

        // One open not counted: it loads the engine's code and SQLite.
        await (await Engine.OpenAsync(root, FlushPolicy.Sync)).CloseAsync(seal: false);
        for (var i = 0; i < opens; i++)
        {
            var start = Stopwatch.GetTimestamp();
            var log = await Engine.OpenAsync(root, FlushPolicy.Sync);
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            await log.CloseAsync(seal: false);
        }

        return times;
    }

    /// <summary>The main steps of an open, each timed on its own with the engine's own code (the partition is closed).</summary>
    private static List<(string Step, double Ms)> Breakdown(string root, int n)
    {
        var fs = PhysicalFileSystem.Instance;
        var dir = new PartitionDirectory(root, Engine.LogName, Engine.PartitionName);
        var files = fs.ListFiles(dir.Segments, PartitionLayout.SegmentFilePattern);
        var footers = new List<double>();
        var activeScan = new List<double>();
        var catalog = new List<double>();
        var epoch = new List<double>();
        for (var i = 0; i < n; i++)
        {
            var start = Stopwatch.GetTimestamp();
            for (var f = 0; f < files.Count - 1; f++)
            {
                using var file = fs.OpenFile(files[f], FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
                if (!SegmentScanner.ReadSealed(file, validateIndex: false).IsSealed)
                {
                    throw new InvalidOperationException($"{files[f]} is not sealed.");
                }
            }

            footers.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);

            start = Stopwatch.GetTimestamp();
            using (var file = fs.OpenFile(files[^1], FileMode.Open, FileAccess.ReadWrite, FileShare.Read))
            {
                SegmentScanner.ScanForward(file, 1024 * 1024);
            }

            activeScan.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);

            start = Stopwatch.GetTimestamp();
            using (var c = SegmentCatalog.Open(dir.CatalogFile, fs))
            {
                c.ReplaceAll(c.ReadAll());
            }

            catalog.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);

            start = Stopwatch.GetTimestamp();
            dir.WriteEpoch(fs, dir.ReadEpoch(fs) + 1);
            epoch.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        return
        [
            ($"read {files.Count - 1} sealed footers (header + footer + metadata + producer table)", Stats.Median(footers)),
            ("recovery scan of the active segment (every record checksum)", Stats.Median(activeScan)),
            ("catalog: open, quick_check, read, rewrite in one transaction (SQLite, synchronous=FULL)", Stats.Median(catalog)),
            ("writer epoch: write, fsync, rename, directory fsync", Stats.Median(epoch)),
        ];
    }
}
