using FluentAssertions;
using OrleansAof.Server.Tests.Fixtures;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Server.Tests;

/// <summary>The run-time flush policy belongs to one activation: a reactivated partition starts with AppendLogOptions.FlushPolicy.</summary>
[Collection(ThreeSiloClusterGroup.Name)]
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class FlushPolicyActivationTests(ThreeSiloCluster fixture)
{
    [Fact]
    public async Task A_policy_set_at_run_time_holds_until_the_partition_deactivates_then_the_configured_policy_applies()
    {
        var grain = fixture.Partition($"policy-{Guid.NewGuid():N}");
        await grain.SetFlushPolicyAsync(LogFlushPolicy.Async);
        (await grain.AppendAsync([1])).IsDurable.Should().BeFalse("under Async an append is acknowledged before it is fsynced");
        (await grain.GetInfoAsync()).FlushPolicy.Should().Be(LogFlushPolicy.Async);

        await fixture.Cluster.DeactivateAsync(grain);

        (await grain.GetInfoAsync()).FlushPolicy.Should().Be(LogFlushPolicy.Sync, "the switch is not persisted: the new activation uses AppendLogOptions.FlushPolicy");
        var ack = await grain.AppendAsync([2]);
        ack.Should().Be(new AppendAck(1, 1, IsDurable: true, IsDuplicate: false), "the record before the deactivation was kept, and Sync applies again");
    }
}
