namespace OrleansAof.Server.Replication;

/// <summary>
/// A replica's local log, as the replication protocol needs it: entries at (epoch, id) positions, appended after the
/// end, truncated after a position, made durable in groups. The engine's partition log implements it for real volumes;
/// tests use an in-memory store that keeps only what was flushed across a crash.
/// </summary>
/// <remarks>
/// Appends and truncations are volatile until <see cref="Flush"/>; a crash keeps the log as of the last flush.
/// <see cref="WriteState"/> is durable when it returns.
/// </remarks>
internal interface IReplicaLogStore
{
    /// <summary>The position of the last entry written (durable or not), <see cref="LogPosition.Start"/> when empty.</summary>
    LogPosition End { get; }

    /// <summary>The position of the last durable entry.</summary>
    LogPosition DurableEnd { get; }

    /// <summary>The durable replica state.</summary>
    ReplicaDurableState State { get; }

    /// <summary>Whether the log holds an entry at <paramref name="position"/> (always true for <see cref="LogPosition.Start"/>).</summary>
    bool Contains(LogPosition position);

    /// <summary>The greatest position in the log that is at most <paramref name="position"/> (or <see cref="LogPosition.Start"/>).</summary>
    LogPosition Floor(LogPosition position);

    /// <summary>The position of the entry before the one at <paramref name="position"/> (which must be in the log).</summary>
    LogPosition Before(LogPosition position);

    /// <summary>Up to <paramref name="max"/> entries after <paramref name="after"/> (which must be in the log), in order.</summary>
    IReadOnlyList<ReplicaEntry> ReadAfter(LogPosition after, int max);

    /// <summary>Appends <paramref name="entry"/>, whose position must be greater than <see cref="End"/>.</summary>
    void Append(ReplicaEntry entry);

    /// <summary>Removes every entry after <paramref name="position"/> (which must be in the log).</summary>
    void TruncateAfter(LogPosition position);

    /// <summary>
    /// The leader's rollover rule for a record of <paramref name="payloadLength"/> bytes appended after <see cref="End"/>:
    /// whether it fits the active segment on every replica and whether that segment is past the age limit. A store without
    /// segments answers <see cref="SegmentRollover.None"/>.
    /// </summary>
    SegmentRollover RolloverFor(int payloadLength);

    /// <summary>
    /// The sealed segment whose first record is the entry right after <paramref name="after"/> (a position in the log),
    /// whole, to send to a replica that lacks it; null when that entry is not the first record of a sealed segment (it is
    /// in the active segment, inside a segment, an epoch start, or the store has no segments).
    /// </summary>
    SegmentTransfer? ExportSegmentAfter(LogPosition after);

    /// <summary>
    /// Installs <paramref name="segment"/> after the log's end, which must be at a position before the segment's first
    /// record with the log's last record id <c>BaseId - 1</c>: its epoch marks, then the verified file as a sealed segment.
    /// Durable when it returns; a crash part way leaves the log as it was before (possibly with the leader's epoch starts
    /// before the segment's first record: a prefix, as for appends) or with the whole segment.
    /// </summary>
    void InstallSegment(SegmentTransfer segment);

    /// <summary>Makes every append and truncation so far durable (one group commit).</summary>
    void Flush();

    /// <summary>Replaces the durable replica state, durably.</summary>
    void WriteState(ReplicaDurableState state);
}
