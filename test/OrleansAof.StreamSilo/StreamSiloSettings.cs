namespace OrleansAof.StreamSilo;

/// <summary>The test silo's settings, given as <c>--Name=value</c> arguments.</summary>
public sealed class StreamSiloSettings
{
    /// <summary>The stream provider's name and its log.</summary>
    public const string Provider = "events";

    /// <summary>The grain storage (Redis) of the recorders, the fold subscriber and the effect sink.</summary>
    public const string RecorderStorage = "StreamTests";

    /// <summary>The line the silo prints once it has started.</summary>
    public const string ReadyLine = "STREAM SILO READY";

    public string ClusterId { get; set; } = "";

    public string SiloName { get; set; } = "";

    public int SiloPort { get; set; }

    public int GatewayPort { get; set; }

    /// <summary>The Redis connection string (membership and every grain storage).</summary>
    public string Redis { get; set; } = "";

    public string DataRoot { get; set; } = "";

    /// <summary>The silos that own partitions (comma-separated names).</summary>
    public string Owners { get; set; } = "";

    /// <summary><c>Redis</c>: a durable <c>PubSubStore</c>; anything else: the in-memory one <c>AddAppendLog</c> adds.</summary>
    public string PubSub { get; set; } = "Redis";

    /// <summary>
    /// Every silo of the cluster (comma-separated names). When set, the stream provider's queues are balanced by Orleans'
    /// deployment-based balancer over these names (an even split, each silo holding queues); otherwise by the default
    /// consistent-ring balancer, which may give a silo no queue.
    /// </summary>
    public string BalanceOver { get; set; } = "";

    /// <summary>Partitions (queues) of the stream provider.</summary>
    public int Partitions { get; set; } = 8;

    /// <summary>Records per read of the log subscribers.</summary>
    public int SubscriberBatch { get; set; } = 1000;

    /// <summary>The fold subscriber stops inside its handler at this record id once (see <see cref="FoldSubscriber"/>); -1: never.</summary>
    public long BlockAtId { get; set; } = -1;

    /// <summary>Where the fold subscriber writes the file that says it is blocked.</summary>
    public string BlockDir { get; set; } = "";
}
