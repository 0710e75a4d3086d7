using System.Text;
using OrleansAof.Storage.IO;
using OrleansAof.TestInfrastructure;

namespace OrleansAof.Storage.Tests.Engine;

/// <summary>A fresh data root per test and helpers to open partitions in it.</summary>
public abstract class LogTestBase : IDisposable
{
    protected TempDirectory Temp { get; } = new("engine");

    protected PartitionLogOptions Options(Action<PartitionLogOptions>? configure = null)
    {
        var o = new PartitionLogOptions { DataRoot = Temp.Path, Preallocation = PreallocationMode.None };
        configure?.Invoke(o);
        if (o.MaxRecordBytes > o.MaxSegmentBytes / 4)
        {
            o.MaxRecordBytes = (int)(o.MaxSegmentBytes / 4);
        }

        return o;
    }

    protected Task<PartitionLog> OpenAsync(PartitionLogOptions? options = null, IFileSystem? fs = null, TimeProvider? time = null, string log = "orders", string partition = "0") =>
        PartitionLog.OpenAsync(log, partition, options ?? Options(), new PartitionLogEnvironment { FileSystem = fs ?? PhysicalFileSystem.Instance, TimeProvider = time ?? TimeProvider.System });

    protected static byte[] Payload(long id, int size = 0)
    {
        var text = Encoding.UTF8.GetBytes($"record-{id}");
        if (size <= text.Length)
        {
            return text;
        }

        var bytes = new byte[size];
        text.CopyTo(bytes, 0);
        for (var i = text.Length; i < size; i++)
        {
            bytes[i] = (byte)((id * 31) + i);
        }

        return bytes;
    }

    protected static async Task<List<LogRecord>> ReadAllAsync(PartitionLog log, long from = 0, bool includeUndurable = false)
    {
        var all = new List<LogRecord>();
        var next = from;
        while (true)
        {
            var batch = await log.ReadAsync(next, 10_000, includeUndurable: includeUndurable);
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
