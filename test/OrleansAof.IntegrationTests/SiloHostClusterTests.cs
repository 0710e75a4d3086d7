using System.Diagnostics;
using System.Globalization;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using OrleansAof.Client;
using OrleansAof.TestInfrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OrleansAof.IntegrationTests;

/// <summary>
/// Three silo-host processes named <c>aof-0</c>..<c>aof-2</c> over a real Redis (membership and reminders), as the
/// StatefulSet in <c>k8s/</c> runs them, under a client that appends continuously to 12 partitions (<see cref="ContinuousLoad"/>).
/// Each scenario prints how long it took and how many acknowledged appends it checked.
/// </summary>
[Collection(SiloHostClusterGroup.Name)]
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class SiloHostClusterTests(ClusterServers servers, ITestOutputHelper output)
{
    private const string Log = "orders";
    private const int Partitions = 12;

    /// <summary>
    /// How long a client call waits for its response. A call that was in flight to (or through the gateway of) a silo at
    /// the moment it is killed gets no answer, so it fails after this long: an append with <see cref="AppendOutcomeUnknownException"/>,
    /// any other call with <see cref="PartitionUnavailableException"/>.
    /// </summary>
    private static readonly TimeSpan ResponseTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A call to a partition whose owner the cluster has declared dead must fail at least this fast: well under
    /// <see cref="ResponseTimeout"/>, so it was refused, not timed out. Typical is under 10 ms; the slowest seen on a
    /// loaded 2-core machine was 0.9 s.
    /// </summary>
    private static readonly TimeSpan FailFastLimit = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Silo settings: Sync appends; 256 KiB segments, so that under the load each partition seals one every few seconds
    /// and its archiver uploads it to s3rver; liveness probes every second so a killed silo is declared dead in seconds.
    /// </summary>
    private static readonly Dictionary<string, string> Settings = new(StringComparer.Ordinal)
    {
        ["Aof__FlushPolicy"] = "Sync",
        ["Aof__MaxSegmentBytes"] = "262144",
        ["Aof__MaxRecordBytes"] = "65536",
        ["Aof__ProbeTimeout"] = "00:00:01",
        ["Aof__GatewayShutdownDelay"] = "00:00:02",
    };

    [Fact]
    public async Task Sigkill_a_silo_others_keep_appending_its_partitions_fail_fast_and_recover_with_nothing_lost()
    {
        var rounds = Stress.Scale(1, 6);
        var scenario = Stopwatch.StartNew();
        await using var cluster = new SiloHostCluster(servers, 3, Settings);
        await cluster.StartAsync();
        output.WriteLine($"3 silos ready in {scenario.Elapsed.TotalSeconds:0.0} s (cluster {cluster.ClusterId})");
        using var client = await cluster.ConnectClientAsync(Log, Partitions, ResponseTimeout);
        var log = client.Logs().GetLog(Log);
        await using var load = new ContinuousLoad(log, TimeSpan.FromMilliseconds(20));
        load.Start();
        await load.WaitForProgressAsync(50, "warm-up on three silos");
        var owners = await OwnersAsync(log, cluster);
        var first = owners.Values.GroupBy(v => v).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First().Key;
        var detections = new List<TimeSpan>();
        var slowestFailFast = TimeSpan.Zero;
        var inFlightTimeouts = 0;

        for (var round = 0; round < rounds; round++)
        {
            var victim = cluster.Names[(cluster.Names.ToList().IndexOf(first) + round) % cluster.Names.Count];
            var dead = owners.Where(o => o.Value == victim).Select(o => o.Key).ToArray();
            var alive = owners.Where(o => o.Value != victim).Select(o => o.Key).ToArray();
            dead.Should().NotBeEmpty("rendezvous hashing gives silo {0} some of the 12 partitions", victim);

            var archived = await ArchivedLastIdsAsync(log, dead);
            var killStarted = load.Now;
            await cluster[victim].KillAsync();
            var killed = load.Now;
            using var stopProbes = new CancellationTokenSource();
            var probes = dead.Select(p => ProbeAsync(log, p, load, stopProbes.Token)).ToArray();
            await Wait.UntilAsync(async () => await cluster.MembershipStatusAsync(victim) == SiloStatus.Dead, $"the cluster declares {victim} dead in Redis", TimeSpan.FromSeconds(60));
            var declared = load.Now;

            // Partitions on the other silos keep being acknowledged; the victim's fail with PartitionUnavailableException.
            await load.WaitForProgressAsync(100, $"after {victim} was declared dead the other silos keep appending", load.Snapshot(), alive);
            await Wait.UntilAsync(
                () => dead.All(p => load[p].Errors.Count(e => e.At >= declared && e.Exception is PartitionUnavailableException) >= 5),
                $"each partition of {victim} failed five more appends after it was declared dead");
            var outage = load.Now;
            await stopProbes.CancelAsync();
            var probed = (await Task.WhenAll(probes)).SelectMany(x => x).ToList();

            foreach (var p in alive)
            {
                var errors = load[p].Errors.Where(e => e.At >= killStarted).ToList();
                errors.Where(e => e.At >= declared).Select(e => e.ToString()).Should().BeEmpty(
                    "partition {0} lives on a surviving silo: once the cluster declared {1} dead, none of its appends fails", p, victim);
                errors.Where(e => !((e.Exception is AppendOutcomeUnknownException && e.At < killed) || (e.Exception is PartitionUnavailableException and not AppendOutcomeUnknownException && e.At < declared))).Select(e => e.ToString()).Should().BeEmpty(
                    "before {0} was declared dead, a call to partition {1} only fails when it was in flight through {0}'s gateway at the kill (no answer: AppendOutcomeUnknownException) or needed a directory lookup on {0} (PartitionUnavailableException)", victim, p);
            }

            var failFast = new List<TimeSpan>();
            foreach (var p in dead)
            {
                load[p].AcknowledgedSince(killed).Should().Be(0, "partition {0} lives only on {1}: nothing else may serve it, not even a fresh empty log", p, victim);
                var errors = load[p].Errors.Where(e => e.At >= killStarted).ToList();
                errors.Where(e => !(e.Exception is PartitionUnavailableException and not AppendOutcomeUnknownException || (e.Exception is AppendOutcomeUnknownException && e.At < killed))).Select(e => e.ToString()).Should().BeEmpty(
                    "appends to partition {0} of the killed silo fail with PartitionUnavailableException, except the one in flight at the kill", p);
                var afterDeclaration = errors.Where(e => e.At >= declared).ToList();
                afterDeclaration.Where(e => !(e.Exception is PartitionUnavailableException && e.Duration < FailFastLimit)).Select(e => e.ToString()).Should().BeEmpty("partition {0} fails fast once {1} is declared dead", p, victim);
                failFast.AddRange(afterDeclaration.Select(e => e.Duration));
            }

            // Calls made at any moment of the outage (not only the writers' retries): none succeeds; once the silo is
            // declared dead every one fails fast with PartitionUnavailableException.
            probed.Where(c => c.Exception is null).Select(c => c.ToString()).Should().BeEmpty("no call to a partition of {0} succeeds while it is down", victim);
            probed.Where(c => c.At >= declared && !(c.Exception is PartitionUnavailableException && c.Duration < FailFastLimit)).Select(c => c.ToString()).Should().BeEmpty(
                "once {0} is declared dead a call to its partitions fails with PartitionUnavailableException within {1} ms", victim, FailFastLimit.TotalMilliseconds);
            probed.Where(c => c.At < declared && c.Exception is not (PartitionUnavailableException or TimeoutException)).Select(c => c.ToString()).Should().BeEmpty(
                "before {0} is declared dead a call to its partitions fails with PartitionUnavailableException, or times out when it was sent to the dead silo", victim);
            var beforeDeclaration = probed.Where(c => c.At < declared).ToList();
            failFast.AddRange(probed.Where(c => c.At >= declared).Select(c => c.Duration));

            var fromArchive = await AssertPartitionsOfTheDownSiloAsync(log, dead, archived);

            detections.Add(declared - killed);
            slowestFailFast = failFast.Count == 0 || failFast.Max() < slowestFailFast ? slowestFailFast : failFast.Max();
            inFlightTimeouts += load.Partitions.Sum(p => load[p].Errors.Count(e => e.At >= killStarted && e.Exception is AppendOutcomeUnknownException));
            var firstUnavailable = dead.Select(p => probed.Where(c => c.Partition == p && c.Exception is PartitionUnavailableException).Min(c => c.At + c.Duration)).Max();
            var liveErrors = alive.Sum(p => load[p].Errors.Count(e => e.At >= killStarted));
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"round {round + 1}: SIGKILL {victim} ({dead.Length} partitions: {string.Join(',', dead)}); declared dead after {(declared - killed).TotalSeconds:0.00} s; every partition of it answered PartitionUnavailableException within {(firstUnavailable - killed).TotalSeconds:0.00} s of the kill; calls before the declaration: {beforeDeclaration.Count} ({string.Join(", ", beforeDeclaration.GroupBy(c => c.Exception!.GetType().Name).Select(g => $"{g.Count()} {g.Key}, max {g.Max(c => c.Duration).TotalMilliseconds:0} ms"))}); fail-fast calls after it: {failFast.Count}, median {Median(failFast).TotalMilliseconds:0.0} ms, max {failFast.Max().TotalMilliseconds:0.0} ms; archived history read while it was down: {fromArchive} records (ids 0.. of each partition, bytes checked); surviving partitions: {alive.Sum(p => load[p].AcknowledgedSince(killed))} appends acknowledged during the outage, {liveErrors} failed before the declaration ({string.Join(", ", alive.SelectMany(p => load[p].Errors.Where(e => e.At >= killStarted)).GroupBy(e => e.Exception.GetType().Name).Select(g => $"{g.Count()} {g.Key}"))})"));

            var restart = Stopwatch.StartNew();
            await cluster[victim].StartAsync();
            var ready = restart.Elapsed;
            await load.WaitForProgressAsync(20, $"{victim} serves its partitions again after the restart", load.Snapshot(), dead);
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"round {round + 1}: {victim} ready {ready.TotalSeconds:0.00} s after the restart, its partitions appending again after {restart.Elapsed.TotalSeconds:0.00} s; outage of its partitions {(load.Now - killed).TotalSeconds:0.0} s (kill to recovered), {(outage - killed).TotalSeconds:0.0} s of it observed"));
            (await OwnersAsync(log, cluster)).Should().Equal(owners, "ownership depends only on the configured silo names");
        }

        await load.StopAsync();
        var checkedAppends = await load.VerifyAsync();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"SCENARIO sigkill ({rounds} round(s)): {scenario.Elapsed.TotalSeconds:0.0} s, {checkedAppends} acknowledged appends checked (ids, bytes, no duplicates); declared dead after {detections.Min().TotalSeconds:0.0}-{detections.Max().TotalSeconds:0.0} s, slowest fail-fast call {slowestFailFast.TotalMilliseconds:0} ms, {inFlightTimeouts} appends in flight at a kill got no answer (AppendOutcomeUnknownException, retried with the same stamp)"));
    }

    [Fact]
    public async Task Rolling_restart_under_load_loses_nothing_duplicates_nothing_and_keeps_ids_dense()
    {
        var rounds = Stress.Scale(1, 5);
        var scenario = Stopwatch.StartNew();
        await using var cluster = new SiloHostCluster(servers, 3, Settings);
        await cluster.StartAsync();
        output.WriteLine($"3 silos ready in {scenario.Elapsed.TotalSeconds:0.0} s (cluster {cluster.ClusterId})");
        using var client = await cluster.ConnectClientAsync(Log, Partitions, ResponseTimeout);
        var log = client.Logs().GetLog(Log);
        await using var load = new ContinuousLoad(log, TimeSpan.FromMilliseconds(20));
        load.Start();
        await load.WaitForProgressAsync(50, "warm-up on three silos");
        var owners = await OwnersAsync(log, cluster);
        output.WriteLine(string.Join(", ", owners.Select(o => $"{o.Key}@{o.Value}")));

        for (var round = 0; round < rounds; round++)
        {
            foreach (var silo in cluster.Silos)
            {
                var mine = owners.Where(o => o.Value == silo.Name).Select(o => o.Key).ToArray();
                var step = Stopwatch.StartNew();
                var stopped = load.Now;
                output.WriteLine($"SIGTERM {silo.Name} at {stopped.TotalSeconds:0.000}");
                (await silo.TerminateAsync()).Should().Be(0, "SIGTERM stops {0} cleanly", silo.Name);
                var exited = step.Elapsed;
                silo.Output.Should().Contain("open partition(s) before shutdown", "{0} flushes its partitions before it stops", silo.Name);
                await silo.StartAsync();
                var ready = step.Elapsed;
                await load.WaitForProgressAsync(20, $"every partition appends again after {silo.Name} restarted", load.Snapshot());
                output.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"round {round + 1}: {silo.Name} ({mine.Length} partitions) exited {exited.TotalSeconds:0.00} s after SIGTERM, ready after {ready.TotalSeconds:0.00} s, every partition appending again after {step.Elapsed.TotalSeconds:0.00} s; errors meanwhile: {string.Join(", ", load.Partitions.SelectMany(p => load[p].Errors.Where(e => e.At >= stopped)).GroupBy(e => e.Exception.GetType().Name).Select(g => $"{g.Count()} {g.Key}"))}, of them on the other silos' partitions: {load.Partitions.Where(p => !mine.Contains(p)).Sum(p => load[p].Errors.Count(e => e.At >= stopped))}"));
            }
        }

        await load.StopAsync();
        var errors = load.Partitions.SelectMany(p => load[p].Errors).ToList();
        foreach (var e in errors.Where(e => e.Exception is not PartitionUnavailableException))
        {
            output.WriteLine(e.ToString());
        }

        // An append sent to a partition of the stopping silo between SIGTERM and its exit is answered (the silo finishes
        // it before it closes the partition) or refused with the typed, retryable PartitionUnavailableException; it is
        // never left without an answer (AppendOutcomeUnknownException after the response timeout): the gateway keeps
        // serving for Aof:GatewayShutdownDelay after telling the client to use the other gateways.
        errors.Where(e => e.Exception is not PartitionUnavailableException or AppendOutcomeUnknownException).Select(e => e.ToString())
            .Should().BeEmpty("a planned restart only makes a partition unavailable for a while (refused, typed, retryable), and never leaves an append without an answer");
        var checkedAppends = await load.VerifyAsync();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"SCENARIO rolling restart ({rounds} round(s) of 3 silos): {scenario.Elapsed.TotalSeconds:0.0} s, {checkedAppends} acknowledged appends checked (ids, bytes, no duplicates), {errors.Count} refused and retried appends, none without an answer"));
    }

    /// <summary>
    /// The partitions' id bounds are grain state the silo host keeps in Redis with its membership (<c>AofOwnership</c>): they
    /// outlive the process. A silo host appends ten <c>Sync</c> records (none archived), stops (SIGTERM), loses the
    /// partition's folder, and starts again: the partition refuses to open with <see cref="PartitionDataLostException"/>
    /// instead of handing ids 0..9 out again, because the bound it recorded in Redis says they were acknowledged.
    /// </summary>
    [Fact]
    public async Task Id_bounds_in_Redis_outlive_a_restart_so_a_lost_folder_is_refused_instead_of_reusing_ids()
    {
        await using var cluster = new SiloHostCluster(servers, 1, Settings);
        var silo = cluster.Silos[0];
        await cluster.StartAsync();
        using (var client = await cluster.ConnectClientAsync(Log, 1, ResponseTimeout))
        {
            var log = client.Logs().GetLog(Log);
            for (var i = 0; i < 10; i++)
            {
                (await log.AppendToPartitionAsync("0", ContinuousLoad.Payload("0", i))).FirstId.Should().Be(i);
            }
        }

        (await silo.TerminateAsync()).Should().Be(0);
        var folders = Directory.GetDirectories(silo.DataRoot, "0", SearchOption.AllDirectories).Where(d => Path.GetFileName(Path.GetDirectoryName(d)) == Log).ToList();
        folders.Should().ContainSingle("the partition has one folder under the silo's data root");
        Directory.Delete(folders[0], recursive: true);

        await silo.StartAsync();
        using var after = await cluster.ConnectClientAsync(Log, 1, ResponseTimeout);
        var lost = await FluentActions.Awaiting(() => after.Logs().GetLog(Log).AppendToPartitionAsync("0", [1, 2, 3])).Should().ThrowAsync<PartitionDataLostException>();
        lost.Which.Bound.Should().BeGreaterThanOrEqualTo(9, "the bound recorded before the restart covers every acknowledged id");
        output.WriteLine($"after the restart: {lost.Which.GetType().Name}: {lost.Which.Message}");
    }

    /// <summary>
    /// Scale-out and drain under load, as the runbook in <c>k8s/README.md</c> does them: four silos of which only the first
    /// three are in <c>Aof:Silos</c> (the fourth has just joined and owns nothing). <c>aof drain aof-0 --to aof-3</c> hands
    /// aof-0's partitions to the new silo, then <c>aof drain aof-1</c> spreads aof-1's over the other silos, both with the
    /// built tool as a child process, while a client appends to 12 partitions. Nothing acknowledged is lost or duplicated,
    /// ids stay dense, and the moved partitions are served by their new owners.
    /// </summary>
    [Fact]
    public async Task Scale_out_and_drain_under_load_move_partitions_with_nothing_lost()
    {
        var scenario = Stopwatch.StartNew();
        await using var cluster = new SiloHostCluster(servers, 4, Settings, owners: 3);
        await cluster.StartAsync();
        output.WriteLine($"4 silos ready in {scenario.Elapsed.TotalSeconds:0.0} s (cluster {cluster.ClusterId}; Aof:Silos aof-0,aof-1,aof-2)");
        using var client = await cluster.ConnectClientAsync(Log, Partitions, ResponseTimeout);
        var log = client.Logs().GetLog(Log);
        await using var load = new ContinuousLoad(log, TimeSpan.FromMilliseconds(20));
        load.Start();
        await load.WaitForProgressAsync(50, "warm-up");
        var owners = await OwnersAsync(log, cluster);
        owners.Values.Should().NotContain("aof-3", "a silo that is not in Aof:Silos owns nothing until partitions are moved to it");
        string[] connection = ["--redis", servers.Redis.ConnectionString, "--cluster-id", cluster.ClusterId, "--service-id", cluster.ClusterId];

        foreach (var (silo, args, expectedTargets) in new[]
        {
            ("aof-0", new[] { "--to", "aof-3" }, new[] { "aof-3" }),
            ("aof-1", Array.Empty<string>(), new[] { "aof-0", "aof-2" }),
        })
        {
            var moving = owners.Where(o => o.Value == silo).Select(o => o.Key).Order(StringComparer.Ordinal).ToArray();
            moving.Should().NotBeEmpty("rendezvous hashing gives {0} some of the 12 partitions", silo);
            var started = load.Now;
            var drain = Stopwatch.StartNew();
            var (code, stdout, stderr) = await AofTool.RunAsync(null, ["drain", silo, .. args, "--json", .. connection], TimeSpan.FromMinutes(5));
            drain.Stop();
            var finished = load.Now;
            code.Should().Be(0, "aof drain {0} moves every partition: {1}{2}", silo, stdout, stderr);
            using var report = System.Text.Json.JsonDocument.Parse(stdout);
            var moved = report.RootElement.GetProperty("partitions").EnumerateArray()
                .Select(static m => (Key: m.GetProperty("partition").GetString()!, Target: m.GetProperty("target").GetString()!, LastId: m.GetProperty("lastId").GetInt64()))
                .ToList();
            moved.Select(static m => m.Key).Should().BeEquivalentTo(moving.Select(static p => $"{Log}/{p}"), "the drain moves exactly the partitions {0} held", silo);
            moved.Select(static m => m.Target).Should().OnlyContain(t => expectedTargets.Contains(t));

            await load.WaitForProgressAsync(20, $"the partitions of {silo} append again on their new owners", load.Snapshot(), moving);
            var after = await OwnersAsync(log, cluster);
            foreach (var m in moved)
            {
                var p = m.Key[(Log.Length + 1)..];
                after[p].Should().Be(m.Target, "partition {0} is served where the drain put it", p);
                owners[p] = m.Target;
            }

            after.Should().Equal(owners, "only the drained partitions moved");
            var errors = load.Partitions.SelectMany(p => load[p].Errors.Where(e => e.At >= started)).ToList();
            errors.Where(e => !moving.Contains(e.Partition)).Select(e => e.ToString()).Should().BeEmpty("partitions that were not moved never fail during the drain");
            // As at a planned stop: an append that reached a moving partition's activation while it was handing over can get
            // no answer (AppendOutcomeUnknownException); its retry with the same stamp resolves it, and VerifyAsync proves no loss or duplicate.
            bool InFlightAtTheHandover(AppendError e) => e.Exception is AppendOutcomeUnknownException && e.At <= finished;
            errors.Where(e => e.Exception is not PartitionUnavailableException or AppendOutcomeUnknownException && !InFlightAtTheHandover(e)).Select(e => e.ToString())
                .Should().BeEmpty("a moving partition is only unavailable for a while (retryable, typed)");
            var unavailable = moving.Select(p => load[p].Errors.Where(e => e.At >= started).Select(e => e.At + e.Duration).DefaultIfEmpty(started).Max() - load[p].Errors.Where(e => e.At >= started).Select(e => e.At).DefaultIfEmpty(started).Min()).ToList();
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"aof drain {silo} {string.Join(' ', args)}: {moved.Count} partitions in {drain.Elapsed.TotalSeconds:0.0} s (tool process included); each partition unavailable for at most {unavailable.Max().TotalSeconds:0.00} s; {errors.Count} appends retried ({errors.Count(InFlightAtTheHandover)} timed out in flight at a handover); {load.TotalAcknowledged} appends acknowledged so far"));
        }

        var grains = client.Services.GetRequiredService<IClusterClient>();
        (await grains.GetGrain<IAppendLogSiloGrain>("aof-1").ListPartitionsAsync(Log)).Partitions.Should().BeEmpty("the drained silo holds nothing of the log");
        await load.StopAsync();
        var checkedAppends = await load.VerifyAsync();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"SCENARIO scale out and drain (2 drains under load): {scenario.Elapsed.TotalSeconds:0.0} s, {checkedAppends} acknowledged appends checked (ids, bytes, no duplicates)"));
    }

    /// <summary>
    /// Waits until each of <paramref name="partitions"/> has archived at least one segment, and returns the last id of its
    /// newest archived segment: history that must stay readable while its silo is down.
    /// </summary>
    private static async Task<Dictionary<string, long>> ArchivedLastIdsAsync(AppendLogHandle log, IReadOnlyList<string> partitions)
    {
        var archived = new Dictionary<string, long>(StringComparer.Ordinal);
        await Wait.UntilAsync(
            async () =>
            {
                foreach (var p in partitions)
                {
                    var info = await log.GetInfoAsync(p);
                    archived[p] = info.Segments.Where(static s => s.Status is "Archived" or "LocalEvicted").Select(static s => s.LastId).DefaultIfEmpty(-1).Max();
                }

                return archived.Values.All(static id => id >= 0);
            },
            "every partition of the silo about to be killed has archived a segment to s3rver",
            TimeSpan.FromSeconds(90));
        return archived;
    }

    /// <summary>
    /// What a client can still do with the partitions of a silo that is down, asserted while it is down: appends fail
    /// fast (asserted by the caller); reads of archived records are served from the archive by the other silos, byte for
    /// byte, dense from id 0 at least up to the id archived before the kill (<paramref name="archived"/>); a read past
    /// what the archive holds fails fast with <see cref="PartitionUnavailableException"/>.
    /// </summary>
    private static async Task<long> AssertPartitionsOfTheDownSiloAsync(AppendLogHandle log, IReadOnlyList<string> partitions, Dictionary<string, long> archived)
    {
        long total = 0;
        foreach (var p in partitions)
        {
            var next = 0L;
            while (true)
            {
                var read = Stopwatch.StartNew();
                LogRecordBatch batch;
                try
                {
                    batch = await log.ReadAsync(p, next, 1000, 16 * 1024 * 1024);
                }
                catch (PartitionUnavailableException e)
                {
                    e.Partition.Should().Be($"{Log}/{p}");
                    read.Elapsed.Should().BeLessThan(FailFastLimit, "a read of partition {0} past its archive fails fast", p);
                    break;
                }

                batch.Count.Should().BePositive("a read of archived history returns records or fails as unavailable");
                foreach (var record in batch.Records)
                {
                    record.Id.Should().Be(next, "archived ids of partition {0} are dense", p);
                    record.Payload.ToArray().Should().Equal(ContinuousLoad.Payload(p, (int)next), "archived record {0} of partition {1} has its acknowledged bytes", next, p);
                    next++;
                }
            }

            (next - 1).Should().BeGreaterThanOrEqualTo(archived[p], "partition {0} had archived up to id {1} before its silo was killed: all of it stays readable", p, archived[p]);
            total += next;
        }

        return total;
    }

    /// <summary>Calls <paramref name="partition"/> every 20 ms until cancelled and records how each call ended, on the load's clock.</summary>
    private static async Task<List<ProbeCall>> ProbeAsync(AppendLogHandle log, string partition, ContinuousLoad load, CancellationToken cancellationToken)
    {
        var calls = new List<ProbeCall>();
        while (!cancellationToken.IsCancellationRequested)
        {
            var started = load.Now;
            try
            {
                await log.GetInfoAsync(partition);
                calls.Add(new ProbeCall(partition, started, load.Now - started, null));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                calls.Add(new ProbeCall(partition, started, load.Now - started, e));
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return calls;
    }

    private static async Task<Dictionary<string, string>> OwnersAsync(AppendLogHandle log, SiloHostCluster cluster)
    {
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < log.PartitionCount; i++)
        {
            var p = log.PartitionName(i);
            owners[p] = (await log.GetInfoAsync(p)).Silo;
        }

        owners.Values.Should().OnlyContain(s => cluster.Names.Contains(s));
        return owners;
    }

    private static TimeSpan Median(List<TimeSpan> values) => values.Count == 0 ? TimeSpan.Zero : values.Order().ElementAt(values.Count / 2);
}

/// <summary>One call of <c>ProbeAsync</c>: when it started (load clock), how long it took, and its exception (null when it succeeded).</summary>
public sealed record ProbeCall(string Partition, TimeSpan At, TimeSpan Duration, Exception? Exception)
{
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"partition {Partition} called at {At.TotalSeconds:0.000} s: {(Exception is null ? "succeeded" : Exception.GetType().Name + ": " + Exception.Message.Split('\n', 2)[0])} after {Duration.TotalMilliseconds:0} ms");
}
