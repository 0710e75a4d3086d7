using System.Runtime.CompilerServices;

namespace OrleansAof.Cli.Cluster;

/// <summary>Reads records from a stream and groups them into append batches, without holding more than one batch.</summary>
internal static class RecordInput
{
    /// <summary>A batch leaves at this many payload bytes (a larger record goes alone), like the producer's default.</summary>
    public const int MaxBatchBytes = 1024 * 1024;

    private const int ChunkBytes = 64 * 1024;

    /// <summary>Batches of at most <paramref name="maxRecords"/> records and about <see cref="MaxBatchBytes"/> bytes, in input order.</summary>
    public static async IAsyncEnumerable<RecordPayloads> BatchesAsync(Stream input, RecordDelimiter delimiter, int maxRecords, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (delimiter == RecordDelimiter.None)
        {
            using var all = new MemoryStream();
            await input.CopyToAsync(all, cancellationToken);
            yield return new RecordPayloads(all.ToArray(), [checked((int)all.Length)]);
            yield break;
        }

        var batch = new List<ReadOnlyMemory<byte>>();
        long batchBytes = 0;
        using var line = new MemoryStream();
        var chunk = new byte[ChunkBytes];
        int read;
        while ((read = await input.ReadAsync(chunk, cancellationToken)) > 0)
        {
            var offset = 0;
            int newline;
            while ((newline = Array.IndexOf(chunk, (byte)'\n', offset, read - offset)) >= 0)
            {
                line.Write(chunk, offset, newline - offset);
                offset = newline + 1;
                var record = line.ToArray();
                line.SetLength(0);
                if (batch.Count > 0 && (batch.Count >= maxRecords || batchBytes + record.Length > MaxBatchBytes))
                {
                    yield return RecordPayloads.From(batch);
                    batch.Clear();
                    batchBytes = 0;
                }

                batch.Add(record);
                batchBytes += record.Length;
            }

            line.Write(chunk, offset, read - offset);
        }

        if (line.Length > 0)
        {
            var record = line.ToArray();
            if (batch.Count > 0 && (batch.Count >= maxRecords || batchBytes + record.Length > MaxBatchBytes))
            {
                yield return RecordPayloads.From(batch);
                batch.Clear();
            }

            batch.Add(record);
        }

        if (batch.Count > 0)
        {
            yield return RecordPayloads.From(batch);
        }
    }
}
