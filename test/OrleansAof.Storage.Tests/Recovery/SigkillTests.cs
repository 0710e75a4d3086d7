using System.Diagnostics;
using System.Globalization;
using FluentAssertions;
using OrleansAof.CrashWriter;
using OrleansAof.TestInfrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OrleansAof.Storage.Tests.Recovery;

/// <summary>
/// A real child process appends under Sync and is killed with SIGKILL at random moments; the rounds accumulate in one
/// directory, so every round recovers what all the kills before it left behind. After each kill the parent reopens the
/// partition and checks every byte against what the workload derives from (seed, id).
/// </summary>
[Trait(TestCategories.Name, TestCategories.FaultInjection)]
public class SigkillTests(ITestOutputHelper output) : RecoveryTestBase
{
    private const string NotOnWindows = "SIGKILL is a POSIX signal: on Windows Process.Kill calls TerminateProcess, and the exit status this test uses to prove the kill was a SIGKILL does not exist there.";

    /// <summary>128 + SIGKILL (9): how .NET reports the exit code of a process that SIGKILL ended.</summary>
    private const int KilledBySigkill = 137;

    private static readonly PreallocationMode[] Preallocations = [PreallocationMode.None, PreallocationMode.ZeroFill, PreallocationMode.Reserve, PreallocationMode.Auto];

    [UnixFact(NotOnWindows)]
    public Task CrashWriter_SigkilledAtRandomMoments_EveryAcknowledgedRecordSurvivesWithItsBytes() =>
        RunRoundsAsync(Stress.Scale(20, 200), static _ => null);

    /// <summary>
    /// The same rounds with appends acknowledged once the OS has them (<c>Async</c> and <c>Batched</c>), written through the
    /// active segment's writable mapping (<see cref="ActiveSegmentWriteMode.Mapped"/>; the crash writer's 64 KiB segments are
    /// mapped from 16 KiB on): a record stored into the mapping is in the page cache, so SIGKILL loses none that was
    /// acknowledged. Every fourth round writes with <c>pwrite</c> (<see cref="ActiveSegmentWriteMode.Write"/>) into the same
    /// folder, so recovery also meets files that both paths wrote.
    /// </summary>
    [UnixFact(NotOnWindows)]
    public Task CrashWriter_NonSyncPoliciesThroughTheMapping_SigkilledAtRandomMoments_EveryAcknowledgedRecordSurvivesWithItsBytes() =>
        RunRoundsAsync(Stress.Scale(16, 200), static round => (round % 2 == 0 ? "Async" : "Batched:20", round % 4 == 3 ? ActiveSegmentWriteMode.Write : ActiveSegmentWriteMode.Mapped));

