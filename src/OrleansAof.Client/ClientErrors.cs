using Orleans.Runtime.Messaging;

namespace OrleansAof.Client;

/// <summary>
/// Turns Orleans transport failures of partition calls into <see cref="PartitionUnavailableException"/>. The typed errors
/// of the log (every <see cref="AppendLogException"/>, <see cref="ArchiveUnavailableException"/> among them) pass as they
/// are, also when Orleans delivers them inside a rejection (a partition whose activation failed, for example because its
/// first open needed an unavailable archive).
/// </summary>
internal static class ClientErrors
{
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

    /// <summary>The exception the caller should see instead of <paramref name="error"/>, or null to let it through.</summary>
    public static Exception? Translate(Exception error, string partitionKey) => error switch
    {
        AppendLogException => null,
        OrleansMessageRejectionException { InnerException: AppendLogException inner } => inner,
        SiloUnavailableException or OrleansMessageRejectionException or ConnectionFailedException or GatewayTooBusyException =>
            new PartitionUnavailableException(partitionKey, "the silo that serves it cannot be reached (" + error.GetType().Name + ": " + error.Message + ")", error),
        _ => null,
    };
}
