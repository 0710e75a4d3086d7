using System.Globalization;
using OrleansAof.Storage;

namespace OrleansAof.CrashWriter;

/// <summary>
/// Damages a sealed segment that the open partition has memory-mapped, then reads it, in a process of its own: touching a
/// mapped page past the end of a truncated file raises SIGBUS, which .NET turns into a fatal access violation (exit code
/// 134), so only a child process can show whether a read does that. Every read result is printed; anything other than
/// the expected outcome is an error on stderr and exit code 3.
/// </summary>
/// <remarks>
/// Scenarios (the victim is the first sealed segment, about <see cref="SegmentBytes"/> long):
/// <list type="bullet">
/// <item><c>truncate-then-read</c>: the file is cut to half its length between reads. Reads of the records wholly
/// before the cut are served; every read at or past it, a read batch across it and a scan across it fail with
/// <see cref="SegmentCorruptedException"/> naming the segment; the other segments and appends keep working.</item>
/// <item><c>truncate-during-scan</c>: a scan of the victim has returned its first record (it holds the segment and its
/// map) when the file is cut to <see cref="ScanCutBytes"/>. The scan returns the records before the cut and then fails
/// with <see cref="SegmentCorruptedException"/>.</item>
/// </list>
/// </remarks>
public static class MappedDamage
{
    /// <summary>Size of a sealed segment here: several of the windows a mapped scan prepares at a time.</summary>
    public const long SegmentBytes = 4L * 1024 * 1024;

    /// <summary>
    /// Where <c>truncate-during-scan</c> cuts the file: past the scan's first prepared window, on a page boundary, so the
    /// record that straddles the cut has bytes on a page the file no longer holds (a cut inside a page leaves the rest
    /// of that page readable as zeros, and the record just fails its checksum).
    /// </summary>
    public const long ScanCutBytes = 2L * 1024 * 1024;

    /// <summary>Payload size of every record.</summary>
    public const int PayloadBytes = 1000;

    private const int Records = 13_000;

