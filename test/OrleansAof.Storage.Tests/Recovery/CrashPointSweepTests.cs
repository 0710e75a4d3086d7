// Over 600 lines on purpose: one sweep per background operation, each a short scenario sharing this file's sweep driver.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using OrleansAof.Storage.Archive;
using OrleansAof.Storage.Format;
using OrleansAof.Storage.IO;
using OrleansAof.TestInfrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OrleansAof.Storage.Tests.Recovery;

/// <summary>
/// Crash-point sweep in the manner of ALICE ("All File Systems Are Not Created Equal", OSDI 2014). For each background
/// operation on a partition's files, the number N of mutating file-system operations it performs from a fixed state is
/// counted; then for every n in 0..N the same state is set up, the operation runs until the simulated process dies before
/// its (n+1)-th operation (<see cref="FaultInjectingFileSystem.CrashAfterOperations"/>), the crash model is applied
/// (<see cref="CrashModel.ProcessCrash"/>: everything done stays; <see cref="CrashModel.PowerLoss"/>: only what was
/// flushed stays), and a fresh partition over the real file system, with the same archive, must:
/// <list type="bullet">
/// <item>serve every acknowledged id with its exact bytes (an id below a first id moved by retention only when the
/// operation was retention; an id of a damaged segment that was never archived only with a typed error);</item>
/// <item>give the next append exactly the next id (none reused, none skipped);</item>
/// <item>stay safe to continue from: archiving every sealed segment and evicting all but the newest still serves every id.</item>
/// </list>
/// The archive is a <see cref="FileSystemArchive"/> on the same faulting file system (a local archive folder: a crash
/// interrupts its puts too, and a power loss takes back its unflushed changes). Every failing point is collected with
/// the operation trace up to the crash and reported at the end of each operation's sweep.
/// </summary>
[Trait(TestCategories.Name, TestCategories.FaultInjection)]
public sealed class CrashPointSweepTests(ITestOutputHelper output) : IDisposable
{
    private const string LogName = "orders";
    private const string PartitionName = "0";
    private const int PerSegment = 3;
    private static readonly DateTimeOffset Start = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly ScratchRoot _scratch = ScratchRoot.Create("crash-sweep");

    /// <summary>Sealed segments in the prepared state (more behind the stress switch).</summary>
    private static int SealedSegments => Stress.Scale(3, 6);

    public static TheoryData<string> Operations => ["create", "seal", "rollover", "archive", "eviction", "retention", "restore", "catalog-deleted", "catalog-corrupt", "quarantine", "quarantine-unarchived", "handover"];

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task EveryCrashPoint_BothModels_ReopenServesEveryAcknowledgedIdAndTheNextId(string operation)
    {
        var scenario = Scenarios[operation];
        var sw = Stopwatch.StartNew();
        var failures = new List<string>();
        var pristine = await BuildPristineAsync(scenario);
        var baseline = await RunAsync(scenario, pristine, CrashModel.ProcessCrash, crashAfter: null);
        baseline.OperationError.Should().BeNull("the operation must work without a crash ({0})", operation);
        baseline.Crashed.Should().BeFalse("the operation must finish when no crash is injected");
        var n = baseline.Operations;
        n.Should().BePositive("the operation must touch the disk");
        if (baseline.Problems.Count > 0)
        {
            // The process died only after the operation finished: still a crash point (the last one of ProcessCrash).
            failures.Add(Describe(operation, CrashModel.ProcessCrash, n, n, baseline));
        }

        output.WriteLine($"{operation}: N = {n} operations: {string.Join(", ", baseline.Trace.GroupBy(static o => o.Kind).Select(static g => $"{g.Count()} {g.Key}"))}");
        foreach (var o in baseline.Trace)
        {
            output.WriteLine("    " + o.ToString().Replace(baseline.Root + Path.DirectorySeparatorChar, "", StringComparison.Ordinal));
        }

        var runs = 1;
        foreach (var model in new[] { CrashModel.ProcessCrash, CrashModel.PowerLoss })
        {
            for (var k = 0L; k <= n; k++)
            {
                if (model == CrashModel.ProcessCrash && k == n)
                {
                    // The baseline run was this point: the operation finished and the process died after it.
                    continue;
                }

                var result = await RunAsync(scenario, pristine, model, k);
                runs++;
                if (k < n && !result.Crashed)
                {
                    result.Problems.Add(Invariant($"the operation finished after {result.Operations} operations this time; N = {n} was counted (not deterministic)"));
                }

                if (result.Problems.Count > 0)
                {
                    failures.Add(Describe(operation, model, k, n, result));
                }
            }
        }

        output.WriteLine(Invariant($"{operation}: {runs} crash points in {sw.Elapsed.TotalSeconds:0.0} s, {failures.Count} failing"));
        failures.Count.Should().Be(
            0,
            "every crash point of {0} must recover every acknowledged record; {1} of {2} points failed:\n\n{3}\n\n",
            operation,
            failures.Count,
            runs,
            string.Join("\n\n", failures));
    }

