namespace OrleansAof.Streams;

/// <summary>Rejects invalid <see cref="AppendLogStreamOptions"/>; the message names the provider and the option.</summary>
internal static class AppendLogStreamOptionsValidator
{
    public static void Validate(string name, AppendLogStreamOptions o)
    {
        var prefix = $"{nameof(AppendLogStreamOptions)}['{name}'].";
        if (o.Partitions is < 1 or > 1024)
        {
            throw new OrleansConfigurationException($"{prefix}{nameof(o.Partitions)} must be 1 to 1,024; it is {o.Partitions}.");
        }

        if (o.MaxRecordsPerRead < 1)
        {
            throw new OrleansConfigurationException($"{prefix}{nameof(o.MaxRecordsPerRead)} must be at least 1; it is {o.MaxRecordsPerRead}.");
        }

        if (o.CacheRecords < 1)
        {
            throw new OrleansConfigurationException($"{prefix}{nameof(o.CacheRecords)} must be at least 1; it is {o.CacheRecords}.");
        }

        if (o.CheckpointInterval < TimeSpan.Zero)
        {
            throw new OrleansConfigurationException($"{prefix}{nameof(o.CheckpointInterval)} cannot be negative; it is {o.CheckpointInterval}.");
        }

        if (o.CheckpointLag < TimeSpan.Zero)
        {
            throw new OrleansConfigurationException($"{prefix}{nameof(o.CheckpointLag)} cannot be negative; it is {o.CheckpointLag}.");
        }

        if (o.Log is not null && !PartitionKey.IsValid(o.Log))
        {
            throw new OrleansConfigurationException($"{prefix}{nameof(o.Log)} '{o.Log}' is not a valid log name.");
        }
    }
}
