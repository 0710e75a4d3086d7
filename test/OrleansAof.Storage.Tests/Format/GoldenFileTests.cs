using System.Runtime.CompilerServices;
using System.Text;
using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using OrleansAof.Storage.Format;
using OrleansAof.Storage.IO;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Format;

/// <summary>
/// Pins format version 1: the writer must keep producing these exact bytes, and these files must stay readable.
/// Regenerate only for a deliberate format change (with a new version): AOF_REGENERATE_GOLDEN=1 dotnet test --filter GoldenFileTests.
/// </summary>
[Trait(TestCategories.Name, TestCategories.Fast)]
public class GoldenFileTests
{
    private const string SealedName = "00000000000000000000.aofseg";
    private const string ActiveName = "00000000000000000004.aofseg";

    /// <summary>The golden files as copied next to the tests (a deterministic CI build maps source paths to "/_/", so they are not read from the source tree).</summary>
    private static string GoldenDirectory() => Path.Combine(AppContext.BaseDirectory, "Golden", "v1");

    /// <summary>The golden files in the source tree, written only when regenerating.</summary>
    private static string SourceGoldenDirectory([CallerFilePath] string source = "") => Path.Combine(Path.GetDirectoryName(source)!, "..", "Golden", "v1");

    private static byte[] Payload(int i) => Encoding.UTF8.GetBytes(new string((char)('a' + i), (i * 7) + 1));

    /// <summary>Writes the golden log: four records (one idempotent batch of two) sealed, then two records left active.</summary>
    private static async Task<string> WriteGoldenLogAsync(TempDirectory temp)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        var options = new PartitionLogOptions { DataRoot = temp.Path, Preallocation = PreallocationMode.None, MaxSegmentBytes = 1 << 20, MaxRecordBytes = 4096 };
        await using (var log = await PartitionLog.OpenAsync("golden", "0", options, new PartitionLogEnvironment { TimeProvider = time }))
        {
            await log.AppendAsync(Payload(0));
            time.Advance(TimeSpan.FromMilliseconds(1));
            await log.AppendBatchAsync([Payload(1), Payload(2)], null, new ProducerStamp(99, 0));
            time.Advance(TimeSpan.FromMilliseconds(1));
            await log.AppendAsync(Payload(3));
            await log.SealAsync();
            time.Advance(TimeSpan.FromMilliseconds(1));
            await log.AppendAsync(Payload(4));
            await log.SetFlushPolicyAsync(FlushPolicy.Async);
            await log.AppendAsync(Payload(5));
            await log.FlushAsync();
        }

        return Path.Combine(temp.Path, "golden", "0", "segments");
    }

    [Fact]
    public async Task Writer_ProducesTheGoldenBytes()
    {
        using var temp = new TempDirectory("golden");
        var segments = await WriteGoldenLogAsync(temp);
        if (Environment.GetEnvironmentVariable("AOF_REGENERATE_GOLDEN") == "1")
        {
            foreach (var directory in new[] { SourceGoldenDirectory(), GoldenDirectory() })
            {
                Directory.CreateDirectory(directory);
                File.Copy(Path.Combine(segments, SealedName), Path.Combine(directory, SealedName), overwrite: true);
                File.Copy(Path.Combine(segments, ActiveName), Path.Combine(directory, ActiveName), overwrite: true);
            }
        }

        File.ReadAllBytes(Path.Combine(segments, SealedName)).Should().Equal(File.ReadAllBytes(Path.Combine(GoldenDirectory(), SealedName)));
        File.ReadAllBytes(Path.Combine(segments, ActiveName)).Should().Equal(File.ReadAllBytes(Path.Combine(GoldenDirectory(), ActiveName)));
    }

    [Fact]
    public async Task GoldenFiles_OpenAndReadBackExactly()
    {
        using var temp = new TempDirectory("golden-read");
        var segments = Path.Combine(temp.Path, "golden", "0", "segments");
        Directory.CreateDirectory(segments);
        File.Copy(Path.Combine(GoldenDirectory(), SealedName), Path.Combine(segments, SealedName));
        File.Copy(Path.Combine(GoldenDirectory(), ActiveName), Path.Combine(segments, ActiveName));

        await using var log = await PartitionLog.OpenAsync("golden", "0", new PartitionLogOptions { DataRoot = temp.Path, Preallocation = PreallocationMode.None });
        log.NextId.Should().Be(6);
        var batch = await log.ReadAsync(0, 100);
        batch.Count.Should().Be(6);
        for (var i = 0; i < 6; i++)
        {
            batch[i].Id.Should().Be(i);
            batch[i].Payload.ToArray().Should().Equal(Payload(i));
        }

        batch[0].Timestamp.Should().Be(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        var retry = await log.AppendBatchAsync([Payload(1), Payload(2)], null, new ProducerStamp(99, 0));
        retry.Should().Be(new AppendResult(1, 2, true, IsDuplicate: true));
    }

    [Fact]
    public void GoldenSealedSegment_ScansForwardBackwardAndFromTheFooter()
    {
        using var file = PhysicalFileSystem.Instance.OpenFile(Path.Combine(GoldenDirectory(), SealedName), FileMode.Open, FileAccess.Read);
        var scan = SegmentScanner.ScanForward(file, 4096);
        scan.IsSealed.Should().BeTrue();
        scan.Header!.Value.WriterEpoch.Should().Be(1);
        scan.Metadata!.Value.Should().Be(scan.Metadata.Value with { BaseId = 0, LastId = 3, RecordCount = 4 });
        scan.Records.Select(r => r.Id).Should().Equal(0, 1, 2, 3);
        scan.Stamps.Should().ContainSingle().Which.Stamp.Should().Be(new ProducerStampFrame(99, 0, 1));
        scan.ProducerTable.Should().Equal(new ProducerEntry(99, 0, 1, 2));
        scan.RollingChecksum.Should().Be(scan.Metadata.Value.DataChecksum);
        SegmentScanner.ScanBackward(file, scan.Footer!.Value.DataEnd).Select(r => r.Id).Should().Equal(3, 2, 1, 0);
        SegmentScanner.ScanBackward(file, scan.Footer.Value.DataEnd).Select(r => r.Offset).Should().Equal(scan.Records.Select(r => r.Offset).Reverse());
    }
}
