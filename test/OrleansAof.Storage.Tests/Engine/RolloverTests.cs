using FluentAssertions;
using OrleansAof.Storage.IO;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Engine;

/// <summary>Rollover runs off the appending caller's thread and keeps appends in call order.</summary>
[Trait(TestCategories.Name, TestCategories.Fast)]
public class RolloverTests : LogTestBase
{
    [Fact]
    public async Task AsyncAppend_ThatNeedsTheNextSegment_ReturnsBeforeTheSealsFsync_AndLaterAppendsKeepTheirOrder()
    {
        var fs = new SealGateFileSystem();
        await using var log = await OpenAsync(Options(o => { o.MaxSegmentBytes = 8192; o.FlushPolicy = FlushPolicy.Async; }), fs);
        fs.Armed = true;
        try
        {
            // Appends that fit complete at once; the first one that needs the next segment must not wait for the seal's
            // fsync on this thread. Without that, this loop blocks in AppendAsync until the gate opens.
            var appending = Task.Run(() =>
            {
                for (var i = 0; i < 1000; i++)
                {
                    var task = log.AppendAsync(Payload(i, 100));
                    if (!task.IsCompleted)
                    {
                        var after = log.AppendAsync(Payload(i + 1, 100));
                        return (Index: i, Rolling: task.AsTask(), After: after.AsTask());
                    }
                }

                throw new InvalidOperationException("no append needed the next segment");
            });
            var (index, rolling, after) = await Wait.ForAsync(appending, "the append that rolls over to return to its caller while the seal's fsync is blocked", TimeSpan.FromSeconds(10));
            await Wait.UntilAsync(() => fs.Blocked > 0, "the seal's fsync to start");
            rolling.IsCompleted.Should().BeFalse("the append is written only after the seal");
            after.IsCompleted.Should().BeFalse("a later append must not overtake a parked one");

            fs.Open();
            (await Wait.ForAsync(rolling, "the parked append")).FirstId.Should().Be(index);
            (await Wait.ForAsync(after, "the append made after it")).FirstId.Should().Be(index + 1);
            var info = log.GetInfo();
            info.Segments.Should().HaveCount(2);
            info.Segments[0].Should().Match<SegmentInfo>(s => s.Status == SegmentStatus.Sealed && s.BaseId == 0 && s.LastId == index - 1);
            info.Segments[1].Should().Match<SegmentInfo>(s => s.Status == SegmentStatus.Active && s.BaseId == index && s.LastId == index + 1);
            await log.FlushAsync();
            var records = await ReadAllAsync(log);
            records.Select(r => r.Id).Should().Equal(Enumerable.Range(0, index + 2).Select(i => (long)i));
            records.Select(r => r.Payload.ToArray()).Should().Equal(Enumerable.Range(0, index + 2).Select(i => Payload(i, 100)), static (a, b) => a.AsSpan().SequenceEqual(b));
        }
        finally
        {
            fs.Open();
        }
    }

    [Theory]
    [InlineData(FlushPolicyKind.Sync)]
    [InlineData(FlushPolicyKind.Async)]
    public async Task PipelinedAppends_AcrossManyRollovers_GetIdsInCallOrder(FlushPolicyKind kind)
    {
        var policy = kind == FlushPolicyKind.Sync ? FlushPolicy.Sync : FlushPolicy.Async;
        await using var log = await OpenAsync(Options(o => { o.MaxSegmentBytes = 8192; o.FlushPolicy = policy; }));
        var tasks = new List<Task<AppendResult>>();
        for (var i = 0; i < 600; i++)
        {
            tasks.Add(i % 3 == 0
                ? log.AppendBatchAsync([Payload(i, 60)]).AsTask()
                : log.AppendAsync(Payload(i, 60)).AsTask());
        }

        var results = await Wait.ForAsync(Task.WhenAll(tasks), "600 pipelined appends");
        results.Select(r => r.FirstId).Should().Equal(Enumerable.Range(0, 600).Select(i => (long)i));
        await log.FlushAsync();
        log.GetInfo().Segments.Count(s => s.Status == SegmentStatus.Sealed).Should().BeGreaterThan(5);
        var records = await ReadAllAsync(log);
        records.Select(r => r.Payload.ToArray()).Should().Equal(Enumerable.Range(0, 600).Select(i => Payload(i, 60)), static (a, b) => a.AsSpan().SequenceEqual(b));
    }

