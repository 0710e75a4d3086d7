using System.Text.Json;
using OrleansAof.Storage;
using OrleansAof.Storage.IO;
using OrleansAof.TestInfrastructure;

namespace OrleansAof.Cli.Tests;

/// <summary>The outcome of one run of the tool.</summary>
public sealed record CliRun(int ExitCode, string Stdout, string Stderr)
{
    public JsonElement Json => JsonDocument.Parse(Stdout).RootElement;

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>
/// A fresh data root per test with one partition, orders/0, written by the engine itself: 100-byte payloads under
/// <c>Sync</c>, so every record is followed by its own checkpoint and the layout is exact: record i of a segment starts at
/// 64 + 200 * i (a 152-byte frame, then a 48-byte checkpoint).
/// </summary>
public abstract class CliTestBase : IDisposable
{
    public const int PayloadBytes = 100;
    public const int FrameBytes = 32 + 104 + 16;
    public const int CheckpointBytes = 48;
    public const int StepBytes = FrameBytes + CheckpointBytes;
    public const int HeaderBytes = 64;

    protected TempDirectory Temp { get; } = new("cli");

    protected string PartitionDir => Temp.Combine("orders", "0");

    protected string SegmentsDir => Path.Combine(PartitionDir, "segments");

    protected string SegmentPath(long baseId) => Path.Combine(SegmentsDir, baseId.ToString("D20", System.Globalization.CultureInfo.InvariantCulture) + ".aofseg");

    protected static long RecordOffset(int indexInSegment) => HeaderBytes + ((long)StepBytes * indexInSegment);

    protected PartitionLogOptions Options() => new()
    {
        DataRoot = Temp.Path,
        MaxSegmentBytes = 4096,
        MaxRecordBytes = 1024,
        Preallocation = PreallocationMode.None,
        FlushPolicy = FlushPolicy.Sync,
    };

    protected Task<PartitionLog> OpenAsync(IFileSystem? fs = null) =>
        PartitionLog.OpenAsync("orders", "0", Options(), new PartitionLogEnvironment { FileSystem = fs ?? PhysicalFileSystem.Instance });

    /// <summary>Appends ids [from, from + count) one by one (each durable before the next) and closes the partition.</summary>
    protected async Task WriteAsync(int count, long from = 0)
    {
        await using var log = await OpenAsync();
        for (var i = 0; i < count; i++)
        {
            var r = await log.AppendAsync(Payload(from + i));
            r.FirstId.Should().Be(from + i);
        }
    }

    protected static byte[] Payload(long id)
    {
        var bytes = new byte[PayloadBytes];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(1 + ((id * 7) + i) % 250);
        }

        return bytes;
    }

    protected static async Task<CliRun> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await AofCli.RunAsync(args, new CliEnvironment { Out = stdout, Error = stderr, OutputIsTerminal = false });
        return new CliRun(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Every file of the partition directory with its bytes (the lock file excluded: it is empty and only locked).</summary>
    protected Dictionary<string, byte[]> Snapshot() => Directory.GetFiles(PartitionDir, "*", SearchOption.AllDirectories)
        .Where(static f => Path.GetFileName(f) != "writer.lock")
        .ToDictionary(f => Path.GetRelativePath(PartitionDir, f), File.ReadAllBytes);

    protected static void FlipByte(string path, long offset)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        f.Position = offset;
        var b = f.ReadByte();
        f.Position = offset;
        f.WriteByte((byte)(b ^ 0x10));
    }

    protected static void Truncate(string path, long length)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        f.SetLength(length);
    }

    /// <summary>Reads every record the reopened partition serves from <paramref name="from"/>.</summary>
    protected static async Task<List<Storage.LogRecord>> ReadAllAsync(PartitionLog log, long from = 0)
    {
        var all = new List<Storage.LogRecord>();
        var next = from;
        while (true)
        {
            var batch = await log.ReadAsync(next, 10_000);
            if (batch.Count == 0)
            {
                return all;
            }

            all.AddRange(batch.Records);
            next = batch.NextId;
        }
    }

    public void Dispose()
    {
        Temp.Dispose();
        GC.SuppressFinalize(this);
    }
}
