using System.Text;
using FluentAssertions;
using OrleansAof.Server.Tests.Fixtures;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Server.Tests;

[Collection(FailoverClusterGroup.Name)]
[Trait(TestCategories.Name, TestCategories.FaultInjection)]
public sealed class FailoverIdempotenceTests(FailoverCluster fixture)
{
    [Fact]
    public async Task Retry_after_the_owner_silo_restarted_is_still_a_duplicate()
    {
        var log = $"idem-restart-{Guid.NewGuid():N}";
        var silo = fixture.SiloNames[1];
        var partition = fixture.PartitionOwnedBy(log, silo);
        var grain = fixture.Partition(log, partition);
        var stamp = new ProducerStamp(99, 3);
        var first = await grain.AppendAsync(Encoding.UTF8.GetBytes("x"), stamp: stamp);

        await fixture.KillSiloAsync(silo);
        await fixture.RestartSiloAsync(silo);
        AppendAck retry = default;
        await Wait.UntilAsync(
            async () =>
            {
                try
                {
                    retry = await grain.AppendAsync(Encoding.UTF8.GetBytes("x"), stamp: stamp);
                    return true;
                }
                catch (PartitionUnavailableException)
                {
                    return false;
                }
            },
            "the restarted owner accepts the retried append");
        (retry.FirstId, retry.IsDuplicate).Should().Be((first.FirstId, true));
    }
}
