using Microsoft.Extensions.Logging;

namespace OrleansAof.Server.Replicated;

/// <summary>
/// Proactive failover (docs/replication.md, "The grain layer"): when membership declares a silo dead, this silo calls
/// the partition grain of every replicated partition whose replica here last followed a leader on that silo, so that
/// the partition activates on a live replica and fails over before the next client call needs it. Only partitions open
/// here are poked (cheap); without the poke the failover still happens on the next call.
/// </summary>
internal sealed partial class ReplicaFailoverPoker(
    IClusterMembershipService membership, ReplicaNodes nodes, IGrainFactory grains, ILogger<ReplicaFailoverPoker> logger)
    : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public void Participate(ISiloLifecycle lifecycle) => lifecycle.Subscribe(
        nameof(ReplicaFailoverPoker),
        ServiceLifecycleStage.Active,
        _ =>
        {
            _loop = Task.Run(WatchAsync, CancellationToken.None);
            return Task.CompletedTask;
        },
        async _ =>
        {
            await _stop.CancelAsync();
            if (_loop is { } loop)
            {
                await loop.ConfigureAwait(false);
            }
        });

    private async Task WatchAsync()
    {
        var dead = new HashSet<SiloAddress>();
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(_stop.Token).ConfigureAwait(false))
            {
                foreach (var member in snapshot.Members.Values)
                {
                    if (member.Status == SiloStatus.Dead && dead.Add(member.SiloAddress))
                    {
                        Poke(member.Name);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The silo is stopping.
        }
    }

    public void Dispose() => _stop.Dispose();

    private void Poke(string deadSilo)
    {
        foreach (var key in nodes.FollowingLeaderOn(deadSilo))
        {
            LogPoking(logger, key, deadSilo);
            grains.GetGrain<IPartitionGrain>(key).GetInfoAsync().Ignore();
        }
    }

    [LoggerMessage(30, LogLevel.Information, "Partition {Partition}: its leader's silo {Silo} is dead; activating it on a live replica")]
    private static partial void LogPoking(ILogger logger, string partition, string silo);
}
