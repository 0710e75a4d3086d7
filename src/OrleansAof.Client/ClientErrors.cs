using Orleans.Runtime.Messaging;

namespace OrleansAof.Client;

/// <summary>
/// Turns Orleans transport failures of partition calls into the log's typed errors. The typed errors of the log (every
/// <see cref="AppendLogException"/>, <see cref="ArchiveUnavailableException"/> among them) pass as they are, also when
/// Orleans delivers them inside a rejection (a partition whose activation failed, for example because its first open
/// needed an unavailable archive). A failure before the request can have reached the partition (no connection, a
/// rejected or refused message, a stopping silo that no longer addresses calls) becomes
/// <see cref="PartitionUnavailableException"/>: nothing was done. A failure after
/// the request may have reached it (a timeout, a silo that died with the call in flight) becomes
/// <see cref="AppendOutcomeUnknownException"/> for an append, and <see cref="PartitionUnavailableException"/> for a call
/// that changes nothing. Both are retryable.
/// </summary>
internal static class ClientErrors
{
    /// <summary>Awaits a call that changes nothing (a read, a status, a long poll). Appends translate with <see cref="Translate"/> themselves.</summary>
    public static async Task<T> Guard<T>(Task<T> call, string partitionKey)
    {
        try
        {
            return await call;
        }
        catch (Exception e) when (Translate(e, partitionKey) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>
    /// The exception the caller should see instead of <paramref name="error"/>, or null to let it through. For an append
    /// (<paramref name="isAppend"/>) a lost answer is reported as <see cref="AppendOutcomeUnknownException"/>.
    /// </summary>
    public static Exception? Translate(Exception error, string partitionKey, bool isAppend = false) => error switch
    {
        AppendLogException => null,
        OrleansMessageRejectionException { InnerException: AppendLogException inner } => inner,

        // Refused by the placement of a silo that is stopping (its gateway still forwards calls for a moment after a
        // SIGTERM, but it no longer places or addresses them): the request never reached a grain, so nothing was done.
        SiloUnavailableException when IsRefusedByAStoppingSilo(error) =>
            new PartitionUnavailableException(partitionKey, Describe("the silo it was sent through is shutting down and did not deliver the call; nothing was done", error), error),

        // Sent, and the answer is lost: an append may have been written. (SiloUnavailableException, a rejection Orleans
        // also raises for calls in flight to a silo that died, is checked before the other rejections.)
        TimeoutException or SiloUnavailableException when isAppend =>
            new AppendOutcomeUnknownException(partitionKey, Describe(error is TimeoutException ? "no answer within the response timeout" : "the silo went away with the call in flight", error), error),
        TimeoutException or SiloUnavailableException =>
            new PartitionUnavailableException(partitionKey, Describe(error is TimeoutException ? "no answer within the response timeout" : "the silo that serves it cannot be reached", error), error),

        // Never sent, or refused before any grain code ran: nothing happened.
        ConnectionFailedException or GatewayTooBusyException or OrleansMessageRejectionException =>
            new PartitionUnavailableException(partitionKey, Describe("the silo that serves it cannot be reached", error), error),
        _ => null,
    };

    /// <summary>
    /// Orleans' placement service of a stopping silo refuses every call it would have to address with exactly
    /// "Silo '{address}' is shutting down." Any other wording (a silo that died with the call in flight, a local host that
    /// stops) keeps the outcome unknown.
    /// </summary>
    private static bool IsRefusedByAStoppingSilo(Exception error) =>
        error.InnerException is null && error.Message.StartsWith("Silo '", StringComparison.Ordinal) && error.Message.EndsWith("' is shutting down.", StringComparison.Ordinal);

    private static string Describe(string what, Exception error) => what + " (" + error.GetType().Name + ": " + FirstLine(error.Message) + ")";

    private static string FirstLine(string text)
    {
        var line = text.Split('\n', 2)[0].TrimEnd();
        return line.Length > 300 ? line[..300] + "..." : line;
    }
}
