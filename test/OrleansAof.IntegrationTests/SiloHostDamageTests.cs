using System.Security.Cryptography;
using System.Text;
using FluentAssertions;
using OrleansAof.Client;
using OrleansAof.TestInfrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OrleansAof.IntegrationTests;

/// <summary>
/// A sealed segment file of one partition is damaged under a running silo host (a real process): cut to about half its
/// length, or a byte flipped inside one record's payload. Sealed segments are memory-mapped for reads, so a read that
/// touched a page the cut took away would abort the whole process (SIGBUS). Only that segment's reads may fail, with
/// the typed <see cref="SegmentCorruptedException"/>; the process lives, and the partition's other segments and the
/// other partition keep serving reads and appends.
/// </summary>
[Trait(TestCategories.Name, TestCategories.FaultInjection)]
public sealed class SiloHostDamageTests(ITestOutputHelper output) : IDisposable
{
    private const int RecordsPerPartition = 600;

    private readonly TempDirectory _data = new("silo-damage");

    public enum Damage
    {
        /// <summary>The file is cut to about half its length, on a page boundary.</summary>
        Truncate,

        /// <summary>One byte in the middle of a record's payload is flipped.</summary>
        Flip,
    }

    /// <summary>The payload of record <paramref name="id"/> of <paramref name="partition"/>: 1,000 bytes no other record shares.</summary>
    private static byte[] Payload(string partition, long id)
    {
        var bytes = new byte[1000];
        for (var block = 0; block * 32 < bytes.Length; block++)
        {
            var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{partition}:{id}:{block}"));
            hash.AsSpan(0, Math.Min(32, bytes.Length - (block * 32))).CopyTo(bytes.AsSpan(block * 32));
        }

        return bytes;
    }

    private string DataRoot() => Directory.CreateDirectory(Path.Combine(_data.Path, "data")).FullName;

    private Dictionary<string, string> Settings(bool archive) => new()
    {
        ["Aof__SiloName"] = "it-0",
        ["Aof__FlushPolicy"] = "Sync",
        ["Aof__MaxSegmentBytes"] = "65536",
        ["Aof__MaxRecordBytes"] = "16384",
        ["Aof__Archive"] = archive ? "FileSystem" : "None",
        ["Aof__ArchivePath"] = Path.Combine(_data.Path, "archive"),

        // Archived segments stay on local disk too, so the damaged file is the one reads go to.
        ["Aof__KeepLocalSegments"] = "1000",
    };

    [Theory]
    [InlineData(Damage.Truncate)]
    [InlineData(Damage.Flip)]
    public async Task Sealed_segment_damaged_under_a_running_silo_fails_only_its_own_reads_typed(Damage damage)
    {
        await using var silo = new SiloHostProcess(DataRoot(), Settings(archive: false));
        await silo.StartAsync();
        using var client = await silo.ConnectClientAsync();
        var log = client.Logs().GetLog("orders");
        await FillAsync(log);
        var victim = await VictimAsync(log, silo);
        var damagedId = Harm(victim.Path, damage, victim.Segment.BaseId);
        output.WriteLine($"{damage}: segment {victim.Segment.BaseId}..{victim.Segment.LastId}, first damaged id {damagedId}");

        // The damaged record, and a batch across it, fail with the typed error naming the segment.
        var error = await TypedErrorAsync(() => log.ReadAsync("0", damagedId, 1), silo);
        error.BaseId.Should().Be(victim.Segment.BaseId);
        error.Detail.Should().Be(damage == Damage.Flip
            ? $"record {damagedId} fails its checksum"
            : $"the file ends at byte {new FileInfo(victim.Path).Length}, before the {victim.Segment.SizeBytes} bytes its footer records (it was truncated)");
        if (damage == Damage.Truncate)
        {
            // The segment's last record lies wholly on pages the file no longer has: touching them through the map would
            // abort the process.
            (await TypedErrorAsync(() => log.ReadAsync("0", victim.Segment.LastId, 1), silo)).Detail.Should().Be(error.Detail);
        }

        (await TypedErrorAsync(() => log.ReadAsync("0", victim.Segment.BaseId, RecordsPerPartition, 16 * 1024 * 1024), silo)).BaseId.Should().Be(victim.Segment.BaseId);

        // The records before the damage in the same segment still read; so does everything outside the segment.
        (await ReadOneAsync(log, "0", victim.Segment.BaseId)).Should().Equal(Payload("0", victim.Segment.BaseId));
        (await ReadRangeAsync(log, "0", 0, victim.Segment.BaseId - 1)).Should().Be(victim.Segment.BaseId);
        var status = await log.GetInfoAsync("0");
        (await ReadRangeAsync(log, "0", victim.Segment.LastId + 1, status.LastId)).Should().Be(status.LastId - victim.Segment.LastId);
        (await ReadRangeAsync(log, "1", 0, RecordsPerPartition - 1)).Should().Be(RecordsPerPartition);

        // Appends go on, on both partitions, and read back.
        foreach (var partition in new[] { "0", "1" })
        {
            var next = (await log.GetInfoAsync(partition)).NextId;
            var ack = await log.AppendToPartitionAsync(partition, Payload(partition, next));
            ack.FirstId.Should().Be(next);
            (await ReadOneAsync(log, partition, next)).Should().Equal(Payload(partition, next));
        }

        silo.HasExited.Should().BeFalse("one damaged file must not take the silo down (exit code {0})", silo.ExitCode);
        (await silo.IsReadyAsync()).Should().BeTrue();
    }

