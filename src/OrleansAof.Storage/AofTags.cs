namespace OrleansAof.Storage;

/// <summary>Attribute names of the product's spans (docs/observability.md).</summary>
public static class AofTags
{
    /// <summary>The log's name.</summary>
    public const string Log = "aof.log";

    /// <summary>The partition's name.</summary>
    public const string Partition = "aof.partition";

    /// <summary>First record id of the operation.</summary>
    public const string FirstId = "aof.first_id";

    /// <summary>Last record id of the operation.</summary>
    public const string LastId = "aof.last_id";

    /// <summary>Records in the operation.</summary>
    public const string Records = "aof.records";

    /// <summary>Bytes in the operation.</summary>
    public const string Bytes = "aof.bytes";

    /// <summary>The partition's writer epoch.</summary>
    public const string Epoch = "aof.epoch";

    /// <summary>Whether the records were durable when the append returned.</summary>
    public const string Durable = "aof.durable";

    /// <summary>What started a flush.</summary>
    public const string Trigger = "aof.trigger";

    /// <summary>The partition's state after it opened.</summary>
    public const string State = "aof.state";

    /// <summary>The archived object's name.</summary>
    public const string ArchiveObject = "aof.object";
}
