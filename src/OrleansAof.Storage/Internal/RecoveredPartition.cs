using OrleansAof.Storage.Catalog;
using OrleansAof.Storage.Format;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage.Internal;

/// <summary>
/// What <see cref="PartitionOpener"/> hands to a new <see cref="PartitionLog"/>: the held directory lock and catalog, the
/// recovered segments and rows, and the writer's starting state. The log owns all of it from then on.
/// </summary>
/// <param name="Directory">The partition's directory.</param>
/// <param name="Options">The validated options.</param>
/// <param name="Environment">File system, clock, logging, archive and id bound store.</param>
/// <param name="LockFile">The exclusive writer lock, held.</param>
/// <param name="Catalog">The open segment catalog, already rewritten to match <paramref name="Rows"/>.</param>
/// <param name="Epoch">This writer's epoch.</param>
/// <param name="Sealed">Local sealed segments in id order.</param>
/// <param name="Active">The active segment (possibly a placeholder for a lost one).</param>
/// <param name="Rows">Catalog rows of every segment that is not active.</param>
/// <param name="FirstId">The first id still held.</param>
/// <param name="LastTimestampMicros">The newest record timestamp (timestamps never go backwards).</param>
/// <param name="FaultReason">Why the partition opens faulted, or null.</param>
/// <param name="Producers">The idempotent producers' table.</param>
internal sealed record RecoveredPartition(
    PartitionDirectory Directory,
    PartitionLogOptions Options,
    PartitionLogEnvironment Environment,
    IStorageFile LockFile,
    SegmentCatalog Catalog,
    long Epoch,
    SealedSegment[] Sealed,
    ActiveSegment Active,
    IReadOnlyList<SegmentInfo> Rows,
    long FirstId,
    long LastTimestampMicros,
    string? FaultReason,
    Dictionary<long, ProducerEntry> Producers);