    /// <summary>The payload of record <paramref name="id"/>.</summary>
    public static byte[] Payload(long id)
    {
        var bytes = new byte[PayloadBytes];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)((id * 31) + (i * 7));
        }

        return bytes;
    }

    public static async Task<int> RunAsync(string root, string scenario, Action<string> say)
    {
        var options = new PartitionLogOptions
        {
            DataRoot = root,
            FlushPolicy = FlushPolicy.Async,
            MaxSegmentBytes = SegmentBytes,
            Preallocation = PreallocationMode.None,
        };
        await using var log = await PartitionLog.OpenAsync("mapped", "0", options);
        for (var id = 0; id < Records; id += 100)
        {
            await log.AppendBatchAsync([.. Enumerable.Range(id, 100).Select(static i => (ReadOnlyMemory<byte>)Payload(i))]);
        }

        await log.FlushAsync();
        var seen = 0L;
        foreach (var r in log.Scan(0, log.LastId))
        {
            Check(r.Id == seen && r.Payload.Span.SequenceEqual(Payload(r.Id)), $"record {r.Id} of the first scan differs");
            seen++;
        }

        var segments = log.GetInfo().Segments.Where(static s => s.Status == SegmentStatus.Sealed).OrderBy(static s => s.BaseId).ToList();
        Check(segments.Count >= 2, $"{segments.Count} sealed segments were written; the scenario needs two");
        var victim = segments[0];
        var other = segments[1];
        var path = Path.Combine(root, "mapped", "0", "segments", victim.FileName);
        say(string.Create(CultureInfo.InvariantCulture, $"mapped {seen} {victim.BaseId} {victim.LastId} {new FileInfo(path).Length}"));

        switch (scenario)
        {
            case "truncate-then-read":
                {
                    var cut = new FileInfo(path).Length / 2;
                    Truncate(path, cut);
                    say(string.Create(CultureInfo.InvariantCulture, $"truncated {cut}"));
                    long served = 0, failed = 0, firstFailed = -1;
                    for (var id = victim.BaseId; id <= victim.LastId; id++)
                    {
                        try
                        {
                            var batch = await log.ReadAsync(id, 1);
                            Check(batch.Count == 1 && batch[0].Id == id && batch[0].Payload.Span.SequenceEqual(Payload(id)), $"read {id} returned other data");
                            Check(firstFailed < 0, $"read {id} was served after read {firstFailed} failed");
                            served++;
                        }
                        catch (SegmentCorruptedException e)
                        {
                            Check(e.BaseId == victim.BaseId, $"read {id} failed naming segment {e.BaseId}");
                            firstFailed = firstFailed < 0 ? id : firstFailed;
                            failed++;
                        }
                    }

                    say(string.Create(CultureInfo.InvariantCulture, $"reads served {served} failed {failed} first-failed {firstFailed}"));
                    Check(served > 0 && failed > 0, "the records before the cut are served and those after it fail");
                    say("batch " + await OutcomeAsync(async () => await log.ReadAsync(victim.BaseId, 100_000, long.MaxValue), victim.BaseId));
                    say("scan " + await OutcomeAsync(() => Task.FromResult<object>(log.Scan(0, log.LastId).Count()), victim.BaseId));
                    break;
                }

            case "truncate-during-scan":
                {
                    var returned = 0L;
                    using (var scan = log.Scan(victim.BaseId, victim.LastId).GetEnumerator())
                    {
                        Check(scan.MoveNext() && scan.Current.Payload.Span.SequenceEqual(Payload(victim.BaseId)), "the scan's first record differs");
                        returned++;
                        Truncate(path, ScanCutBytes);
                        say(string.Create(CultureInfo.InvariantCulture, $"truncated {ScanCutBytes}"));
                        try
                        {
                            while (scan.MoveNext())
                            {
                                Check(scan.Current.Id == victim.BaseId + returned && scan.Current.Payload.Span.SequenceEqual(Payload(scan.Current.Id)), $"record {scan.Current.Id} of the scan differs");
                                returned++;
                            }

                            say(string.Create(CultureInfo.InvariantCulture, $"scan ended {returned} returned"));
                            throw new InvalidOperationException("the scan across the cut ended without an error");
                        }
                        catch (SegmentCorruptedException e)
                        {
                            Check(e.BaseId == victim.BaseId, $"the scan failed naming segment {e.BaseId}");
                            say(string.Create(CultureInfo.InvariantCulture, $"scan {returned} returned typed {e.Detail}"));
                        }
                    }

                    break;
                }

            default:
                throw new ArgumentException($"unknown scenario '{scenario}'", nameof(scenario));
        }

        // The damage stays in its segment: the next one reads whole, and appends go on.
        var others = log.Scan(other.BaseId, other.LastId).Count(r => r.Payload.Span.SequenceEqual(Payload(r.Id)));
        var otherRead = await log.ReadAsync(other.BaseId, (int)(other.LastId - other.BaseId + 1), long.MaxValue);
        Check(others == other.LastId - other.BaseId + 1 && otherRead.Count == others, $"segment {other.BaseId} read {others} and {otherRead.Count} of {other.LastId - other.BaseId + 1} records");
        var appended = await log.AppendAsync(Payload(log.NextId));
        say(string.Create(CultureInfo.InvariantCulture, $"other {others} appended {appended.FirstId}"));
        say("alive");
        return 0;
    }

    private static async Task<string> OutcomeAsync<T>(Func<Task<T>> read, long victimBaseId)
    {
        try
        {
            await read();
            return "served";
        }
        catch (SegmentCorruptedException e)
        {
            Check(e.BaseId == victimBaseId, $"a read failed naming segment {e.BaseId}");
            return "typed " + e.Detail;
        }
    }

    private static void Truncate(string path, long length)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        stream.SetLength(length);
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException(what);
        }
    }
}
