using OrleansAof.Storage;
using OrleansAof.Storage.Archive;
using OrleansAof.Storage.Format;

namespace OrleansAof.TestInfrastructure;

/// <summary>Helpers for archive tests: a scratch folder, a unique log name, local segment files, listing.</summary>
public abstract class ArchiveTestBase : IDisposable
{
    /// <summary>Larger than the multipart threshold the S3 tests configure (5 MiB), and not a multiple of any part size.</summary>
    protected const int LargeObjectSize = (6 * 1024 * 1024) + 12_345;

    protected ArchiveTestBase()
    {
        Scratch = new TempDirectory("archive-conformance");
        Log = "log-" + Guid.NewGuid().ToString("N")[..12];
    }

    /// <summary>A fresh folder for local files of this test.</summary>
    protected TempDirectory Scratch { get; }

    /// <summary>A log name no other test uses.</summary>
    protected string Log { get; }

    protected abstract ISegmentArchive Archive { get; }

    protected static CancellationToken None => CancellationToken.None;

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            Scratch.Dispose();
        }
    }

    protected ArchiveObjectKey Key(string partition, long baseId) => new(Log, partition, PartitionLayout.SegmentFileName(baseId));

    /// <summary>Writes a local "segment" file of random (or, when <paramref name="compressible"/>, repetitive) bytes.</summary>
    protected (string Path, byte[] Bytes, SegmentFileFacts Facts) CreateSegmentFile(string name, int size, int seed, bool compressible = false)
    {
        var bytes = new byte[size];
        var random = new Random(seed);
        if (compressible)
        {
            var words = "append only log record payload "u8.ToArray();
            for (var i = 0; i < size; i++)
            {
                bytes[i] = i % 97 == 0 ? (byte)random.Next(256) : words[i % words.Length];
            }
        }
        else
        {
            random.NextBytes(bytes);
        }

        var path = Scratch.Combine(name + ".aofseg");
        File.WriteAllBytes(path, bytes);
        return (path, bytes, new SegmentFileFacts(size, Crc32C.Compute(bytes)));
    }

    protected async Task<List<ArchivedObjectInfo>> ListAllAsync(string partition, string? log = null)
    {
        var result = new List<ArchivedObjectInfo>();
        await foreach (var info in Archive.ListAsync(log ?? Log, partition, None))
        {
            result.Add(info);
        }

        return result;
    }

    protected static async Task RunBoundedAsync(IEnumerable<Func<Task>> work, int concurrency)
    {
        using var gate = new SemaphoreSlim(concurrency);
        await Task.WhenAll(work.Select(async w =>
        {
            await gate.WaitAsync();
            try
            {
                await w();
            }
            finally
            {
                gate.Release();
            }
        }));
    }

    /// <summary>Flips one byte in the middle of a file.</summary>
    protected static void FlipByte(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        var middle = file.Length / 2;
        file.Position = middle;
        var value = file.ReadByte();
        file.Position = middle;
        file.WriteByte((byte)(value ^ 0x5A));
    }
}