    /// <summary>
    /// The window of issue 11, deterministically: archive a few sealed segments, evict with KeepLocalSegments = 1, crash
    /// right after the first segment file is deleted, reopen with the archive: every id reads back.
    /// </summary>
    [Fact]
    public async Task Eviction_CrashRightAfterTheFirstSegmentFileIsDeleted_ReopenWithTheArchiveReadsEveryId()
    {
        var scenario = Scenarios["eviction"];
        var pristine = await BuildPristineAsync(scenario);
        var root = _scratch.Combine("evict-first-delete");
        var world = World.CopyOf(pristine.World, root);
        var fs = new FaultInjectingFileSystem();
        var time = new FakeTimeProvider(pristine.Now);
        var log = await PartitionLog.OpenAsync(LogName, PartitionName, scenario.Options(world.DataRoot), Environment(fs, world, time));
        fs.CrashAfterFirst(static o => o.Kind == FileSystemOperationKind.DeleteFile && o.Path.EndsWith(PartitionLayout.SegmentExtension, StringComparison.Ordinal));
        var evict = async () => await log.EvictArchivedAsync();
        await evict.Should().ThrowAsync<IOException>("the process dies right after the first segment file is deleted");
        fs.Crashed.Should().BeTrue();
        fs.Operations.Should().Contain(static o => o.Kind == FileSystemOperationKind.DeleteFile && !o.Refused, "one segment file was deleted before the crash");
        await DisposeAbandonedAsync(log);
        fs.SimulateRestart();

        await using var reopened = await PartitionLog.OpenAsync(LogName, PartitionName, scenario.Options(world.DataRoot), Environment(PhysicalFileSystem.Instance, world.WithPhysicalArchive(), time));
        reopened.State.Should().Be(PartitionState.Open);
        reopened.LastId.Should().Be(pristine.Expectation.Records.Count - 1);
        var unreadable = new List<string>();
        for (var id = 0; id < pristine.Expectation.Records.Count; id++)
        {
            try
            {
                var batch = await reopened.ReadAsync(id, 1);
                batch.Count.Should().Be(1);
                batch[0].Payload.ToArray().Should().Equal(pristine.Expectation.Records[id], "record {0} must keep its bytes", id);
            }
            catch (AppendLogException e)
            {
                unreadable.Add(Invariant($"{id}: {e.GetType().Name}: {e.Message}"));
            }
        }

        unreadable.Should().BeEmpty("every acknowledged id must read back after a crash during eviction");
        (await reopened.AppendAsync(Record(pristine.Expectation.Records.Count))).FirstId.Should().Be(pristine.Expectation.Records.Count);
    }

    public void Dispose() => _scratch.Dispose();

    // ---------------------------------------------------------------------------------------------------------------
    // The operations.

