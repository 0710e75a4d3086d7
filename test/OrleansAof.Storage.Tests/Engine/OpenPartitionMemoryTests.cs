using FluentAssertions;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Engine;

/// <summary>
/// An open partition that only gets small records holds small buffers: a silo keeps thousands open, and each used to
/// allocate a 1 MiB frame buffer at open. Runs alone (allocations are counted for the whole process).
/// </summary>
[Collection(OpenPartitionMemoryGroup.Name)]
[Trait(TestCategories.Name, TestCategories.Fast)]
public class OpenPartitionMemoryTests : LogTestBase
{
    [Fact]
    public async Task SixteenOpenPartitions_WithOneSmallRecordEach_AllocateLessThanHalfAMiBEach()
    {
        // One partition first: what is allocated once per process (SQLite, JIT) is not counted.
        await using (var warm = await OpenAsync(partition: "warm"))
        {
            await warm.AppendAsync(Payload(0, 100));
        }

        var logs = new List<PartitionLog>();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        try
        {
            for (var p = 0; p < 16; p++)
            {
                var log = await OpenAsync(partition: p.ToString(System.Globalization.CultureInfo.InvariantCulture));
                logs.Add(log);
                (await log.AppendAsync(Payload(p, 100))).FirstId.Should().Be(0);
            }

            var perPartition = (GC.GetTotalAllocatedBytes(precise: true) - before) / 16;
            perPartition.Should().BeLessThan(512 * 1024, "an open partition with 100-byte records must not hold a 1 MiB buffer");
        }
        finally
        {
            foreach (var log in logs)
            {
                await log.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task SixtyFourOpenPartitions_WithOneSmallRecordEach_RetainLessThan48KiBOfManagedMemoryEach()
    {
        await using (var warm = await OpenAsync(partition: "warm"))
        {
            await warm.AppendAsync(Payload(0, 100));
        }

        var logs = new List<PartitionLog>();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        try
        {
            for (var p = 0; p < 64; p++)
            {
                var log = await OpenAsync(partition: p.ToString(System.Globalization.CultureInfo.InvariantCulture));
                logs.Add(log);
                (await log.AppendAsync(Payload(p, 100))).FirstId.Should().Be(0);
            }

            // Held while open: the active segment's offset index and the flush latency histogram used to keep
            // 64 KiB and 136 KiB of every open partition, whatever it held.
            var perPartition = (GC.GetTotalMemory(forceFullCollection: true) - before) / 64;
            perPartition.Should().BeLessThan(48 * 1024, "an open partition holding one record must not keep large index or histogram arrays");
        }
        finally
        {
            foreach (var log in logs)
            {
                await log.DisposeAsync();
            }
        }
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OpenPartitionMemoryGroup
{
    public const string Name = "open partition memory (runs alone)";
}
