namespace OrleansAof.Server.Tests.Fixtures;

/// <summary>
/// Drops, duplicates and reorders tail notifications of logs whose name starts with <see cref="Prefix"/>, on a fixed
/// pattern: of every six notifications one is dropped, one is sent twice and one is held back and sent after the next.
/// Other logs pass through.
/// </summary>
public sealed class ChaosTailInterceptor : ITailNotificationInterceptor
{
    public const string Prefix = "chaos";
    private readonly Lock _sync = new();
    private readonly Dictionary<string, TailAdvanced> _held = [];
    private long _count;

    public long Dropped { get; private set; }

    public long Duplicated { get; private set; }

    public long Reordered { get; private set; }

    public async ValueTask OnPublishAsync(TailAdvanced notification, Func<TailAdvanced, ValueTask> deliver)
    {
        if (!notification.Log.StartsWith(Prefix, StringComparison.Ordinal))
        {
            await deliver(notification);
            return;
        }

        long n;
        TailAdvanced? held;
        lock (_sync)
        {
            n = _count++;
            _held.Remove(notification.PartitionKey, out held);
        }

        switch (n % 6)
        {
            case 1:
                Dropped++;
                break;
            case 3:
                Duplicated++;
                await deliver(notification);
                await deliver(notification);
                break;
            case 4:
                lock (_sync)
                {
                    _held[notification.PartitionKey] = notification;
                }

                break;
            default:
                await deliver(notification);
                break;
        }

        if (held is not null)
        {
            // Released after a newer one: the subscriber sees an older high-water mark after a newer one.
            Reordered++;
            await deliver(held);
        }
    }
}