    private static readonly Dictionary<string, Scenario> Scenarios = new Scenario[]
    {
        new("create")
        {
            // A brand-new partition: its folders are created, its first record appended under Sync and acknowledged.
            Build = static (_, e) =>
            {
                e.InFlight = Record(0);
                return Task.CompletedTask;
            },
            Operate = static async r =>
            {
                r.Arm();
                var log = await r.OpenLiveAsync();
                (await log.AppendAsync(r.Expectation.InFlight)).Should().Be(new AppendResult(0, 0, true));
                r.InFlightAcknowledged = true;
            },
        },
        new("seal")
        {
            Build = static async (w, e) =>
            {
                await using var log = await w.OpenAsync(w.Options);
                await AppendSegmentsAsync(log, e, SealedSegments - 1, active: PerSegment);
            },
            Operate = static async r =>
            {
                var log = await r.OpenLiveAsync();
                r.Arm();
                (await log.SealAsync()).Should().NotBeNull("the active segment holds records");
            },
        },
        new("rollover")
        {
            Build = static async (w, e) =>
            {
                await using var log = await w.OpenAsync(w.Options);
                await AppendSegmentsAsync(log, e, SealedSegments - 1, active: 0);

                // Large records until the next one no longer fits: the operation's append rolls the segment over.
                for (var i = 0; i < 3; i++)
                {
                    await AppendAsync(log, e, LargeRecord(e.Records.Count));
                }

                e.InFlight = LargeRecord(e.Records.Count);
            },
            Operate = static async r =>
            {
                var log = await r.OpenLiveAsync();
                var sealedBefore = log.GetInfo().Segments.Count(static s => s.Status != SegmentStatus.Active);
                r.Arm();
                var id = r.Expectation.Records.Count;
                (await log.AppendAsync(r.Expectation.InFlight)).Should().Be(new AppendResult(id, id, true));
                r.InFlightAcknowledged = true;
                var info = log.GetInfo();
                info.Segments.Count(static s => s.Status != SegmentStatus.Active).Should().Be(sealedBefore + 1, "the append must roll the segment over");
                info.Segments[^1].BaseId.Should().Be(id, "the appended record starts the new segment");
            },
        },
        new("archive")
        {
            Build = static async (w, e) =>
            {
                await using var log = await w.OpenAsync(w.Options);
                await AppendSegmentsAsync(log, e, SealedSegments - 1, active: 2);
            },
            Operate = static async r =>
            {
                var log = await r.OpenLiveAsync();
                r.Arm();
                var archived = 0;
                while (await log.ArchiveNextAsync() is not null)
                {
                    archived++;
                }

                archived.Should().Be(SealedSegments - 1);
            },
        },
        new("eviction")
        {
            Configure = static o => o.KeepLocalSegments = 1,
            Build = static async (w, e) =>
            {
                await using var log = await w.OpenAsync(w.Options);
                await AppendSegmentsAsync(log, e, SealedSegments, active: 2);
                await ArchiveAllAsync(log);
            },
            Operate = static async r =>
            {
                var log = await r.OpenLiveAsync();
                r.Arm();
                (await log.EvictArchivedAsync()).Should().HaveCount(SealedSegments - 1);
            },
        },
        new("retention")
        {
            Configure = static o =>
            {
                o.KeepLocalSegments = 2;
                o.RetentionAge = TimeSpan.FromHours(1);
            },
            Build = static async (w, e) =>
            {
                // The first SealedSegments - 1 segments are two hours old, the last one and the active one new; the oldest is
                // evicted (only in the archive), the others are local too.
                await using var log = await w.OpenAsync(w.Options);
                await AppendSegmentsAsync(log, e, SealedSegments - 1, active: 0);
                e.TrimmableBelow = e.Records.Count;
                w.Time.Advance(TimeSpan.FromHours(2));
                await AppendSegmentsAsync(log, e, 1, active: 2);
                await ArchiveAllAsync(log);
                (await log.EvictArchivedAsync()).Should().HaveCount(SealedSegments - 2);
            },
            Operate = static async r =>
            {
                var log = await r.OpenLiveAsync();
                r.Arm();
                (await log.ApplyRetentionAsync()).Should().HaveCount(SealedSegments - 1);
            },
        },
        new("restore")
        {
            Build = static async (w, e) =>
            {
                // Another silo archived everything (the active segment sealed too) and is gone: this silo's folder is empty.
                var elsewhere = w with { DataRoot = w.DataRoot + "-elsewhere" };
                var options = w.Options.Clone();
                options.DataRoot = elsewhere.DataRoot;
                await using (var log = await elsewhere.OpenAsync(options))
                {
                    await AppendSegmentsAsync(log, e, SealedSegments, active: 2);
                    await log.SealAsync();
                    await ArchiveAllAsync(log);
                }

                Directory.Delete(elsewhere.DataRoot, recursive: true);
            },
            Operate = static async r =>
            {
                r.Arm();
                var log = await r.OpenLiveAsync();
                log.LastId.Should().Be(r.Expectation.Records.Count - 1);
            },
        },
        new("catalog-deleted")
        {
            Configure = static o => o.KeepLocalSegments = 1,
            Build = static async (w, e) =>
            {
                await BuildEvictedAsync(w, e);
                foreach (var suffix in new[] { "", "-wal", "-shm" })
                {
                    File.Delete(w.CatalogPath + suffix);
                }
            },
            Operate = static async r =>
            {
                r.Arm();
                var log = await r.OpenLiveAsync();
                log.LastId.Should().Be(r.Expectation.Records.Count - 1);
            },
        },
        new("catalog-corrupt")
        {
            Configure = static o => o.KeepLocalSegments = 1,
            Build = static async (w, e) =>
            {
                await BuildEvictedAsync(w, e);
                File.Exists(w.CatalogPath + "-wal").Should().BeFalse("closing the catalog checkpoints its write-ahead log");
                using var stream = new FileStream(w.CatalogPath, FileMode.Open, FileAccess.Write);
                stream.Write(Enumerable.Repeat((byte)0xA5, 100).ToArray());
            },
            Operate = static async r =>
            {
                r.Arm();
                var log = await r.OpenLiveAsync();
                log.LastId.Should().Be(r.Expectation.Records.Count - 1);
            },
        },
        new("quarantine")
        {
            Configure = static o => o.KeepLocalSegments = 100,
            Build = static async (w, e) => await BuildDamagedAsync(w, e, archived: true),
            Operate = static async r =>
            {
                r.Arm();
                var log = await r.OpenLiveAsync();

                // The damaged file goes to quarantine/, and its verified archived copy serves the records.
                log.GetInfo().Segments.Should().Contain(static s => s.BaseId == PerSegment && s.Status == SegmentStatus.LocalEvicted);
            },
        },
        new("quarantine-unarchived")
        {
            Build = static async (w, e) => await BuildDamagedAsync(w, e, archived: false),
            Operate = static async r =>
            {
                r.Arm();
                var log = await r.OpenLiveAsync();
                log.GetInfo().Segments.Should().Contain(static s => s.BaseId == PerSegment && s.Status == SegmentStatus.Quarantined);
            },
        },
        new("handover")
        {
            // What the drain does on the old silo (PartitionGrain.PrepareHandoverAsync, CompleteHandoverAsync and
            // AppendLogSiloGrain.MoveAsync): flush, seal, archive everything, close, move the folder aside. Between the
            // preparation and the close the ownership table names the new owner, which then restores from the archive.
            Build = static async (w, e) =>
            {
                await using var log = await w.OpenAsync(w.Options);
                await AppendSegmentsAsync(log, e, SealedSegments - 1, active: 2);
                (await log.ArchiveNextAsync()).Should().NotBeNull();
            },
            Operate = static async r =>
            {
                var log = await r.OpenLiveAsync();
                r.Arm();
                await log.FlushAsync();
                await log.SealAsync();
                while (await log.ArchiveNextAsync() is not null)
                {
                }

                log.ArchiveBacklog.Segments.Should().Be(0);
                r.HandedOver = true;
                await log.CloseAsync(seal: false);
                var folder = Path.Combine(r.World.DataRoot, LogName, PartitionName);
                var aside = Path.Combine(r.World.DataRoot, ".handed-over", LogName, Invariant($"{PartitionName}.{log.WriterEpoch}"));
                r.Fs.CreateDirectory(Path.GetDirectoryName(aside)!);
                r.Fs.MoveDirectory(folder, aside);
            },
        },
    }.ToDictionary(static s => s.Name);

