namespace OrleansAof.Server;

/// <summary>Marks the silo ready once it started and flushes every open partition first thing when it stops.</summary>
internal sealed class AppendLogLifecycle(OpenPartitions partitions) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) => lifecycle.Subscribe(
        nameof(AppendLogLifecycle),
        ServiceLifecycleStage.Active,
        _ =>
        {
            partitions.IsReady = true;
            return Task.CompletedTask;
        },
        async ct =>
        {
            partitions.IsReady = false;
            await partitions.FlushAllAsync(ct);
        });
}
