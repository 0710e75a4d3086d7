using System.Text;
using FluentAssertions;
using OrleansAof.Server.Tests.Fixtures;
using OrleansAof.Server.Tests.Grains;
using OrleansAof.Storage.Archive;
using OrleansAof.TestInfrastructure;
using Xunit;
using Engine = OrleansAof.Storage;

namespace OrleansAof.Server.Tests;

/// <summary>
/// A partition whose folder is lost never hands its ids out again: the cluster keeps its id bound outside the volume, the
/// partition refuses to open with a typed error naming what is known, and continues after the bound only by an
/// operator's decision (<c>aof restore --skip-lost-ids</c>), leaving an explicit gap.
/// </summary>
[Collection(ArchivingClusterGroup.Name)]
[Trait(TestCategories.Name, TestCategories.FaultInjection)]
public sealed class LostVolumeTests(ArchivingCluster fixture)
{
    private static byte[] Record(long id) => Encoding.UTF8.GetBytes($"r{id} " + new string('z', 300));

    [Fact]
    public async Task Lost_partition_folder_is_refused_with_the_typed_error_then_continues_after_the_bound_by_the_operators_decision()
    {
        // On the silo the test cluster started itself (it deactivates grains there), so the silo stays up and only the
        // partition's folder is lost.
        var silo = fixture.SiloNames[0];
        var log = $"lost-{Guid.NewGuid():N}";
        var partition = fixture.PartitionOwnedBy(log, silo);
        var grain = fixture.Partition(log, partition);
        for (var i = 0; i < 60; i++)
        {
            (await grain.AppendAsync(Record(i))).FirstId.Should().Be(i);
        }

        await grain.SealAsync();
        await Wait.UntilAsync(async () => (await grain.GetInfoAsync()).Segments.All(s => s.Status is "Active" or "Archived" or "LocalEvicted"), "every sealed segment is archived");
        for (var i = 60; i < 70; i++)
        {
            (await grain.AppendAsync(Record(i))).FirstId.Should().Be(i, "ids 60.. are acknowledged but never archived");
        }

        await fixture.Cluster.DeactivateAsync(grain);
        var folder = Path.Combine(fixture.Data.Path, silo, log, partition);
        Directory.Delete(folder, recursive: true);

        var append = () => grain.AppendAsync(Record(70));
        var lost = (await append.Should().ThrowAsync<PartitionDataLostException>()).Which;
        lost.IsRetryable.Should().BeFalse();
        lost.Partition.Should().Be(PartitionKey.Format(log, partition));
        lost.HeldThrough.Should().Be(59, "ids 0..59 are archived");
        lost.Bound.Should().BeGreaterThanOrEqualTo(69);
        lost.Message.Should().Contain("60..").And.Contain("aof restore --skip-lost-ids");
        var read = () => grain.ReadAsync(0, 10);
        await read.Should().ThrowAsync<PartitionDataLostException>("the partition stays closed until an operator decides");

        // The operator's decision, as 'aof restore --skip-lost-ids' takes it (the partition is closed, its lock free).
        var archive = new FileSystemArchive(new FileSystemArchiveOptions { RootPath = fixture.ArchiveRoot });
        var options = new Engine.PartitionLogOptions { DataRoot = Path.Combine(fixture.Data.Path, silo), Preallocation = Engine.PreallocationMode.None, LostIds = Engine.LostIdsPolicy.SkipPastBound };
        await using (var restored = await Engine.PartitionLog.OpenAsync(log, partition, options, new Engine.PartitionLogEnvironment { Archive = archive }))
        {
            restored.NextId.Should().Be(60);
        }

        (await grain.AppendAsync(Record(70))).FirstId.Should().Be(lost.Bound + 1, "no id up to the bound is handed out again");
        var batch = await grain.ReadAsync(0, 60);
        batch.Count.Should().Be(60);
        for (var i = 0; i < 60; i++)
        {
            batch[i].Payload.ToArray().Should().Equal(Record(i));
        }

        var gap = () => grain.ReadAsync(60, 1);
        var missing = (await gap.Should().ThrowAsync<RecordsMissingException>()).Which;
        (missing.FirstMissingId, missing.LastMissingId, missing.NextId).Should().Be((60L, lost.Bound, lost.Bound + 1));
        (await grain.GetInfoAsync()).Segments.Should().ContainSingle(s => s.Status == "Missing" && s.BaseId == 60 && s.LastId == lost.Bound);

        // A client tail from id 0 delivers 0..59, then ends with the typed error naming where to resume; from there it goes on.
        var handle = fixture.Logs.GetLog(log);
        var tailed = new List<long>();
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            var tail = async () =>
            {
                await foreach (var r in handle.TailAsync(partition, 0, cts.Token))
                {
                    tailed.Add(r.Id);
                }
            };
            var ended = (await tail.Should().ThrowAsync<RecordsMissingException>("a lost range is never skipped silently")).Which;
            ended.NextId.Should().Be(lost.Bound + 1);
            tailed.Should().Equal(Enumerable.Range(0, 60).Select(static i => (long)i));
            await foreach (var r in handle.TailAsync(partition, ended.NextId, cts.Token))
            {
                r.Id.Should().Be(lost.Bound + 1);
                r.Payload.ToArray().Should().Equal(Record(70));
                break;
            }
        }

        // A subscriber from id 0 folds 0..59, skips the lost ids and goes on after them (it is not wedged at the gap).
        var subscriber = fixture.Client.GetGrain<IExplicitSubscriber>($"gap-{Guid.NewGuid():N}");
        await subscriber.SubscribeAsync(log, partition);
        var key = PartitionKey.Format(log, partition);
        await Wait.UntilAsync(async () => (await subscriber.GetCheckpointsAsync())[key] > lost.Bound + 1, "the subscriber passed the missing ids");
        var handled = await subscriber.GetRecordsAsync();
        handled.Should().HaveCount(61);
        handled[59].Should().StartWith($"{key}#59:r59 ");
        handled[60].Should().StartWith($"{key}#{lost.Bound + 1}:r70 ");
        (await subscriber.GetCheckpointsAsync()).Should().Equal(new Dictionary<string, long> { [key] = lost.Bound + 2 });
    }
}
