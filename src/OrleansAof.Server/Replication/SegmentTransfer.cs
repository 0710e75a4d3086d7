namespace OrleansAof.Server.Replication;

/// <summary>
/// A sealed segment of a leader's log, sent whole to a replica that lacks it (docs/replication.md, "Catch-up"): the
/// entries after the request's previous position through <paramref name="Last"/>.
/// </summary>
/// <param name="BaseId">The segment's first record id.</param>
/// <param name="LastId">The segment's last record id.</param>
/// <param name="Last">The position of the last record.</param>
/// <param name="Epochs">
/// The leader's epoch history for the entries the segment covers, in order: a mark for the epoch of the first record,
/// one for each epoch start among the entries, one for each later epoch change. The records stay dense ids in the file;
/// these marks keep their (epoch, id) positions exact on the replica.
/// </param>
/// <param name="FileName">The segment's file name, the same on every replica and in the archive.</param>
/// <param name="File">The whole sealed file, or empty when the replica is to fetch it from the archive (the leader evicted it).</param>
/// <param name="FileChecksum">The CRC-32C of <paramref name="File"/>, computed by the leader after it checked the footer.</param>
internal sealed record SegmentTransfer(long BaseId, long LastId, LogPosition Last, IReadOnlyList<EpochMark> Epochs, string FileName, ReadOnlyMemory<byte> File, uint FileChecksum)
{
    /// <summary>Whether the replica fetches the file from the archive.</summary>
    public bool FromArchive => File.IsEmpty;

    public override string ToString() => $"segment[{BaseId}..{LastId}]{(FromArchive ? "@archive" : "")}";
}
