using System.Globalization;
using System.Text;
using OrleansAof.CrashWriter;
using OrleansAof.Storage;
using OrleansAof.Storage.IO;

// Child process of the crash tests. Every line it prints is one write to stdout, flushed at once, and ends with " ."
// so that the parent can tell a complete line from one cut by SIGKILL.
//
//   append <data-root> <seed> <preallocation> [<flush-policy> <active-segment-write>]
//                                               appends CrashWorkload batches until killed, under Sync (or the given
//                                               policy, e.g. Async or Batched:20, with ActiveSegmentWrite Mapped or Write);
//                                               prints "opening .", "ready <next-id> <epoch> ." and
//                                               "ack <first> <last> <crc32c-hex> ." after each acknowledged append
//                                               (durable under Sync; written to the OS under the other policies)
//   hold <data-root> <log> <partition>          opens the partition, prints "opened <epoch> ." (or "locked .") and
//                                               holds it until stdin closes, then prints "closed ."
//   lock-file <path>                            opens the file with FileShare.None: prints "acquired ." and holds it
//                                               until stdin closes, or prints "refused ."
//   mapped-damage <data-root> <scenario>        writes sealed segments, reads them all (so they are memory-mapped), then
//                                               damages one under the open partition (see MappedDamage) and reads again;
//                                               prints what each read did and "alive ." at the end. A read that touches a
//                                               mapped page the file no longer holds would end the process (SIGBUS).
var stdout = Console.OpenStandardOutput();
try
{
    return args.Length > 0 ? args[0] switch
    {
        "append" when args.Length == 4 => await AppendAsync(args[1], long.Parse(args[2], CultureInfo.InvariantCulture), Enum.Parse<PreallocationMode>(args[3]), FlushPolicy.Sync, ActiveSegmentWriteMode.Mapped),
        "append" when args.Length == 6 => await AppendAsync(args[1], long.Parse(args[2], CultureInfo.InvariantCulture), Enum.Parse<PreallocationMode>(args[3]), FlushPolicy.Parse(args[4]), Enum.Parse<ActiveSegmentWriteMode>(args[5])),
        "hold" when args.Length == 4 => await HoldAsync(args[1], args[2], args[3]),
        "lock-file" when args.Length == 2 => await LockFileAsync(args[1]),
        "mapped-damage" when args.Length == 3 => await MappedDamage.RunAsync(args[1], args[2], Say),
        _ => Usage(),
    } : Usage();
}
catch (Exception e)
{
    await Console.Error.WriteLineAsync(e.ToString());
    return 3;
}

int Usage()
{
    Console.Error.WriteLine("usage: append <data-root> <seed> <preallocation> [<flush-policy> <active-segment-write>] | hold <data-root> <log> <partition> | lock-file <path> | mapped-damage <data-root> <scenario>");
    return 2;
}

void Say(string line)
{
    stdout.Write(Encoding.ASCII.GetBytes(line + " .\n"));
    stdout.Flush();
}

async Task<int> AppendAsync(string root, long seed, PreallocationMode preallocation, FlushPolicy policy, ActiveSegmentWriteMode write)
{
    var options = new PartitionLogOptions
    {
        DataRoot = root,
        FlushPolicy = policy,
        MaxSegmentBytes = CrashWorkload.MaxSegmentBytes,
        MaxRecordBytes = (int)(CrashWorkload.MaxSegmentBytes / 4),
        Preallocation = preallocation,
        ActiveSegmentWrite = write,
        BackpressureMode = BackpressureMode.Wait,
    };
    Say("opening");
    var log = await PartitionLog.OpenAsync(CrashWorkload.Log, CrashWorkload.Partition, options);
    if (log.State != PartitionState.Open)
    {
        await Console.Error.WriteLineAsync($"the partition opened {log.State}: {log.FaultReason}");
        return 4;
    }

    Say(string.Create(CultureInfo.InvariantCulture, $"ready {log.NextId} {log.WriterEpoch}"));
    while (true)
    {
        var first = log.NextId;
        var batch = CrashWorkload.Batch(seed, first);
        var result = batch.Length == 1
            ? await log.AppendAsync(batch[0])
            : await log.AppendBatchAsync([.. batch.Select(static b => (ReadOnlyMemory<byte>)b)]);
        if (result.FirstId != first || result.LastId != first + batch.Length - 1 || (policy.Kind == FlushPolicyKind.Sync && !result.IsDurable))
        {
            await Console.Error.WriteLineAsync($"unexpected append result {result} for the batch at {first} of {batch.Length} record(s)");
            return 5;
        }

        var crc = CrashWorkload.Checksum(seed, result.FirstId, result.LastId);
        Say(string.Create(CultureInfo.InvariantCulture, $"ack {result.FirstId} {result.LastId} {crc:x8}"));
    }
}

async Task<int> HoldAsync(string root, string logName, string partition)
{
    PartitionLog log;
    try
    {
        log = await PartitionLog.OpenAsync(logName, partition, new PartitionLogOptions { DataRoot = root, Preallocation = PreallocationMode.None });
    }
    catch (PartitionLockedException)
    {
        Say("locked");
        return 0;
    }

    Say(string.Create(CultureInfo.InvariantCulture, $"opened {log.WriterEpoch}"));
    await Console.In.ReadToEndAsync();
    await log.DisposeAsync();
    Say("closed");
    return 0;
}

async Task<int> LockFileAsync(string path)
{
    IStorageFile file;
    try
    {
        file = PhysicalFileSystem.Instance.OpenFile(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
    }
    catch (IOException)
    {
        Say("refused");
        return 0;
    }

    using (file)
    {
        Say("acquired");
        await Console.In.ReadToEndAsync();
    }

    return 0;
}
