namespace OrleansAof.Storage;

/// <summary>What started a flush.</summary>
internal enum FlushTrigger
{
    /// <summary>Appends under <see cref="FlushPolicyKind.Sync"/> waiting for their group commit.</summary>
    Sync,

    /// <summary>The record count of a batched policy was reached.</summary>
    Batched,

    /// <summary>The interval of a periodic policy elapsed.</summary>
    Periodic,

    /// <summary>An explicit flush, a seal, a policy switch, backpressure or closing the partition.</summary>
    Forced,
}
