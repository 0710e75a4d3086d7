using FluentAssertions;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Engine;

/// <summary>
/// The next segment is prepared once the active one passes <see cref="PartitionLogOptions.PreallocateAt"/> of
/// <see cref="PartitionLogOptions.MaxSegmentBytes"/>, as a file of exactly <c>MaxSegmentBytes</c>, and becomes the next
/// active segment. Real files.
/// </summary>
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class PreallocationTests : LogTestBase
{
    private const long SegmentBytes = 64 * 1024;

    [Theory]
    [InlineData(PreallocationMode.ZeroFill, 0.5)]
    [InlineData(PreallocationMode.Reserve, 0.5)]
    [InlineData(PreallocationMode.Auto, 0.25)]
    public async Task NextSegment_IsPreparedAfterPreallocateAt_WithExactlyMaxSegmentBytes_AndBecomesTheNextSegment(PreallocationMode mode, double at)
    {
        var options = Options(o =>
        {
            o.MaxSegmentBytes = SegmentBytes;
            o.MaxRecordBytes = 1024;
            o.Preallocation = mode;
            o.PreallocateAt = at;
        });
        var prealloc = Path.Combine(Temp.Path, "orders", "0", "segments", "next.prealloc");
        var threshold = (long)(SegmentBytes * at);
        await using var log = await OpenAsync(options);
        long Active() => log.GetInfo().Segments.Single(s => s.Status == SegmentStatus.Active).SizeBytes;

        while (Active() < threshold)
        {
            File.Exists(prealloc).Should().BeFalse($"nothing is prepared below {threshold} bytes (active segment has {Active()})");
            await log.AppendAsync(Payload(log.NextId, 1000));
        }

        // The preparing task holds the file exclusively until it is fsynced and closed, but the file exists a moment
        // before the task takes its lock: wait until it is readable and prepared (zero-filled to its full length, or
        // its blocks reserved).
        byte[]? bytes = null;
        await Wait.UntilAsync(
            () => TryRead(prealloc, out bytes) && (mode == PreallocationMode.Reserve ? AllocatedBytes(prealloc) >= SegmentBytes : bytes!.Length == SegmentBytes),
            () => $"next.prealloc prepared once the active segment passed {threshold} bytes (last read: {bytes?.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"} bytes)",
            TimeSpan.FromSeconds(30));
        if (mode == PreallocationMode.Reserve)
        {
            // fallocate keeps the length at 0 and reserves the blocks.
            bytes.Should().BeEmpty();
            AllocatedBytes(prealloc).Should().BeGreaterThanOrEqualTo(SegmentBytes, "Reserve reserves MaxSegmentBytes");
        }
        else
        {
            // ZeroFill (Auto under Sync): MaxSegmentBytes written as zeros.
            bytes!.Length.Should().Be((int)SegmentBytes);
            bytes.Should().OnlyContain(b => b == 0);
        }

        while (log.GetInfo().Segments.Single(s => s.Status == SegmentStatus.Active).BaseId == 0)
        {
            await log.AppendAsync(Payload(log.NextId, 1000));
        }

        var next = log.GetInfo().Segments.Single(s => s.Status == SegmentStatus.Active);
        File.Exists(prealloc).Should().BeFalse("the prepared file became the active segment");
        var nextPath = Path.Combine(Temp.Path, "orders", "0", "segments", next.FileName);
        if (mode == PreallocationMode.Reserve)
        {
            AllocatedBytes(nextPath).Should().BeGreaterThanOrEqualTo(SegmentBytes);
        }
        else
        {
            new FileInfo(nextPath).Length.Should().Be(SegmentBytes);
        }

        var count = log.NextId;
        (await ReadAllAsync(log)).Select(r => r.Id).Should().Equal(Enumerable.Range(0, (int)count).Select(i => (long)i));
    }

    private static bool TryRead(string path, out byte[]? bytes)
    {
        bytes = null;
        try
        {
            bytes = File.ReadAllBytes(path);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Bytes the file system allocated to the file (<c>stat</c> blocks times block size).</summary>
    private static long AllocatedBytes(string path)
    {
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%b %B", path]) { RedirectStandardOutput = true })!;
        var parts = stat.StandardOutput.ReadToEnd().Trim().Split(' ');
        stat.WaitForExit();
        return long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture) * long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
    }
}
