using System.Text;
using FluentAssertions;
using OrleansAof.Server.Replication;
using OrleansAof.Storage;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Server.Tests.Replication;

/// <summary>
/// What every <see cref="IReplicaLogStore"/> must do, run against the in-memory store the simulation uses and against the
/// engine's store on real files, so the simulation's model is the real store's behaviour.
/// </summary>
public abstract class ReplicaLogStoreContract : IAsyncLifetime
{
    internal static LogPosition P(long epoch, long id) => new(epoch, id);

    internal static ReplicaEntry Start(long epoch, long afterId) => new(P(epoch, afterId), ReplicaEntryKind.EpochStart, ReadOnlyMemory<byte>.Empty);

    internal static ReplicaEntry Rec(long epoch, long id, string payload, bool startsSegment = false)
        => new(P(epoch, id), ReplicaEntryKind.Record, Encoding.UTF8.GetBytes(payload), startsSegment);

    /// <summary>A fresh, empty store.</summary>
    internal abstract Task<IReplicaLogStore> OpenAsync();

    /// <summary>The store as it comes back after a power loss: only what was made durable.</summary>
    internal abstract Task<IReplicaLogStore> CrashAsync(IReplicaLogStore store);

    /// <summary>The store as it comes back after a clean close (everything written kept).</summary>
    internal abstract Task<IReplicaLogStore> ReopenAsync(IReplicaLogStore store);

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public abstract Task DisposeAsync();

    /// <summary>Positions, kinds, payloads and flags of the whole log, as text: one assertion shows every difference.</summary>
    internal static string Dump(IReplicaLogStore store)
        => string.Join(' ', store.ReadAfter(LogPosition.Start, int.MaxValue).Select(e => e.Kind == ReplicaEntryKind.EpochStart
            ? $"start{e.Position}"
            : $"rec{e.Position}={Encoding.UTF8.GetString(e.Payload.Span)}{(e.StartsSegment ? "|seg" : "")}"));

    [Fact]
    public async Task AppendedEntries_ReadBackAsPositions_AndAfterReopen()
    {
        var store = await OpenAsync();
        foreach (var entry in new[] { Start(1, -1), Rec(1, 0, "a"), Rec(1, 1, "b"), Start(2, 1), Rec(2, 2, "c"), Rec(2, 3, "d", startsSegment: true), Rec(2, 4, "e") })
        {
            store.Append(entry);
        }

        for (var round = 0; round < 2; round++)
        {
            Dump(store).Should().Be("start(1,-1) rec(1,0)=a rec(1,1)=b start(2,1) rec(2,2)=c rec(2,3)=d|seg rec(2,4)=e");
            store.End.Should().Be(P(2, 4));
            store.Contains(P(2, 1)).Should().BeTrue();
            store.Contains(P(1, 2)).Should().BeFalse();
            store.Contains(P(2, 0)).Should().BeFalse();
            store.Contains(P(3, 4)).Should().BeFalse();
            store.Contains(LogPosition.Start).Should().BeTrue();
            store.Floor(P(2, 0)).Should().Be(P(1, 1));
            store.Floor(P(1, 9)).Should().Be(P(1, 1));
            store.Floor(P(9, 0)).Should().Be(P(2, 4));
            store.Floor(P(0, 5)).Should().Be(LogPosition.Start);
            store.Before(P(2, 2)).Should().Be(P(2, 1));
            store.Before(P(2, 1)).Should().Be(P(1, 1));
            store.Before(P(1, 0)).Should().Be(P(1, -1));
            store.Before(P(1, -1)).Should().Be(LogPosition.Start);
            string.Join(' ', store.ReadAfter(P(1, 0), 2)).Should().Be("rec(1,1) start(2,1)");
            store.ReadAfter(P(2, 4), 5).Should().BeEmpty();
            store.Flush();
            store.DurableEnd.Should().Be(P(2, 4));
            store = await ReopenAsync(store);
        }

        await DisposeStoreAsync(store);
    }

    [Fact]
    public async Task Crash_KeepsWhatWasFlushed_NotWhatWasNot()
    {
        var store = await OpenAsync();
        store.Append(Start(1, -1));
        store.Append(Rec(1, 0, "r0"));
        store.Append(Rec(1, 1, "r1"));
        store.Flush();
        store.Append(Rec(1, 2, "r2"));
        store.Append(Rec(1, 3, "r3"));
        store.DurableEnd.Should().Be(P(1, 1));
        store.End.Should().Be(P(1, 3));

        store = await CrashAsync(store);

        Dump(store).Should().Be("start(1,-1) rec(1,0)=r0 rec(1,1)=r1");
        store.DurableEnd.Should().Be(P(1, 1));
        store.Append(Rec(1, 2, "again"));
        store.Flush();
        store = await CrashAsync(store);
        Dump(store).Should().Be("start(1,-1) rec(1,0)=r0 rec(1,1)=r1 rec(1,2)=again");
        await DisposeStoreAsync(store);
    }

    [Fact]
    public async Task Truncation_CrashBeforeFlush_TruncatedRecordsNeverComeBack()
    {
        var store = await FlushedAsync(5);
        store.TruncateAfter(P(1, 2));
        store.End.Should().Be(P(1, 2));

        store = await CrashAsync(store);

        Dump(store).Should().Be("start(1,-1) rec(1,0)=r0 rec(1,1)=r1 rec(1,2)=r2");
        store.DurableEnd.Should().Be(P(1, 2));
        await DisposeStoreAsync(store);
    }

