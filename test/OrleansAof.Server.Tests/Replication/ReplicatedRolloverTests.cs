using System.Collections.Immutable;
using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using OrleansAof.Server.Replication;
using OrleansAof.Storage;
using OrleansAof.Storage.Format;
using OrleansAof.Storage.IO;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Server.Tests.Replication;

/// <summary>
/// Rollover decided by the leader from its own engine, by size and by age, on real files: a leader store and two follower
/// stores driven by <see cref="Leader"/> and <see cref="Replica"/> in-process end with the same sealed segments.
/// </summary>
[Trait(TestCategories.Name, TestCategories.Fast)]
public sealed class ReplicatedRolloverTests : IDisposable
{
    private const long SegmentBytes = 16 * 1024;
    private static readonly ImmutableArray<string> Three = ["a", "b", "c"];
    private readonly TempDirectory _dir = new("aof-replica-roll");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Leader_RollsOverBySize_EveryReplicaHasTheSameSealedSegments_AndRecords()
    {
        // One entry per message and a flush per round: followers write a checkpoint after every record, the leader one per round.
        await using var group = await EngineReplicaGroup.StartAsync(Three, Options, maxBatch: 1);
        var payloads = new List<byte[]>();
        var random = new Random(7);
        for (var round = 0; round < 40; round++)
        {
            // Several appends between pumps: the commit point lags the log, so a record that does not fit waits for it.
            for (var i = 0; i < 8; i++)
            {
                var payload = new byte[random.Next(1, 900)];
                random.NextBytes(payload);
                group.Append(payload, payloads.Count + 1).Should().Be(payloads.Count);
                payloads.Add(payload);
            }

            group.Pump();
        }

        group.Acknowledged.Select(a => a.Id).Should().Equal(Enumerable.Range(0, payloads.Count).Select(i => (long)i));
        group.MaxDeferred.Should().BeGreaterThan(0, "some record had to wait for the commit point before it started a segment");
        var leaderSegments = SealedSegments(group.Store("a"));
        leaderSegments.Count.Should().BeGreaterThanOrEqualTo(8, "about 180 KiB of records in 16 KiB segments");
        foreach (var name in Three)
        {
            var store = group.Store(name);
            SealedSegments(store).Select(s => (s.BaseId, s.LastId)).Should().Equal(leaderSegments.Select(s => (s.BaseId, s.LastId)), $"replica {name} has the leader's boundaries");
            foreach (var segment in SealedSegments(store))
            {
                VerifySealed(Path.Combine(store.Partition.DirectoryPath, PartitionLayout.SegmentsFolder, segment.FileName), segment.BaseId, segment.LastId);
            }

            var records = await ReadAllAsync(store.Partition);
            records.Count.Should().Be(payloads.Count);
            for (var id = 0; id < payloads.Count; id++)
            {
                records[id].Should().Equal(payloads[id], $"record {id} on replica {name}");
            }
        }
    }

    [Fact]
    public async Task Leader_RollsOverByAge_OnlyAfterTheCommitPointCoversItsLog()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var group = await EngineReplicaGroup.StartAsync(
            Three,
            name => Options(name),
            _ => new PartitionLogEnvironment { TimeProvider = time });
        group.Append([1], 1);
        group.Append([2], 2);
        group.Pump();
        time.Advance(TimeSpan.FromMinutes(2));

        // The segment is past the age limit: the next append starts a new one (everything before it is committed).
        group.Append([3], 3).Should().Be(2);
        group.Append([4], 4).Should().Be(3);
        group.Pump();

        foreach (var name in Three)
        {
            SealedSegments(group.Store(name)).Select(s => (s.BaseId, s.LastId)).Should().Equal([(0L, 1L)], $"replica {name}");
            group.Store(name).Partition.Writer.ActiveBaseId.Should().Be(2);
        }
    }

    [Fact]
    public async Task Follower_WithASmallerSegmentSize_RefusesTheRecordTyped_NamingTheOption_AndWritesNothing()
    {
        await using var group = await EngineReplicaGroup.StartAsync(Three, name => Options(name, name == "c" ? 8 * 1024 : SegmentBytes));
        for (var i = 0; i < 12; i++)
        {
            group.Append(new byte[900], i + 1);
        }

        var act = () => group.Pump();

        act.Should().Throw<ReplicaSegmentFullException>().Which.Message.Should().Contain(nameof(PartitionLogOptions.MaxSegmentBytes));
        var c = group.Store("c");
        c.Partition.LastId.Should().BeLessThan(11, "the record that does not fit was not written");
        SealedSegments(c).Should().BeEmpty("the follower never rolls over on its own");
    }

    private PartitionLogOptions Options(string name) => Options(name, SegmentBytes);

    private PartitionLogOptions Options(string name, long segmentBytes)
        => new() { DataRoot = _dir.Combine(name), FlushPolicy = FlushPolicy.Async, MaxSegmentBytes = segmentBytes, MaxRecordBytes = 1024, MaxSegmentAge = TimeSpan.FromMinutes(1) };

    internal static List<SegmentInfo> SealedSegments(EngineReplicaLogStore store)
        => store.Partition.GetInfo().Segments.Where(s => s.Status != SegmentStatus.Active).ToList();

    internal static async Task<List<byte[]>> ReadAllAsync(PartitionLog log)
    {
        var records = new List<byte[]>();
        var id = 0L;
        while (id <= log.LastId)
        {
            var batch = await log.ReadAsync(id, 1000, includeUndurable: true);
            batch.Entries.Select(e => e.Id).Should().Equal(Enumerable.Range(0, batch.Count).Select(k => id + k));
            for (var k = 0; k < batch.Count; k++)
            {
                records.Add(batch[k].Payload.ToArray());
            }

            id = batch.NextId;
        }

        return records;
    }

    /// <summary>A sealed file with a valid footer, metadata and index, every frame valid, the rolling checksum matching.</summary>
    internal static void VerifySealed(string path, long baseId, long lastId)
    {
        using var file = PhysicalFileSystem.Instance.OpenFile(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var scan = SegmentScanner.ScanForward(file, 64 * 1024, collectRecords: true);
        scan.IsSealed.Should().BeTrue($"{path}: {scan.FooterError}");
        scan.Stop.Should().Be(ScanStop.CleanEnd, path);
        scan.Metadata!.Value.BaseId.Should().Be(baseId);
        scan.Metadata!.Value.LastId.Should().Be(lastId);
        scan.Records.Count.Should().Be((int)(lastId - baseId + 1));
        scan.RollingChecksum.Should().Be(scan.Metadata!.Value.DataChecksum, path);
    }
}