    /// <summary>
    /// With the file-system archive holding a verified copy of the damaged segment, reads of its ids are served from
    /// that copy: the caller gets the original bytes back, not an error.
    /// </summary>
    [Theory]
    [InlineData(Damage.Truncate)]
    [InlineData(Damage.Flip)]
    public async Task Sealed_segment_damaged_under_a_running_silo_is_served_from_its_archived_copy(Damage damage)
    {
        await using var silo = new SiloHostProcess(DataRoot(), Settings(archive: true));
        await silo.StartAsync();
        using var client = await silo.ConnectClientAsync();
        var log = client.Logs().GetLog("orders");
        await FillAsync(log);
        var victim = await VictimAsync(log, silo);
        await Wait.UntilAsync(
            async () => (await log.GetInfoAsync("0")).Segments.Single(s => s.BaseId == victim.Segment.BaseId).Status is "Archived",
            $"segment {victim.Segment.BaseId} is archived",
            TimeSpan.FromSeconds(60));
        File.Exists(victim.Path).Should().BeTrue("the archived segment is also kept on local disk (KeepLocalSegments)");
        var damagedId = Harm(victim.Path, damage, victim.Segment.BaseId);
        output.WriteLine($"{damage}: segment {victim.Segment.BaseId}..{victim.Segment.LastId}, first damaged id {damagedId}");

        (await ReadOneAsync(log, "0", damagedId)).Should().Equal(Payload("0", damagedId), "the archive holds a verified copy of the segment");
        var status = await log.GetInfoAsync("0");
        (await ReadRangeAsync(log, "0", 0, status.LastId)).Should().Be(status.LastId + 1, "every record of the partition reads, the damaged segment's from the archive");
        silo.HasExited.Should().BeFalse();
    }

    /// <summary>Appends <see cref="RecordsPerPartition"/> records to partitions 0 and 1 (several sealed segments each) and reads them all once.</summary>
    private static async Task FillAsync(AppendLogHandle log)
    {
        foreach (var partition in new[] { "0", "1" })
        {
            for (var id = 0L; id < RecordsPerPartition; id += 20)
            {
                var payloads = Enumerable.Range(0, 20).Select(i => Payload(partition, id + i)).ToArray();
                var ack = await log.AppendBatchAsync(partition, RecordPayloads.From(payloads));
                ack.FirstId.Should().Be(id);
                ack.IsDurable.Should().BeTrue();
            }

            // Reading everything opens (and maps) every sealed segment before the damage.
            (await ReadRangeAsync(log, partition, 0, RecordsPerPartition - 1)).Should().Be(RecordsPerPartition);
        }
    }

