using FluentAssertions;
using OrleansAof.TestInfrastructure;
using Xunit;
using Engine = OrleansAof.Storage;

namespace OrleansAof.Server.Tests;

/// <summary>
/// <see cref="EngineErrors"/> builds the caller's message from the engine error's fields: every bound is named as the
/// <see cref="AppendLogOptions"/> property a silo operator sets, never as the engine's <c>PartitionLogOptions</c>.
/// </summary>
[Trait(TestCategories.Name, TestCategories.Fast)]
public sealed class EngineErrorsTests : IDisposable
{
    private const string Key = "orders/0";
    private readonly TempDirectory _temp = new("engine-errors");

    [Fact]
    public async Task RecordTooLarge_FromTheEngine_NamesAppendLogOptionsMaxRecordBytes()
    {
        await using var log = await OpenAsync(o => o.MaxRecordBytes = 1000);
        var engine = (await FluentActions.Awaiting(() => log.AppendAsync(new byte[1001]).AsTask()).Should().ThrowAsync<Engine.RecordTooLargeException>()).Which;

        var wire = EngineErrors.ToContract(engine, Key).Should().BeOfType<RecordTooLargeException>().Which;
        (wire.Size, wire.Maximum).Should().Be((1001, 1000));
        wire.Message.Should().Be("The record has 1001 bytes; the maximum is 1000 (AppendLogOptions.MaxRecordBytes).");
    }

    [Fact]
    public async Task BatchTooLarge_FromTheEngine_NamesAppendLogOptionsMaxSegmentBytes()
    {
        await using var log = await OpenAsync(o =>
        {
            o.MaxSegmentBytes = 4096;
            o.MaxRecordBytes = 1000;
        });
        var batch = Enumerable.Range(0, 8).Select(static _ => (ReadOnlyMemory<byte>)new byte[1000]).ToArray();
        var engine = (await FluentActions.Awaiting(() => log.AppendBatchAsync(batch).AsTask()).Should().ThrowAsync<Engine.BatchTooLargeException>()).Which;

        var wire = EngineErrors.ToContract(engine, Key).Should().BeOfType<BatchTooLargeException>().Which;
        (wire.Records, wire.Bytes).Should().Be((engine.Records, engine.Bytes));
        wire.Message.Should().Be($"The batch of 8 records needs {engine.Bytes} bytes on disk; one segment holds at most {engine.Maximum} (AppendLogOptions.MaxSegmentBytes).");
    }

    [Fact]
    public async Task UnflushedBytesBackpressure_FromTheEngine_NamesAppendLogOptionsMaxUnflushedBytes()
    {
        await using var log = await OpenAsync(o =>
        {
            o.FlushPolicy = Engine.FlushPolicy.Async;
            o.MaxRecordBytes = 1000;
            o.MaxUnflushedBytes = 4096;
        });
        Engine.LogBackpressureException? engine = null;
        for (var i = 0; i < 10 && engine is null; i++)
        {
            try
            {
                await log.AppendAsync(new byte[1000]);
            }
            catch (Engine.LogBackpressureException e)
            {
                engine = e;
            }
        }

        engine.Should().NotBeNull("the fourth 1,048-byte frame passes 4,096 unflushed bytes");
        var wire = EngineErrors.ToContract(engine!, Key).Should().BeOfType<LogBackpressureException>().Which;
        (wire.Reason, wire.RetryAfter).Should().Be(("UnflushedBytes", TimeSpan.FromMilliseconds(5)));
        wire.Message.Should().Be("Append refused by backpressure (UnflushedBytes): 3144 bytes are written but not flushed. The bound is 4096 bytes (AppendLogOptions.MaxUnflushedBytes). Retry after 5 ms.");
    }

    [Fact]
    public void ArchiveBacklogBackpressure_NamesBothAppendLogOptionsBounds()
    {
        var engine = new Engine.LogBackpressureException(Engine.BackpressureReason.ArchiveBacklog, "3 sealed segment(s) (300 bytes) wait for archival.", TimeSpan.FromSeconds(1),
            new Engine.BackpressureBound(nameof(Engine.PartitionLogOptions.MaxArchiveBacklogSegments), 2, "segments"),
            new Engine.BackpressureBound(nameof(Engine.PartitionLogOptions.MaxArchiveBacklogBytes), 1000, "bytes"));

        engine.Message.Should().Be("Append refused by backpressure (ArchiveBacklog): 3 sealed segment(s) (300 bytes) wait for archival. The bounds are 2 segments (PartitionLogOptions.MaxArchiveBacklogSegments) and 1000 bytes (PartitionLogOptions.MaxArchiveBacklogBytes). Retry after 1000 ms.");
        EngineErrors.ToContract(engine, Key).Message.Should().Be("Append refused by backpressure (ArchiveBacklog): 3 sealed segment(s) (300 bytes) wait for archival. The bounds are 2 segments (AppendLogOptions.MaxArchiveBacklogSegments) and 1000 bytes (AppendLogOptions.MaxArchiveBacklogBytes). Retry after 1000 ms.");
    }

    [Fact]
    public void InvalidEngineOption_IsNamedAsTheAppendLogOption_OtherOptionClassesStayAsTheyAre()
    {
        var engine = FluentActions.Invoking(() => new Engine.PartitionLogOptions { DataRoot = _temp.Path, MaxSegmentBytes = 100 }.Validate())
            .Should().Throw<Engine.InvalidLogOptionsException>().Which;
        (engine.OptionsClass, engine.Property, engine.Problem).Should().Be(("PartitionLogOptions", "MaxSegmentBytes", "must be between 4096 and 2^40 bytes; it is 100."));

        var wire = EngineErrors.ToContract(engine, Key).Should().BeOfType<InvalidLogOptionsException>().Which;
        wire.OptionName.Should().Be("AppendLogOptions.MaxSegmentBytes");
        wire.Message.Should().Be("AppendLogOptions.MaxSegmentBytes must be between 4096 and 2^40 bytes; it is 100.");

        var retry = new Engine.InvalidLogOptionsException("ArchiveRetryOptions.MaxAttempts", "must be between 1 and 100; it is 0.");
        EngineErrors.ToContract(retry, Key).Message.Should().Be("ArchiveRetryOptions.MaxAttempts must be between 1 and 100; it is 0.");
    }

    [Theory]
    [InlineData(nameof(Engine.PartitionLogOptions.MaxRecordBytes))]
    [InlineData(nameof(Engine.PartitionLogOptions.MaxSegmentBytes))]
    [InlineData(nameof(Engine.PartitionLogOptions.MaxUnflushedBytes))]
    [InlineData(nameof(Engine.PartitionLogOptions.MaxArchiveBacklogSegments))]
    [InlineData(nameof(Engine.PartitionLogOptions.MaxArchiveBacklogBytes))]
    public void EveryBoundTheEngineReports_IsAnAppendLogOptionOfTheSameName(string option)
    {
        typeof(AppendLogOptions).GetProperty(option).Should().NotBeNull($"EngineErrors names the engine's {option} as AppendLogOptions.{option}");
    }

    public void Dispose() => _temp.Dispose();

    private Task<Engine.PartitionLog> OpenAsync(Action<Engine.PartitionLogOptions> configure)
    {
        var options = new Engine.PartitionLogOptions { DataRoot = _temp.Path, Preallocation = Engine.PreallocationMode.None };
        configure(options);
        return Engine.PartitionLog.OpenAsync("orders", "0", options);
    }
}
