using System.Diagnostics;

namespace OrleansAof.Benchmarks.Compare;

/// <summary>
/// The baseline for durable single appends: a plain <see cref="FileStream"/> (no buffering) in a new, growing file;
/// each record is one <c>Write</c> followed by <c>Flush(true)</c> (fsync).
/// </summary>
internal sealed class RawWriteFsyncSubject(string folder, byte[] payload, TimeSpan slice) : ISubject
{
    private readonly FileStream _file = new(Path.Combine(folder, "raw.log"), FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0, FileOptions.None);

    public string Name => "FileStream write + Flush(true)";

    public Task<Sample> RunSliceAsync() => Task.Run(() =>
    {
        var start = Stopwatch.GetTimestamp();
        var deadline = Sample.DeadlineAfter(slice);
        long n = 0;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            _file.Write(payload);
            _file.Flush(flushToDisk: true);
            n++;
        }

        return new Sample(n, n * payload.Length, Stopwatch.GetElapsedTime(start));
    });

    public ValueTask DisposeAsync() => _file.DisposeAsync();
}
