using System.Threading.Channels;

namespace OrleansAof.Storage.Internal;

/// <summary>
/// Requests to the background flusher, coalesced: any number of requests between two flushes cost one flush, which takes
/// the strongest trigger asked for (forced, sync, batched, periodic). Lock-free.
/// </summary>
internal sealed class FlushRequests
{
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private int _requested;

    /// <summary>Asks for a flush for <paramref name="trigger"/>.</summary>
    public void Request(FlushTrigger trigger)
    {
        Interlocked.Or(ref _requested, 1 << (int)trigger);
        _signal.Writer.TryWrite(true);
    }

    /// <summary>Ends the loop of <see cref="RunAsync"/> after the request it serves.</summary>
    public void Complete() => _signal.Writer.TryComplete();

    /// <summary>Calls <paramref name="flush"/> once per batch of requests until <see cref="Complete"/>.</summary>
    public async Task RunAsync(Action<FlushTrigger> flush)
    {
        var reader = _signal.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            reader.TryRead(out _);
            var bits = Interlocked.Exchange(ref _requested, 0);
            if (bits == 0)
            {
                // A request sets its bit before it signals, so the previous round can take a bit whose signal is still to
                // come: that round's flush already served it. Flushing again would be a spurious flush counted as periodic.
                continue;
            }

            flush(TriggerOf(bits));
        }
    }

    private static FlushTrigger TriggerOf(int bits) =>
        (bits & (1 << (int)FlushTrigger.Forced)) != 0 ? FlushTrigger.Forced
        : (bits & (1 << (int)FlushTrigger.Sync)) != 0 ? FlushTrigger.Sync
        : (bits & (1 << (int)FlushTrigger.Batched)) != 0 ? FlushTrigger.Batched
        : FlushTrigger.Periodic;
}
