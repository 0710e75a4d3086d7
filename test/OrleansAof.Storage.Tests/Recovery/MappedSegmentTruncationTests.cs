using System.Globalization;
using FluentAssertions;
using OrleansAof.CrashWriter;
using OrleansAof.Storage.Format;
using OrleansAof.Storage.IO;
using OrleansAof.TestInfrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OrleansAof.Storage.Tests.Recovery;

/// <summary>
/// A sealed segment that the open partition has memory-mapped is truncated by someone else, in a real child process
/// (<see cref="MappedDamage"/>): touching a mapped page past the new end of the file raises SIGBUS, which .NET makes a
/// fatal access violation (the process aborts with exit code 134), so a test in this process could not survive the
/// failure it looks for. The reads must fail with a typed <see cref="SegmentCorruptedException"/> of that segment only,
/// and the process must live on: the other segments read whole and appends continue.
/// </summary>
[Trait(TestCategories.Name, TestCategories.FaultInjection)]
public class MappedSegmentTruncationTests(ITestOutputHelper output) : RecoveryTestBase
{
    private const string UnixOnly = "Sealed segments are memory-mapped only on Unix; Windows reads them through the handle.";

    [UnixFact(UnixOnly)]
    public async Task MappedSegment_TruncatedBetweenReads_ReadsPastTheCutFailTypedAndTheProcessLives()
    {
        var root = Temp.Combine("truncate-then-read");
        var (lines, victimPath) = await RunAsync(root, "truncate-then-read");
        var cut = long.Parse(Field(lines, "truncated")[0], CultureInfo.InvariantCulture);
        var (victimBase, victimLast) = Victim(lines);
        var whole = RecordsBefore(victimPath, cut);

        // "reads served S failed F first-failed X": every record wholly before the cut, none at or after it.
        var reads = Field(lines, "reads");
        reads.Should().Equal("served", whole.ToString(CultureInfo.InvariantCulture), "failed", (victimLast - victimBase + 1 - whole).ToString(CultureInfo.InvariantCulture), "first-failed", (victimBase + whole).ToString(CultureInfo.InvariantCulture));
        string.Join(' ', Field(lines, "batch")).Should().Be($"typed the file ends at byte {cut}, before the {Field(lines, "mapped")[3]} bytes its footer records (it was truncated)");
        string.Join(' ', Field(lines, "scan")).Should().Be($"typed the file ends at byte {cut}, before the {Field(lines, "mapped")[3]} bytes its footer records (it was truncated)");
        AssertTheRestServes(lines);
    }

    [UnixFact(UnixOnly)]
    public async Task MappedSegment_TruncatedUnderARunningScan_TheScanReturnsWhatIsLeftThenFailsTyped()
    {
        var root = Temp.Combine("truncate-during-scan");
        var (lines, victimPath) = await RunAsync(root, "truncate-during-scan");
        Field(lines, "truncated").Should().Equal(MappedDamage.ScanCutBytes.ToString(CultureInfo.InvariantCulture));
        var whole = RecordsBefore(victimPath, MappedDamage.ScanCutBytes);
        string.Join(' ', Field(lines, "scan")).Should().Be($"{whole} returned typed the file ends at byte {MappedDamage.ScanCutBytes}, before the {Field(lines, "mapped")[3]} bytes its footer records (it was truncated)");
        AssertTheRestServes(lines);
    }

    private async Task<(List<string> Lines, string VictimPath)> RunAsync(string root, string scenario)
    {
        await using var child = ChildProcess.Start(["mapped-damage", root, scenario]);
        var exit = await child.WaitForExitAsync();
        var lines = child.Lines.ToList();
        output.WriteLine(string.Join('\n', lines));
        output.WriteLine(child.StandardError);
        exit.Should().Be(0, "the child lives through the damage and checks every read (134 would be the abort after SIGBUS); stderr: {0}", child.StandardError);
        lines.Should().Contain("alive");
        var segments = Directory.GetFiles(Path.Combine(root, "mapped", "0", "segments"), PartitionLayout.SegmentFilePattern).Order(StringComparer.Ordinal).ToArray();
        return (lines, segments[0]);
    }

    private static void AssertTheRestServes(List<string> lines)
    {
        var (_, victimLast) = Victim(lines);
        var records = long.Parse(Field(lines, "mapped")[0], CultureInfo.InvariantCulture);
        var other = Field(lines, "other");
        long.Parse(other[0], CultureInfo.InvariantCulture).Should().BePositive("the next segment reads whole");
        other[1].Should().Be("appended");
        other[2].Should().Be(records.ToString(CultureInfo.InvariantCulture), "the append after the damage gets the next id");
        victimLast.Should().BeLessThan(records);
    }

    /// <summary>How many records of the segment file lie wholly before <paramref name="cut"/> (read from the truncated file itself).</summary>
    private static long RecordsBefore(string path, long cut)
    {
        using var file = PhysicalFileSystem.Instance.OpenFile(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        file.Length.Should().Be(cut, "the child cut the file there");
        var scan = SegmentScanner.ScanForward(file, 1024 * 1024);
        scan.Records.Should().OnlyContain(r => r.End <= cut);
        return scan.Records.Count;
    }

    private static (long BaseId, long LastId) Victim(List<string> lines)
    {
        var mapped = Field(lines, "mapped");
        return (long.Parse(mapped[1], CultureInfo.InvariantCulture), long.Parse(mapped[2], CultureInfo.InvariantCulture));
    }

    /// <summary>The words after <paramref name="key"/> on the child's line that starts with it.</summary>
    private static string[] Field(List<string> lines, string key)
    {
        var line = lines.SingleOrDefault(l => l.StartsWith(key + " ", StringComparison.Ordinal));
        line.Should().NotBeNull("the child prints a '{0}' line", key);
        return line![(key.Length + 1)..].Split(' ');
    }
}
