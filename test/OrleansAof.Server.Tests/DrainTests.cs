using System.Text;
using FluentAssertions;
using OrleansAof.Server.Tests.Fixtures;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Server.Tests;

[Collection(DrainClusterGroup.Name)]
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class DrainTests(DrainCluster fixture)
{
    private static byte[] Payload(string partition, long id) => Encoding.UTF8.GetBytes($"{partition}:{id} " + new string('d', (int)(id % 400)));

    [Fact]
    public async Task Drain_moves_every_partition_of_a_silo_with_zero_loss_and_the_new_owner_continues_after_the_archived_last_id()
    {
        var log = $"drain-{Guid.NewGuid():N}";
        var drained = fixture.SiloNames[1];
        var partitions = Enumerable.Range(0, 12).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var onDrained = partitions.Where(p => fixture.OwnerOf(log, p) == drained).ToList();
        onDrained.Should().NotBeEmpty();
        var lastIds = new Dictionary<string, long>();
        foreach (var p in partitions)
        {
            var grain = fixture.Partition(log, p);
            for (var id = 0; id < 40; id++)
            {
                (await grain.AppendAsync(Payload(p, id))).FirstId.Should().Be(id);
            }

            (await grain.AppendAsync(Payload(p, 40), stamp: new ProducerStamp(7, 0))).FirstId.Should().Be(40);
            lastIds[p] = 40;
        }

        var report = await fixture.Client.GetGrain<IAppendLogSiloGrain>(drained).DrainAsync(null);

        report.Complete.Should().BeTrue(string.Join("; ", report.Partitions.Where(x => x.Error != null).Select(x => $"{x.Partition}: {x.Error}")));
        report.Partitions.Where(x => x.Partition.StartsWith(log + "/", StringComparison.Ordinal)).Select(x => x.Partition)
            .Should().BeEquivalentTo(onDrained.Select(p => PartitionKey.Format(log, p)));
        report.Partitions.Should().OnlyContain(x => x.Target == fixture.SiloNames[0]);
        (await fixture.Client.GetGrain<IAppendLogSiloGrain>(drained).ListPartitionsAsync()).Partitions.Should().BeEmpty("the drained silo keeps no partition");
        var table = await fixture.Client.GetGrain<IOwnershipGrain>(0).GetAsync();
        foreach (var p in onDrained)
        {
            table.Overrides[PartitionKey.Format(log, p)].Should().Be(fixture.SiloNames[0]);
        }

        foreach (var p in partitions)
        {
            var grain = fixture.Partition(log, p);
            var all = await fixture.Logs.GetLog(log).ReadAsync(p, 0, 1000);
            all.Count.Should().Be(41, $"partition {p} kept every acknowledged record");
            for (var i = 0; i < all.Count; i++)
            {
                all[i].Payload.ToArray().Should().Equal(Payload(p, i));
            }

            (await grain.AppendAsync(Payload(p, 40), stamp: new ProducerStamp(7, 0))).Should().Be(new AppendAck(40, 40, true, true), "idempotence survives the move");
            (await grain.AppendAsync(Payload(p, 41))).FirstId.Should().Be(41, "the new owner continues after the archived last id");
        }
    }

    [Fact]
    public async Task Moving_a_partition_to_a_silo_that_is_not_an_active_member_is_refused_and_moves_nothing()
    {
        var log = $"move-ghost-{Guid.NewGuid():N}";
        var silo = fixture.SiloNames[0];
        var partition = fixture.PartitionOwnedBy(log, silo);
        var grain = fixture.Partition(log, partition);
        for (var id = 0; id < 5; id++)
        {
            (await grain.AppendAsync(Payload(partition, id))).FirstId.Should().Be(id);
        }

        var key = PartitionKey.Format(log, partition);
        var siloGrain = fixture.Client.GetGrain<IAppendLogSiloGrain>(silo);
        foreach (var target in new[] { "ghost", "Silo_9", "evil\nname" })
        {
            var refused = await FluentActions.Awaiting(() => siloGrain.MovePartitionAsync(key, [target])).Should().ThrowAsync<InvalidLogOptionsException>();
            refused.Which.OptionName.Should().Be("targets");
            refused.Which.Message.Should().Contain("is not an active silo").And.NotContain("\n");
            var drain = await FluentActions.Awaiting(() => siloGrain.DrainAsync([target])).Should().ThrowAsync<InvalidLogOptionsException>();
            drain.Which.OptionName.Should().Be("targets");
        }

        (await siloGrain.ListPartitionsAsync(log)).Partitions.Select(p => p.Key).Should().Equal(key);
        Directory.Exists(Path.Combine(fixture.Data.Path, silo, ".handed-over")).Should().BeFalse("nothing was handed over");
        var table = await fixture.Client.GetGrain<IOwnershipGrain>(0).GetAsync();
        table.Overrides.Should().NotContainKey(key);
        (await grain.AppendAsync(Payload(partition, 5))).FirstId.Should().Be(5, "the partition keeps serving on its owner");
    }

    [Fact]
    public async Task Admin_interface_reaches_the_partitions_activation_PrepareHandover_refuses_appends_and_CancelHandover_takes_them_again()
    {
        var log = $"admin-{Guid.NewGuid():N}";
        var partition = fixture.PartitionOwnedBy(log, fixture.SiloNames[0]);
        var grain = fixture.Partition(log, partition);
        var admin = fixture.Client.GetGrain<IPartitionAdminGrain>(PartitionKey.Format(log, partition));
        for (var id = 0; id < 5; id++)
        {
            (await grain.AppendAsync(Payload(partition, id))).FirstId.Should().Be(id);
        }

        var epoch = (await grain.GetInfoAsync()).WriterEpoch;
        var early = await FluentActions.Awaiting(admin.CompleteHandoverAsync).Should().ThrowAsync<InvalidOperationException>();
        early.Which.Message.Should().Contain("call PrepareHandoverAsync first");

        var report = await admin.PrepareHandoverAsync();

        (report.LastId, report.WriterEpoch).Should().Be((4L, epoch), "the handover reports the partition's own last id and epoch");
        var refused = await FluentActions.Awaiting(() => grain.AppendAsync(Payload(partition, 5))).Should().ThrowAsync<PartitionUnavailableException>(
            "the admin call prepared the activation that serves the data plane");
        refused.Which.Message.Should().Contain("moving to another silo");
        var info = await grain.GetInfoAsync();
        (info.LastId, info.Archive!.BacklogSegments).Should().Be((4L, 0), "nothing was written and every sealed segment is archived");

        await admin.CancelHandoverAsync();

        (await grain.AppendAsync(Payload(partition, 5))).FirstId.Should().Be(5, "appends are taken again after the handover is cancelled");
        var all = await fixture.Logs.GetLog(log).ReadAsync(partition, 0, 100);
        all.Records.Select(r => r.Id).Should().Equal(0, 1, 2, 3, 4, 5);
    }

    [Fact]
    public void The_user_facing_partition_interface_has_no_control_plane_call()
    {
        var admin = typeof(IPartitionAdminGrain).GetMethods().Select(m => m.Name).ToList();

        admin.Should().BeEquivalentTo(
            [nameof(IPartitionAdminGrain.RunArchivalAsync), nameof(IPartitionAdminGrain.PrepareHandoverAsync), nameof(IPartitionAdminGrain.CancelHandoverAsync), nameof(IPartitionAdminGrain.CompleteHandoverAsync)]);
        typeof(IPartitionGrain).GetMethods().Select(m => m.Name).Should().NotIntersectWith(admin);
    }

    [Fact]
    public async Task Fence_rereads_the_ownership_table_and_refuses_to_open_a_partition_the_table_moved_to_another_silo()
    {
        var log = $"fence-{Guid.NewGuid():N}";
        var here = fixture.SiloNames[0];
        var other = fixture.SiloNames[1];
        var partition = fixture.PartitionOwnedBy(log, here);
        var key = PartitionKey.Format(log, partition);
        var ownership = new Ownership.PartitionOwnership(Microsoft.Extensions.Options.Options.Create(new AppendLogOptions { Silos = [.. fixture.SiloNames] }));
        var fence = new Ownership.PartitionFence(ownership, new Ownership.OwnershipRefresher(fixture.Client, ownership, TimeProvider.System), here);
        var table = fixture.Client.GetGrain<IOwnershipGrain>(0);

        await fence.EnsureOwnerAsync(log, partition);
        await table.SetAsync(key, other);
        try
        {
            var refused = await FluentActions.Awaiting(() => fence.EnsureOwnerAsync(log, partition)).Should().ThrowAsync<PartitionUnavailableException>(
                "the table read a moment ago named this silo; the fence reads it again before a partition opens");
            refused.Which.Message.Should().Contain($"belongs to silo '{other}', not '{here}'");
        }
        finally
        {
            await table.RemoveAsync(key);
        }

        await fence.EnsureOwnerAsync(log, partition);
    }
}
