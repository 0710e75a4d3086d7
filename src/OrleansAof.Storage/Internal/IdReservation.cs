using System.Globalization;
using Microsoft.Extensions.Logging;

namespace OrleansAof.Storage.Internal;

/// <summary>
/// A partition's reservation of ids in its <see cref="IIdBoundStore"/>: no id above <see cref="ReservedThrough"/> is
/// handed out before the store has recorded a bound at least that high. The bound is raised in the background when half
/// of a reservation is used, so appends wait only when the store is slower than the appends or unreachable.
/// </summary>
internal sealed partial class IdReservation(IIdBoundStore store, string log, string partition, long step, TimeProvider time, ILogger logger)
{
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(1);
    private readonly Lock _sync = new();
    private long _reservedThrough = -1;
    private Task? _raising;
    private string? _failure;
    private long _failedAt;

    /// <summary>The highest id that may be handed out now.</summary>
    public long ReservedThrough => Volatile.Read(ref _reservedThrough);

    /// <summary>
    /// Whether ids through <paramref name="needed"/> may be handed out now; when not, <paramref name="raise"/> is the raise
    /// to wait for. Starts a raise when less than half a reservation is left. Throws <see cref="LogBackpressureException"/>
    /// when the reservation is used up and the last raise failed a moment ago.
    /// </summary>
    public bool Covers(long needed, out Task? raise)
    {
        raise = null;
        var reserved = Volatile.Read(ref _reservedThrough);
        if (needed <= reserved - (step / 2))
        {
            return true;
        }

        lock (_sync)
        {
            if (_raising is null && (_failure is null || time.GetElapsedTime(_failedAt) >= RetryAfterFailure))
            {
                _raising = RaiseAsync(needed + step);
            }

            if (needed <= _reservedThrough)
            {
                return true;
            }

            if (_raising is { } raising)
            {
                raise = raising;
                return false;
            }

            StorageInstruments.RecordBackpressure(BackpressureReason.IdReservation);
            throw new LogBackpressureException(
                BackpressureReason.IdReservation,
                string.Create(CultureInfo.InvariantCulture, $"ids past {_reservedThrough} are not reserved yet: recording the id bound failed ({_failure})."),
                RetryAfterFailure);
        }
    }

    /// <summary>Records exactly <paramref name="bound"/> (at open, and when a handover gives the reserved ids back).</summary>
    public async Task SetAsync(long bound, CancellationToken cancellationToken)
    {
        Task? raising;
        lock (_sync)
        {
            raising = _raising;
        }

        if (raising is not null)
        {
            await raising.ConfigureAwait(false);
        }

        await store.WriteAsync(log, partition, bound, cancellationToken).ConfigureAwait(false);
        lock (_sync)
        {
            Volatile.Write(ref _reservedThrough, bound);
            _failure = null;
        }
    }

    /// <summary>Writes <paramref name="target"/> as the bound; never throws (a failure is remembered and reported by <see cref="Covers"/>).</summary>
    private async Task RaiseAsync(long target)
    {
        await Task.Yield();
        string? failure = null;
        try
        {
            await store.WriteAsync(log, partition, target, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            failure = e.Message;
            LogRaiseFailed(logger, log + "/" + partition, target, e);
        }

        lock (_sync)
        {
            _raising = null;
            if (failure is null)
            {
                Volatile.Write(ref _reservedThrough, Math.Max(_reservedThrough, target));
                _failure = null;
            }
            else
            {
                _failure = failure;
                _failedAt = time.GetTimestamp();
            }
        }
    }

    [LoggerMessage(12, LogLevel.Warning, "Partition {Partition}: recording the id bound {Bound} failed; appends past the current reservation wait for it")]
    private static partial void LogRaiseFailed(ILogger logger, string partition, long bound, Exception exception);
}