    /// <summary>The second sealed segment of partition 0 and its file.</summary>
    private static async Task<(SegmentSummary Segment, string Path)> VictimAsync(AppendLogHandle log, SiloHostProcess silo)
    {
        var sealedSegments = (await log.GetInfoAsync("0")).Segments.Where(s => s.Status is "Sealed" or "Archiving" or "Archived").OrderBy(s => s.BaseId).ToList();
        sealedSegments.Should().HaveCountGreaterThan(3, "600 records of 1 KB fill several 64 KiB segments");
        var segment = sealedSegments[1];
        var path = Path.Combine(silo.DataRoot, "orders", "0", "segments", segment.FileName);
        File.Exists(path).Should().BeTrue();
        return (segment, path);
    }

    /// <summary>Damages the file; returns the first id whose record the damage reaches.</summary>
    private static long Harm(string path, Damage damage, long baseId)
    {
        var bytes = File.ReadAllBytes(path);
        if (damage == Damage.Truncate)
        {
            // On a page boundary: the record that straddles the cut has bytes on a page the file no longer holds.
            var cut = bytes.Length / 2 / 4096 * 4096;
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
            {
                stream.SetLength(cut);
            }

            // The first record whose payload does not lie wholly before the cut.
            for (var id = baseId; ; id++)
            {
                var at = bytes.AsSpan().IndexOf(Payload("0", id));
                at.Should().BeGreaterThanOrEqualTo(0, "record {0} is in the segment", id);
                if (at + 1000 + 64 > cut)
                {
                    return id;
                }
            }
        }

        var victimId = baseId + 10;
        var offset = bytes.AsSpan().IndexOf(Payload("0", victimId));
        offset.Should().BePositive("record {0} is in the segment", victimId);
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete))
        {
            stream.Position = offset + 500;
            stream.WriteByte((byte)(bytes[offset + 500] ^ 0x5A));
        }

        return victimId;
    }

    /// <summary>The <see cref="SegmentCorruptedException"/> the read fails with; anything else fails the test, saying whether the silo is still running.</summary>
    private static async Task<SegmentCorruptedException> TypedErrorAsync(Func<Task<LogRecordBatch>> read, SiloHostProcess silo)
    {
        try
        {
            var batch = await read();
            throw new Xunit.Sdk.XunitException($"the read returned {batch.Count} record(s) instead of failing with SegmentCorruptedException");
        }
        catch (SegmentCorruptedException e)
        {
            return e;
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            var state = silo.HasExited ? $"exited with code {silo.ExitCode}" : "is still running";
            throw new Xunit.Sdk.XunitException($"the read failed with {e.GetType().Name} instead of SegmentCorruptedException, and the silo {state}: {e.Message}\n{silo.Output[^Math.Min(silo.Output.Length, 2000)..]}");
        }
    }

    private static async Task<byte[]> ReadOneAsync(AppendLogHandle log, string partition, long id)
    {
        var batch = await log.ReadAsync(partition, id, 1);
        batch.Count.Should().Be(1);
        batch[0].Id.Should().Be(id);
        return batch[0].Payload.ToArray();
    }

    /// <summary>Reads <paramref name="from"/>..<paramref name="to"/> in batches, checks every byte, returns how many records were read.</summary>
    private static async Task<long> ReadRangeAsync(AppendLogHandle log, string partition, long from, long to)
    {
        var next = from;
        while (next <= to)
        {
            var batch = await log.ReadAsync(partition, next, (int)Math.Min(200, to - next + 1), 16 * 1024 * 1024);
            batch.Count.Should().BePositive("records {0}..{1} of partition {2} exist", next, to, partition);
            foreach (var r in batch.Records)
            {
                r.Id.Should().Be(next);
                r.Payload.ToArray().Should().Equal(Payload(partition, r.Id), "record {0} of partition {1}", r.Id, partition);
                next++;
            }
        }

        return next - from;
    }

    public void Dispose() => _data.Dispose();
}
