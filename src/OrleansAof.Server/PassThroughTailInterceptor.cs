namespace OrleansAof.Server;

/// <summary>Delivers every notification once, as it comes.</summary>
public sealed class PassThroughTailInterceptor : ITailNotificationInterceptor
{
    /// <inheritdoc />
    public ValueTask OnPublishAsync(TailAdvanced notification, Func<TailAdvanced, ValueTask> deliver)
    {
        ArgumentNullException.ThrowIfNull(deliver);
        return deliver(notification);
    }
}