    /// <summary>Sealed segments of <see cref="PerSegment"/> records each (explicit seals), then an active one of <paramref name="active"/> records.</summary>
    private static async Task AppendSegmentsAsync(PartitionLog log, Expectation e, int segments, int active)
    {
        for (var s = 0; s < segments; s++)
        {
            for (var i = 0; i < PerSegment; i++)
            {
                await AppendAsync(log, e, Record(e.Records.Count));
            }

            (await log.SealAsync())!.LastId.Should().Be(e.Records.Count - 1);
        }

        for (var i = 0; i < active; i++)
        {
            await AppendAsync(log, e, Record(e.Records.Count));
        }
    }

    private static async Task AppendAsync(PartitionLog log, Expectation e, byte[] payload)
    {
        var id = e.Records.Count;
        (await log.AppendAsync(payload)).Should().Be(new AppendResult(id, id, true));
        e.Records.Add(payload);
    }

    private static async Task ArchiveAllAsync(PartitionLog log)
    {
        while (await log.ArchiveNextAsync() is not null)
        {
        }
    }

    /// <summary>Every sealed segment archived and all but the newest evicted, then closed.</summary>
    private static async Task BuildEvictedAsync(World w, Expectation e)
    {
        await using var log = await w.OpenAsync(w.Options);
        await AppendSegmentsAsync(log, e, SealedSegments, active: 2);
        await ArchiveAllAsync(log);
        (await log.EvictArchivedAsync()).Should().HaveCount(SealedSegments - 1);
    }