    [Fact]
    public async Task SyncAppend_WhileAppendsAreParked_WaitsForThemAndKeepsItsPlace()
    {
        var fs = new SealGateFileSystem();
        await using var log = await OpenAsync(Options(o => { o.MaxSegmentBytes = 8192; o.FlushPolicy = FlushPolicy.Async; }), fs);
        fs.Armed = true;
        try
        {
            var appending = Task.Run(() =>
            {
                for (var i = 0; i < 1000; i++)
                {
                    var task = log.AppendAsync(Payload(i, 100));
                    if (!task.IsCompleted)
                    {
                        return (Parked: task.AsTask(), Index: i);
                    }
                }

                throw new InvalidOperationException("no append needed the next segment");
            });
            var (parked, index) = await Wait.ForAsync(appending, "the append that rolls over to return to its caller while the seal's fsync is blocked", TimeSpan.FromSeconds(10));
            await Wait.UntilAsync(() => fs.Blocked > 0, "the seal's fsync to start");
            var synchronous = Task.Run(() => log.Append(Payload(index + 1, 100)));
            fs.Open();
            (await Wait.ForAsync(parked, "the parked append")).FirstId.Should().Be(index);
            (await Wait.ForAsync(synchronous, "the synchronous append")).FirstId.Should().Be(index + 1);
        }
        finally
        {
            fs.Open();
        }
    }

    /// <summary>The real file system, except that a seal's fsync (a full flush of a segment file) waits while armed and closed.</summary>
    private sealed class SealGateFileSystem : IFileSystem
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _blocked;

        public volatile bool Armed;

        public int Blocked => Volatile.Read(ref _blocked);

        public void Open() => _gate.TrySetResult();

        public IStorageFile OpenFile(string path, FileMode mode, FileAccess access, FileShare share = FileShare.Read, long preallocationSize = 0) =>
            new File(this, PhysicalFileSystem.Instance.OpenFile(path, mode, access, share, preallocationSize));

        public bool FileExists(string path) => PhysicalFileSystem.Instance.FileExists(path);

        public bool DirectoryExists(string path) => PhysicalFileSystem.Instance.DirectoryExists(path);

        public void CreateDirectory(string path) => PhysicalFileSystem.Instance.CreateDirectory(path);

        public void DeleteFile(string path) => PhysicalFileSystem.Instance.DeleteFile(path);

        public void MoveFile(string source, string destination, bool overwrite) => PhysicalFileSystem.Instance.MoveFile(source, destination, overwrite);

        public void CopyFile(string source, string destination, bool overwrite) => PhysicalFileSystem.Instance.CopyFile(source, destination, overwrite);

        public IReadOnlyList<string> ListFiles(string directory, string searchPattern) => PhysicalFileSystem.Instance.ListFiles(directory, searchPattern);

        public long GetFileLength(string path) => PhysicalFileSystem.Instance.GetFileLength(path);

        public void FlushDirectory(string directory) => PhysicalFileSystem.Instance.FlushDirectory(directory);

        private sealed class File(SealGateFileSystem owner, IStorageFile inner) : IStorageFile
        {
            public string Path => inner.Path;

            public long Length => inner.Length;

            public void SetLength(long length) => inner.SetLength(length);

            public int Read(long offset, Span<byte> buffer) => inner.Read(offset, buffer);

            public void Write(long offset, ReadOnlySpan<byte> buffer) => inner.Write(offset, buffer);

            public void Flush(bool dataOnly)
            {
                if (!dataOnly && owner.Armed && Path.EndsWith(".aofseg", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref owner._blocked);
                    owner._gate.Task.Wait(TimeSpan.FromSeconds(30));
                }

                inner.Flush(dataOnly);
            }

            public IReadOnlyFileMapping? TryMapReadOnly(long length) => inner.TryMapReadOnly(length);

            public void Dispose() => inner.Dispose();
        }
    }
}