    [Fact]
    public async Task Truncation_ThenNewEpoch_Flushed_CrashKeepsTheNewSuffixOnly()
    {
        var store = await FlushedAsync(5);
        store.TruncateAfter(P(1, 2));
        store.Append(Start(2, 2));
        store.Append(Rec(2, 3, "n3"));
        store.Flush();

        store = await CrashAsync(store);

        Dump(store).Should().Be("start(1,-1) rec(1,0)=r0 rec(1,1)=r1 rec(1,2)=r2 start(2,2) rec(2,3)=n3");
        store.Contains(P(1, 3)).Should().BeFalse();
        store.Contains(P(1, 4)).Should().BeFalse();
        await DisposeStoreAsync(store);
    }

    [Fact]
    public async Task Truncation_ThatRemovesAnEpochStart_DoesNotBringItBack()
    {
        var store = await OpenAsync();
        foreach (var entry in new[] { Start(1, -1), Rec(1, 0, "a"), Rec(1, 1, "b"), Start(2, 1), Rec(2, 2, "c") })
        {
            store.Append(entry);
        }

        store.Flush();
        store.TruncateAfter(P(1, 1));
        store.End.Should().Be(P(1, 1));
        store.Contains(P(2, 1)).Should().BeFalse();
        store.Append(Start(3, 1));
        store.Append(Rec(3, 2, "x"));
        store.Flush();

        store = await CrashAsync(store);

        Dump(store).Should().Be("start(1,-1) rec(1,0)=a rec(1,1)=b start(3,1) rec(3,2)=x");
        await DisposeStoreAsync(store);
    }

    [Fact]
    public async Task Truncation_AtTheEnd_ChangesNothing()
    {
        var store = await FlushedAsync(3);
        store.TruncateAfter(P(1, 2));
        Dump(store).Should().Be("start(1,-1) rec(1,0)=r0 rec(1,1)=r1 rec(1,2)=r2");
        await DisposeStoreAsync(store);
    }

    [Fact]
    public async Task Append_NotAfterTheEnd_IsRefused_AndChangesNothing()
    {
        var store = await FlushedAsync(3);

        var act = () => store.Append(Rec(1, 2, "dup"));

        act.Should().Throw<InvalidOperationException>();
        Dump(store).Should().Be("start(1,-1) rec(1,0)=r0 rec(1,1)=r1 rec(1,2)=r2");
        await DisposeStoreAsync(store);
    }

    [Fact]
    public async Task State_IsDurableWhenWriteStateReturns()
    {
        var store = await OpenAsync();
        store.State.Should().Be(ReplicaDurableState.Fresh);
        var state = new ReplicaDurableState(7, false, P(6, 41), 30);
        store.WriteState(state);

        store = await CrashAsync(store);

        store.State.Should().Be(state);
        await DisposeStoreAsync(store);
    }

    /// <summary>A store holding the epoch start (1, -1) and records r0.. at ids 0.., all flushed.</summary>
    internal async Task<IReplicaLogStore> FlushedAsync(int records)
    {
        var store = await OpenAsync();
        store.Append(Start(1, -1));
        for (var i = 0; i < records; i++)
        {
            store.Append(Rec(1, i, "r" + i));
        }

        store.Flush();
        return store;
    }

    internal static ValueTask DisposeStoreAsync(IReplicaLogStore store) => store is IAsyncDisposable d ? d.DisposeAsync() : ValueTask.CompletedTask;
}

/// <summary>The contract on the simulation's in-memory store.</summary>
[Trait(TestCategories.Name, TestCategories.Fast)]
public sealed class InMemoryReplicaLogStoreContractTests : ReplicaLogStoreContract
{
    internal override Task<IReplicaLogStore> OpenAsync() => Task.FromResult<IReplicaLogStore>(new InMemoryReplicaLogStore());

    internal override Task<IReplicaLogStore> CrashAsync(IReplicaLogStore store) => Task.FromResult<IReplicaLogStore>(((InMemoryReplicaLogStore)store).Crash(0));

    internal override Task<IReplicaLogStore> ReopenAsync(IReplicaLogStore store) => Task.FromResult<IReplicaLogStore>(((InMemoryReplicaLogStore)store).Crash(int.MaxValue));

    public override Task DisposeAsync() => Task.CompletedTask;
}

/// <summary>The contract on the engine's store over real files; a crash is a power loss of the fault-injecting file system.</summary>
[Trait(TestCategories.Name, TestCategories.Fast)]
public sealed class EngineReplicaLogStoreContractTests : ReplicaLogStoreContract, IDisposable
{
    private readonly TempDirectory _dir = new("aof-replica");
    private FaultInjectingFileSystem _fs = new() { CrashModel = CrashModel.PowerLoss };

    internal PartitionLogOptions Options => new() { DataRoot = _dir.Path, FlushPolicy = FlushPolicy.Async, MaxSegmentBytes = 1 << 20, MaxRecordBytes = 64 * 1024 };

    internal override async Task<IReplicaLogStore> OpenAsync()
        => await EngineReplicaLogStore.OpenAsync("log", "p0", Options, new PartitionLogEnvironment { FileSystem = _fs });

    internal override async Task<IReplicaLogStore> CrashAsync(IReplicaLogStore store)
    {
        _fs.Crash();
        try
        {
            await ((EngineReplicaLogStore)store).DisposeAsync();
        }
        catch (Exception e) when (e is IOException or AppendLogException or PartitionFaultedException or ObjectDisposedException)
        {
            // The crashed process's close is refused.
        }

        _fs.SimulateRestart();
        _fs = new FaultInjectingFileSystem { CrashModel = CrashModel.PowerLoss };
        return await OpenAsync();
    }

    internal override async Task<IReplicaLogStore> ReopenAsync(IReplicaLogStore store)
    {
        await ((EngineReplicaLogStore)store).DisposeAsync();
        return await OpenAsync();
    }

    public override Task DisposeAsync()
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => _dir.Dispose();
}
