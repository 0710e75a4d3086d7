using System.Globalization;

namespace OrleansAof.StressHarness;

/// <summary>In-process only: every <see cref="StressOptions.KillEvery"/> kills one silo (never the first) abruptly and restarts it after a random down time.</summary>
internal sealed class KillerWorker(StressContext context)
{
    private readonly Random _random = context.RandomFor(4000);
    private readonly WorkerStatus _status = context.Status("killer");

    public async Task RunAsync()
    {
        var stop = context.StopWorkload.Token;
        var silos = context.Target.KillableSilos;
        if (!context.Target.CanKill || context.Options.KillEvery <= TimeSpan.Zero || silos.Count == 0)
        {
            _status.Set("disabled");
            return;
        }

        while (!stop.IsCancellationRequested)
        {
            _status.Set("waiting for the next kill");
            try
            {
                await Task.Delay(context.Options.KillEvery, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            var silo = silos[_random.Next(silos.Count)];
            _status.Set($"killing {silo}");
            await context.Target.KillAsync(silo);
            Interlocked.Increment(ref context.Counters.SiloKills);
            var down = TimeSpan.FromMilliseconds(_random.NextDouble() * context.Options.MaxDownTime.TotalMilliseconds);
            _status.Set(string.Create(CultureInfo.InvariantCulture, $"{silo} is down for {down.TotalSeconds:0.0} s"));

            // The down time is part of the workload, not a synchronisation: the silo stays dead while the others work.
            await Task.Delay(down, context.Abort.Token);
            _status.Set($"restarting {silo}");
            await context.Target.RestartAsync(silo);
            Interlocked.Increment(ref context.Counters.SiloRestarts);
        }

        _status.Set("done");
    }
}