    /// <summary>The header of the second sealed segment damaged (so that the next open quarantines it), archived before or not.</summary>
    private static async Task BuildDamagedAsync(World w, Expectation e, bool archived)
    {
        await using (var log = await w.OpenAsync(w.Options))
        {
            await AppendSegmentsAsync(log, e, SealedSegments, active: 2);
            if (archived)
            {
                await ArchiveAllAsync(log);
            }
        }

        var path = Path.Combine(w.DataRoot, LogName, PartitionName, "segments", PartitionLayout.SegmentFileName(PerSegment));
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = SegmentHeader.Size / 2;
            var b = stream.ReadByte();
            stream.Position = SegmentHeader.Size / 2;
            stream.WriteByte((byte)(b ^ 0x10));
        }

        if (!archived)
        {
            for (var id = PerSegment; id < 2 * PerSegment; id++)
            {
                e.Lost.Add(id);
            }
        }
    }

    private static byte[] Record(long id)
    {
        var size = 40 + (int)(id * 37 % 160);
        var bytes = new byte[size];
        var text = Encoding.UTF8.GetBytes(Invariant($"record-{id}:"));
        text.CopyTo(bytes, 0);
        for (var i = text.Length; i < size; i++)
        {
            bytes[i] = (byte)((id * 131) + (i * 7));
        }

        return bytes;
    }

    private static byte[] LargeRecord(long id)
    {
        var bytes = new byte[1000];
        Record(id).CopyTo(bytes, 0);
        for (var i = 200; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(id + i);
        }

        return bytes;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The sweep machinery.

    private async Task<Pristine> BuildPristineAsync(Scenario scenario)
    {
        var root = _scratch.Combine(scenario.Name + "-pristine");
        var time = new FakeTimeProvider(Start);
        var world = new World(Path.Combine(root, "data"), Path.Combine(root, "archive"), time, null!);
        world = world with { Options = scenario.Options(world.DataRoot) };
        Directory.CreateDirectory(world.DataRoot);
        Directory.CreateDirectory(world.ArchiveRoot);
        var expectation = new Expectation();
        await scenario.Build(world, expectation);
        return new Pristine(world, expectation, time.GetUtcNow());
    }

    private async Task<RunResult> RunAsync(Scenario scenario, Pristine pristine, CrashModel model, long? crashAfter)
    {
        var root = _scratch.Combine(Invariant($"{scenario.Name}-{model}-{crashAfter?.ToString(CultureInfo.InvariantCulture) ?? "count"}"));
        var world = World.CopyOf(pristine.World, root);
        var fs = new FaultInjectingFileSystem { CrashModel = model };
        var run = new Run(world, fs, new FakeTimeProvider(pristine.Now), pristine.Expectation, scenario, crashAfter);
        var result = new RunResult { Root = root };
        try
        {
            await scenario.Operate(run).WaitAsync(Patience);
        }
        catch (TimeoutException)
        {
            result.Problems.Add(Invariant($"the operation did not finish within {Patience.TotalSeconds} s after the crash (it hangs)"));
        }
        catch (Exception e)
        {
            result.OperationError = Describe(e);
            if (!fs.Crashed)
            {
                result.Problems.Add("the operation failed without a crash: " + Describe(e));
            }
        }

        result.Crashed = fs.Crashed;
        var trace = fs.Operations.Where(o => o.Number > run.ArmedAt).ToList();
        result.Trace = trace;
        result.Operations = trace.Count(static o => !o.Refused);
        fs.Crash();
        if (run.Live is { } live)
        {
            try
            {
                await DisposeAbandonedAsync(live).WaitAsync(Patience);
            }
            catch (TimeoutException)
            {
                result.Problems.Add(Invariant($"closing the crashed partition did not finish within {Patience.TotalSeconds} s (it hangs); the reopen is skipped"));
                return result;
            }
        }

        result.Undone = fs.SimulateRestart();
        await VerifyAsync(run, result);

        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
            // Left for the scratch root's disposal.
        }

        return result;
    }

    private static async Task DisposeAbandonedAsync(PartitionLog log)
    {
        try
        {
            await log.DisposeAsync();
        }
        catch (Exception e) when (e is IOException or AppendLogException or UnauthorizedAccessException or ObjectDisposedException)
        {
            // The simulated process is dead; whatever its close tried was refused.
        }
    }

    /// <summary>Reopens over the real file system and checks every promise; adds what is broken to <paramref name="result"/>.</summary>
    private static async Task VerifyAsync(Run run, RunResult result)
    {
        var e = run.Expectation;
        var dataRoot = run.HandedOver ? run.World.DataRoot + "-new-owner" : run.World.DataRoot;
        var world = run.World.WithPhysicalArchive() with { DataRoot = dataRoot };
        var options = run.Scenario.Options(dataRoot);
        options.KeepLocalSegments = 1;
        options.RetentionAge = null;
        PartitionLog log;
        try
        {
            log = await PartitionLog.OpenAsync(LogName, PartitionName, options, Environment(PhysicalFileSystem.Instance, world, run.Time));
        }
        catch (Exception ex)
        {
            result.Problems.Add("the reopen failed: " + Describe(ex));
            return;
        }

        await using (log)
        {
            if (log.State != PartitionState.Open)
            {
                result.Problems.Add($"the partition reopened {log.State}: {log.FaultReason}");
            }

            var acked = (long)e.Records.Count;
            var expected = new List<byte[]>(e.Records);
            var inFlightKept = false;
            if (log.LastId == acked - 1 && !run.InFlightAcknowledged)
            {
                // The last acknowledged id is the last id.
            }
            else if (e.InFlight is not null && log.LastId == acked)
            {
                inFlightKept = true;
                expected.Add(e.InFlight);
            }
            else
            {
                result.Problems.Add(Invariant($"the last id is {log.LastId}; expected {(run.InFlightAcknowledged ? acked : acked - 1)}{(e.InFlight is not null && !run.InFlightAcknowledged ? Invariant($" or {acked} (the unacknowledged append kept)") : "")}"));
            }

            if (log.FirstId > e.TrimmableBelow)
            {
                result.Problems.Add(Invariant($"the first id is {log.FirstId}: acknowledged ids {e.TrimmableBelow}..{log.FirstId - 1} are trimmed"));
            }

            await CheckReadsAsync(log, expected, e, "after the reopen", result.Problems);

            var next = Math.Max(log.LastId, expected.Count - 1) + 1;
            var payload = Record(next);
            try
            {
                var appended = await log.AppendAsync(payload);
                if (appended.FirstId != next)
                {
                    result.Problems.Add(Invariant($"the next append got id {appended.FirstId}; expected {next} (the last acknowledged id is {acked - 1}{(inFlightKept ? ", the unacknowledged append was kept" : "")})"));
                }
                else
                {
                    expected.Add(payload);
                }
            }
            catch (Exception ex)
            {
                result.Problems.Add("the next append failed: " + Describe(ex));
                return;
            }

            try
            {
                await ArchiveAllAsync(log);
                await log.EvictArchivedAsync();
            }
            catch (Exception ex)
            {
                result.Problems.Add("archiving and evicting after the reopen failed: " + Describe(ex));
                return;
            }

            await CheckReadsAsync(log, expected, e, "after archiving and evicting everything but the newest sealed segment", result.Problems);
        }
    }

    /// <summary>Reads every expected id one by one; groups the failures into id ranges with the same error.</summary>
    private static async Task CheckReadsAsync(PartitionLog log, List<byte[]> expected, Expectation e, string when, List<string> problems)
    {
        var first = log.FirstId;
        var bad = new List<(long Id, string Error)>();
        for (var id = 0L; id < expected.Count; id++)
        {
            string? error;
            try
            {
                var batch = await log.ReadAsync(id, 1);
                error = batch.Count != 1 || batch[0].Id != id ? Invariant($"the read returned {batch.Count} record(s) (first id {(batch.Count > 0 ? batch[0].Id : -1)})")
                    : !batch[0].Payload.Span.SequenceEqual(expected[(int)id]) ? "the read returned other bytes"
                    : id < first ? Invariant($"the id is below the first id {first} but was served")
                    : null;
            }
            catch (RecordTrimmedException) when (id < first && id < e.TrimmableBelow)
            {
                error = null;
            }
            catch (SegmentCorruptedException) when (e.Lost.Contains(id))
            {
                error = null;
            }
            catch (Exception ex)
            {
                error = Describe(ex);
            }

            if (error is not null)
            {
                // The same failure for a range of ids is reported once: the id in the message becomes '#'.
                bad.Add((id, error.Replace(Invariant($"id {id}"), "id #", StringComparison.Ordinal)));
            }
        }

        for (var i = 0; i < bad.Count;)
        {
            var j = i;
            while (j + 1 < bad.Count && bad[j + 1].Id == bad[j].Id + 1 && bad[j + 1].Error == bad[i].Error)
            {
                j++;
            }

            problems.Add(Invariant($"{when}: {(i == j ? $"id {bad[i].Id}" : $"ids {bad[i].Id}..{bad[j].Id}")}: {bad[i].Error}"));
            i = j + 1;
        }
    }

    private static PartitionLogEnvironment Environment(IFileSystem fs, World world, TimeProvider time) => new()
    {
        FileSystem = fs,
        TimeProvider = time,
        Archive = world.Archive ?? new FileSystemArchive(new FileSystemArchiveOptions { RootPath = world.ArchiveRoot }, fs, time, null),
    };

    private static string Describe(string operation, CrashModel model, long n, long total, RunResult result)
    {
        var text = new StringBuilder();
        text.Append(Invariant($"[{operation}, {model}, n={n} of N={total}]"));
        foreach (var problem in result.Problems)
        {
            text.Append("\n  - ").Append(problem);
        }

        text.Append(Invariant($"\n  the operation {(result.OperationError is null ? "finished" : "threw " + result.OperationError)}"));
        text.Append("\n  operations up to the crash:");
        foreach (var o in result.Trace)
        {
            text.Append("\n    ").Append(o.ToString());
        }

        if (result.Undone.Count > 0)
        {
            text.Append("\n  taken back by the power loss:");
            foreach (var u in result.Undone)
            {
                text.Append("\n    ").Append(u);
            }
        }

        return text.Replace(result.Root + Path.DirectorySeparatorChar, "").ToString();
    }

    private static string Describe(Exception e)
    {
        while (e is AggregateException { InnerException: { } inner })
        {
            e = inner;
        }

        return $"{e.GetType().Name}: {e.Message}";
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private sealed record Scenario(string Name)
    {
        public Action<PartitionLogOptions>? Configure { get; init; }

        public required Func<World, Expectation, Task> Build { get; init; }

        /// <summary>Runs the operation; calls <see cref="Run.Arm"/> where the counted part starts.</summary>
        public required Func<Run, Task> Operate { get; init; }

        public PartitionLogOptions Options(string dataRoot)
        {
            var o = new PartitionLogOptions
            {
                DataRoot = dataRoot,
                MaxSegmentBytes = 4096,
                MaxRecordBytes = 1024,
                Preallocation = PreallocationMode.None,
                FlushPolicy = FlushPolicy.Sync,
                KeepLocalSegments = 100,
            };
            Configure?.Invoke(o);
            return o;
        }
    }

    /// <summary>What the prepared state holds and what a reopen may and must show.</summary>
    private sealed class Expectation
    {
        /// <summary>The acknowledged records, ids 0.. in order.</summary>
        public List<byte[]> Records { get; } = [];

        /// <summary>A record the operation appends: acknowledged only once the append returned.</summary>
        public byte[]? InFlight { get; set; }

        /// <summary>Ids below this may be trimmed (retention may delete them), provided the first id says so.</summary>
        public long TrimmableBelow { get; set; }

        /// <summary>Ids of a damaged segment that was never archived: a read may fail, but only with <see cref="SegmentCorruptedException"/>.</summary>
        public HashSet<long> Lost { get; } = [];
    }

    private sealed record Pristine(World World, Expectation Expectation, DateTimeOffset Now);

    /// <summary>A data root and an archive root; <see cref="Archive"/> is null until a run chooses the file system the archive goes through.</summary>
    private sealed record World(string DataRoot, string ArchiveRoot, FakeTimeProvider Time, PartitionLogOptions Options, ISegmentArchive? Archive = null)
    {
        public string CatalogPath => Path.Combine(DataRoot, LogName, PartitionName, "catalog.db");

        public static World CopyOf(World pristine, string root)
        {
            var copy = pristine with { DataRoot = Path.Combine(root, "data"), ArchiveRoot = Path.Combine(root, "archive"), Archive = null };
            CopyDirectory(pristine.DataRoot, copy.DataRoot);
            CopyDirectory(pristine.ArchiveRoot, copy.ArchiveRoot);
            return copy;
        }

        public World WithPhysicalArchive() => this with { Archive = new FileSystemArchive(new FileSystemArchiveOptions { RootPath = ArchiveRoot }) };

        public Task<PartitionLog> OpenAsync(PartitionLogOptions options) =>
            PartitionLog.OpenAsync(LogName, PartitionName, options, Environment(PhysicalFileSystem.Instance, WithPhysicalArchive(), Time));

        private static void CopyDirectory(string source, string destination)
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
    }

    /// <summary>One run: the world copied from the pristine one, the faulting file system, and how far the operation got.</summary>
    private sealed class Run(World world, FaultInjectingFileSystem fs, FakeTimeProvider time, Expectation expectation, Scenario scenario, long? crashAfter)
    {
        public World World { get; } = world;

        public FaultInjectingFileSystem Fs { get; } = fs;

        public FakeTimeProvider Time { get; } = time;

        public Expectation Expectation { get; } = expectation;

        public Scenario Scenario { get; } = scenario;

        /// <summary>The partition the operation runs on (abandoned after the crash).</summary>
        public PartitionLog? Live { get; private set; }

        /// <summary>The operation number after which the counted part started.</summary>
        public long ArmedAt { get; private set; } = long.MaxValue;

        /// <summary>The operation's own append returned (its record is acknowledged).</summary>
        public bool InFlightAcknowledged { get; set; }

        /// <summary>The handover got past its preparation: the new owner serves the partition (from the archive).</summary>
        public bool HandedOver { get; set; }

        public async Task<PartitionLog> OpenLiveAsync()
        {
            Live = await PartitionLog.OpenAsync(LogName, PartitionName, Scenario.Options(World.DataRoot), Environment(Fs, World, Time));
            return Live;
        }

        public void Arm()
        {
            ArmedAt = Fs.OperationCount;
            if (crashAfter is { } n)
            {
                Fs.CrashAfterOperations(n);
            }
        }
    }

    private sealed class RunResult
    {
        public List<string> Problems { get; } = [];

        /// <summary>The run's folder (left out of paths in reports).</summary>
        public string Root { get; init; } = "";

        public string? OperationError { get; set; }

        public bool Crashed { get; set; }

        public long Operations { get; set; }

        public IReadOnlyList<FileSystemOperation> Trace { get; set; } = [];

        public IReadOnlyList<string> Undone { get; set; } = [];
    }
}
