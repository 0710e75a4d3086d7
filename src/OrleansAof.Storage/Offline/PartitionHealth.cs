namespace OrleansAof.Storage.Offline;

/// <summary>The overall state of a partition.</summary>
public enum PartitionHealth
{
    /// <summary>Nothing for recovery or an operator to do.</summary>
    Clean,

    /// <summary>Only torn tails: the next open (or <c>aof repair --truncate-torn-tail</c>) cuts them back. No acknowledged record is lost.</summary>
    TornTail,

    /// <summary>Damage, a damaged header or an id gap or overlap between segments: an operator has to decide.</summary>
    Damaged,
}
