namespace OrleansAof.Server.Ownership;

/// <summary>The persisted state of <see cref="PartitionRecordGrain"/>.</summary>
[GenerateSerializer]
[Alias("aof.PartitionRecordState")]
internal sealed class PartitionRecordState
{
    [Id(0)]
    public long? IdBound { get; set; }
}
