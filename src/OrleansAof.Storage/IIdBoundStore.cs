namespace OrleansAof.Storage;

/// <summary>
/// Keeps, outside a partition's own volume, a durable upper bound of every id the partition may have handed out. The
/// partition raises the bound (in steps of <see cref="PartitionLogOptions.IdReservation"/>) before it appends past it,
/// so after a lost volume the bound says which ids may have been acknowledged and are gone: they are never handed out
/// again (<see cref="PartitionDataLostException"/> until an operator decides, see <see cref="LostIdsPolicy"/>).
/// </summary>
/// <remarks>
/// One writer per partition: the partition's owner. An implementation must make <see cref="WriteAsync"/> durable before
/// it returns (the Orleans server keeps it in the cluster's durable grain storage).
/// </remarks>
public interface IIdBoundStore
{
    /// <summary>The recorded bound of the partition, or <see langword="null"/> when none was ever recorded.</summary>
    Task<long?> ReadAsync(string log, string partition, CancellationToken cancellationToken);

    /// <summary>Records <paramref name="bound"/> as the partition's bound, durably.</summary>
    Task WriteAsync(string log, string partition, long bound, CancellationToken cancellationToken);
}
