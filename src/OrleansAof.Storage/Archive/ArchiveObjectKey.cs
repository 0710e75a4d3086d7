namespace OrleansAof.Storage.Archive;

/// <summary>The key of an archived segment: <c>{log}/{partition}/{fileName}</c>, the same name as the local file.</summary>
/// <param name="Log">Log name.</param>
/// <param name="Partition">Partition name.</param>
/// <param name="FileName">The segment's file name (<see cref="PartitionLayout.SegmentFileName"/>).</param>
public readonly record struct ArchiveObjectKey(string Log, string Partition, string FileName)
{
    /// <summary>The key relative to the archive's root or prefix.</summary>
    public string RelativeKey => $"{Log}/{Partition}/{FileName}";

    /// <inheritdoc />
    public override string ToString() => RelativeKey;
}
