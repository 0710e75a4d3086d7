using FluentAssertions;
using OrleansAof.Storage.Format;
using OrleansAof.Storage.IO;
using OrleansAof.Storage.Tests.Engine;
using OrleansAof.TestInfrastructure;

namespace OrleansAof.Storage.Tests.Recovery;

/// <summary>Helpers for crash and damage tests: fault-injecting file systems, exact content checks, segment file access.</summary>
public abstract class RecoveryTestBase : LogTestBase
{
    protected const string LogName = "orders";
    protected const string PartitionName = "0";

    /// <summary>A fault injector whose write counter, tear and full disk apply to segment files only.</summary>
    protected static FaultInjectingFileSystem SegmentFaults() => new() { WriteFilter = static p => p.EndsWith(PartitionLayout.SegmentExtension, StringComparison.Ordinal) };

    protected static string PartitionDirectory(string dataRoot) => Path.Combine(dataRoot, LogName, PartitionName);

    protected static string SegmentsDirectory(string dataRoot) => Path.Combine(PartitionDirectory(dataRoot), "segments");

    protected static string QuarantineDirectory(string dataRoot) => Path.Combine(PartitionDirectory(dataRoot), "quarantine");

    protected static string CatalogPath(string dataRoot) => Path.Combine(PartitionDirectory(dataRoot), "catalog.db");

    /// <summary>The segment files of the partition, in id order.</summary>
    protected static string[] SegmentFiles(string dataRoot) =>
        [.. Directory.GetFiles(SegmentsDirectory(dataRoot), PartitionLayout.SegmentFilePattern).Order(StringComparer.Ordinal)];

    /// <summary>Disposes a log whose file system may have crashed under it: whatever the close throws is the crash's doing.</summary>
    protected static async Task DisposeAfterCrashAsync(PartitionLog log)
    {
        try
        {
            await log.DisposeAsync();
        }
        catch (Exception e) when (e is IOException or AppendLogException or UnauthorizedAccessException or ObjectDisposedException)
        {
            // The simulated process is dead; nothing it does now reaches the disk.
        }
    }

    /// <summary>Asserts that the log holds exactly <paramref name="expected"/> as ids 0.. with identical bytes, all durable.</summary>
    protected static async Task ShouldHoldExactlyAsync(PartitionLog log, IReadOnlyList<byte[]> expected, string because)
    {
        log.LastId.Should().Be(expected.Count - 1, because);
        log.DurableId.Should().Be(expected.Count - 1, because);
        var records = await ReadAllAsync(log);
        records.Select(static r => r.Id).Should().Equal(Enumerable.Range(0, expected.Count).Select(static i => (long)i), because);
        for (var i = 0; i < expected.Count; i++)
        {
            records[i].Payload.ToArray().Should().Equal(expected[i], "record {0} must keep its bytes: {1}", i, because);
        }
    }

    /// <summary>Reads one record by id and returns its payload.</summary>
    protected static async Task<byte[]> ReadOneAsync(PartitionLog log, long id)
    {
        var batch = await log.ReadAsync(id, 1);
        batch.Count.Should().Be(1, "record {0} is expected to be readable", id);
        batch[0].Id.Should().Be(id);
        return batch[0].Payload.ToArray();
    }

    protected static void FlipBit(string path, long offset, int bit)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        stream.Position = offset;
        var b = stream.ReadByte();
        stream.Position = offset;
        stream.WriteByte((byte)(b ^ (1 << bit)));
    }

    /// <summary>Copies a directory tree (a pristine partition to damage in many ways).</summary>
    protected static void CopyDirectory(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var dir in Directory.GetDirectories(source, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(destination, Path.GetRelativePath(source, dir)));
        }

        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(destination, Path.GetRelativePath(source, file)));
        }
    }

    /// <summary>Reads the header and footer structures of a segment file the way the engine does.</summary>
    protected static SegmentScanResult ScanFile(string path, int maxPayload = 1024 * 1024)
    {
        using var file = PhysicalFileSystem.Instance.OpenFile(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return SegmentScanner.ScanForward(file, maxPayload);
    }
}
