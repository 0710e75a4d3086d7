namespace OrleansAof.Storage.Offline;

/// <summary>The result of <see cref="PartitionInspector.Inspect"/>.</summary>
public sealed class InspectionReport
{
    /// <summary>The path that was inspected.</summary>
    public required string Path { get; init; }

    /// <summary>Whether every checksum was verified (<see cref="InspectionOptions.Verify"/>).</summary>
    public required bool Verified { get; init; }

    /// <summary>The partitions found.</summary>
    public required IReadOnlyList<PartitionReport> Partitions { get; init; }

    /// <summary>The worst health of any partition (<see cref="PartitionHealth.Clean"/> when there is none).</summary>
    public PartitionHealth Health
    {
        get
        {
            var worst = PartitionHealth.Clean;
            foreach (var p in Partitions)
            {
                if (p.Health > worst)
                {
                    worst = p.Health;
                }
            }

            return worst;
        }
    }

    /// <summary>Bytes of segment data read.</summary>
    public long BytesRead { get; init; }
}