    private async Task RunRoundsAsync(int rounds, Func<int, (string Policy, ActiveSegmentWriteMode Write)?> writerMode)
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("AOF_CRASH_SEED"), CultureInfo.InvariantCulture, out var s) ? s : Random.Shared.Next();
        output.WriteLine($"seed {seed} (set AOF_CRASH_SEED to replay), {rounds} rounds");
        var random = new Random(seed);
        var root = Temp.Combine("sigkill");
        var options = new PartitionLogOptions
        {
            DataRoot = root,
            FlushPolicy = FlushPolicy.Sync,
            MaxSegmentBytes = CrashWorkload.MaxSegmentBytes,
            MaxRecordBytes = (int)(CrashWorkload.MaxSegmentBytes / 4),
            Preallocation = PreallocationMode.None,
        };

        var highestAcked = -1L;
        long acknowledged = 0;
        long recordsChecked = 0;
        long unacknowledgedSurvivors = 0;
        var killedDuringOpen = 0;
        var sw = Stopwatch.StartNew();
        for (var round = 0; round < rounds; round++)
        {
            var preallocation = Preallocations[round % Preallocations.Length];
            var moment = random.Next(10);
            var target = moment switch { 0 => -1, 1 => 0, _ => random.Next(1, 200) };
            var ackedThisRound = 0L;
            var roundHighest = highestAcked;
            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            string? disagreement = null;
            string[] arguments = writerMode(round) is { } mode
                ? ["append", root, seed.ToString(CultureInfo.InvariantCulture), preallocation.ToString(), mode.Policy, mode.Write.ToString()]
                : ["append", root, seed.ToString(CultureInfo.InvariantCulture), preallocation.ToString()];
            await using var child = ChildProcess.Start(
                arguments,
                line =>
                {
                    var parts = line.Split(' ');
                    if (parts[0] == "ack")
                    {
                        var first = long.Parse(parts[1], CultureInfo.InvariantCulture);
                        var last = long.Parse(parts[2], CultureInfo.InvariantCulture);
                        if (first != roundHighest + 1 && roundHighest >= 0 && first <= roundHighest)
                        {
                            disagreement ??= $"the child acknowledged {first}..{last} after {roundHighest}";
                        }

                        if (uint.Parse(parts[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture) != CrashWorkload.Checksum(seed, first, last))
                        {
                            disagreement ??= $"the child's checksum of {first}..{last} differs from the workload's";
                        }

                        roundHighest = Math.Max(roundHighest, last);
                        ackedThisRound += last - first + 1;
                        if (target > 0 && ackedThisRound >= target)
                        {
                            reached.TrySetResult();
                        }
                    }
                    else if ((parts[0] == "opening" && target == -1) || (parts[0] == "ready" && target == 0))
                    {
                        reached.TrySetResult();
                    }
                });

            var what = target switch { -1 => "the child starts opening the partition", 0 => "the child has opened the partition", _ => $"the child has acknowledged {target} records" };
            var exited = child.WaitForExitAsync();
            if (await Task.WhenAny(reached.Task, exited) == exited)
            {
                throw new InvalidOperationException($"round {round}: the child exited with {await exited} before {what}: {child.StandardError}");
            }

            await Wait.ForAsync(reached.Task, what);
            var exitCode = await child.KillAsync();
            exitCode.Should().Be(KilledBySigkill, "Process.Kill sends SIGKILL on Unix (round {0}); stderr: {1}", round, child.StandardError);
            disagreement.Should().BeNull();
            killedDuringOpen += target == -1 && !child.Lines.Any(static l => l.StartsWith("ready", StringComparison.Ordinal)) ? 1 : 0;
            acknowledged += ackedThisRound;
            highestAcked = roundHighest;

            // Reopen: every acknowledged id is present with its bytes, ids are dense, the tail is a batch boundary.
            await using (var log = await PartitionLog.OpenAsync(CrashWorkload.Log, CrashWorkload.Partition, options))
            {
                log.State.Should().Be(PartitionState.Open, "round {0} must recover without damage: {1}", round, log.FaultReason);
                log.FirstId.Should().Be(0);
                log.NextId.Should().BeGreaterThan(highestAcked, "round {0}: every acknowledged id must survive", round);
                CrashWorkload.IsBatchBoundary(seed, log.NextId).Should().BeTrue("round {0}: recovery never keeps part of a batch (next id {1})", round, log.NextId);
                log.GetInfo().Segments.Should().NotContain(static x => x.Status == SegmentStatus.Quarantined);
                var next = 0L;
                var losses = new List<long>();
                while (next < log.NextId)
                {
                    var batch = await log.ReadAsync(next, 2000);
                    batch.Count.Should().BeGreaterThan(0);
                    foreach (var record in batch.Records)
                    {
                        record.Id.Should().Be(next, "ids are dense");
                        if (!record.Payload.Span.SequenceEqual(CrashWorkload.Payload(seed, record.Id)))
                        {
                            losses.Add(record.Id);
                        }

                        next++;
                    }
                }

                losses.Should().BeEmpty("round {0}: these records came back with other bytes", round);
                recordsChecked += log.NextId;
                unacknowledgedSurvivors += log.NextId - 1 - highestAcked;

                // Appending continues at the next id; the parent's batch is acknowledged too.
                var expected = CrashWorkload.Batch(seed, log.NextId);
                var first = log.NextId;
                var appended = await log.AppendBatchAsync([.. expected.Select(static b => (ReadOnlyMemory<byte>)b)]);
                appended.Should().Be(new AppendResult(first, first + expected.Length - 1, true));
                highestAcked = appended.LastId;
                acknowledged += expected.Length;
            }
        }

        var segments = Directory.GetFiles(Path.Combine(root, CrashWorkload.Log, CrashWorkload.Partition, "segments"), "*.aofseg").Length;
        output.WriteLine($"{rounds} rounds in {sw.Elapsed.TotalSeconds:0.0} s: {acknowledged} acknowledged records (ids 0..{highestAcked}), "
            + $"{recordsChecked} record reads checked byte for byte, 0 lost, {unacknowledgedSurvivors} in-doubt records survived, "
            + $"{killedDuringOpen} kills during open/recovery, {segments} segment files");
        segments.Should().BeGreaterThan(1, "the workload must roll segments over so that kills hit seals too");
    }
}
