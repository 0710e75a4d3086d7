using FluentAssertions;
using OrleansAof.Streams;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Server.Tests;

/// <summary>
/// The stream provider's per-partition appender: records handed in while an append is in flight go together in the next
/// append call (one group commit), in the order they were handed in, and each caller learns its own record's outcome.
/// </summary>
[Trait(TestCategories.Name, TestCategories.Fast)]
public sealed class StreamPartitionAppenderTests
{
    /// <summary>Records every call; each call waits until the test releases it.</summary>
    private sealed class RecordingPartition
    {
        private readonly Lock _lock = new();
        private readonly List<(string Kind, byte[][] Records, TaskCompletionSource Release)> _calls = [];

        public Func<byte[], Task> One => p => Add("one", [p]);

        public Func<RecordPayloads, Task> Many => b => Add("many", Split(b));

        public (string Kind, byte[][] Records, TaskCompletionSource Release) this[int i]
        {
            get
            {
                lock (_lock)
                {
                    return _calls[i];
                }
            }
        }

        public int Count
        {
            get
            {
                lock (_lock)
                {
                    return _calls.Count;
                }
            }
        }

        private Task Add(string kind, byte[][] records)
        {
            var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_lock)
            {
                _calls.Add((kind, records, release));
            }

            return release.Task;
        }

        private static byte[][] Split(RecordPayloads b)
        {
            var offset = 0;
            var records = new byte[b.Count][];
            for (var i = 0; i < b.Count; i++)
            {
                records[i] = b.Buffer.AsSpan(offset, b.Lengths[i]).ToArray();
                offset += b.Lengths[i];
            }

            return records;
        }
    }

    private static byte[] R(byte b) => [b, b];

    [Fact]
    public async Task Records_handed_in_during_an_append_go_together_in_the_next_call_in_order()
    {
        var partition = new RecordingPartition();
        var appender = new PartitionAppender(partition.One, partition.Many);

        var first = appender.AppendAsync(R(1));
        await Wait.UntilAsync(() => partition.Count == 1, "the first record is sent at once");
        var rest = Enumerable.Range(2, 4).Select(i => appender.AppendAsync(R((byte)i))).ToArray();

        partition.Count.Should().Be(1, "one call is in flight at a time");
        first.IsCompleted.Should().BeFalse();
        partition[0].Release.SetResult();
        await first;

        await Wait.UntilAsync(() => partition.Count == 2, "the four waiting records are sent");
        partition[1].Kind.Should().Be("many");
        partition[1].Records.Should().BeEquivalentTo(new[] { R(2), R(3), R(4), R(5) }, o => o.WithStrictOrdering());
        rest.Should().OnlyContain(t => !t.IsCompleted, "none is acknowledged before its call is");
        partition[1].Release.SetResult();
        await Task.WhenAll(rest);
        partition.Count.Should().Be(2);
    }

    [Fact]
    public async Task A_failed_call_fails_exactly_the_records_it_carried()
    {
        var partition = new RecordingPartition();
        var appender = new PartitionAppender(partition.One, partition.Many);

        var first = appender.AppendAsync(R(1));
        await Wait.UntilAsync(() => partition.Count == 1, "the first record is sent at once");
        var second = appender.AppendAsync(R(2));
        var third = appender.AppendAsync(R(3));
        partition[0].Release.SetResult();
        await first;

        await Wait.UntilAsync(() => partition.Count == 2, "the two waiting records are sent");
        var fourth = appender.AppendAsync(R(4));
        partition[1].Release.SetException(new PartitionUnavailableException("p/0", "test"));
        await FluentActions.Awaiting(() => second).Should().ThrowAsync<PartitionUnavailableException>();
        await FluentActions.Awaiting(() => third).Should().ThrowAsync<PartitionUnavailableException>();

        await Wait.UntilAsync(() => partition.Count == 3, "the record handed in later is sent on its own call");
        partition[2].Kind.Should().Be("one");
        partition[2].Records.Should().BeEquivalentTo(new[] { R(4) });
        partition[2].Release.SetResult();
        await fourth;
    }

    [Fact]
    public async Task A_batch_refused_for_a_too_large_record_is_resent_one_by_one_so_only_that_record_fails()
    {
        var partition = new RecordingPartition();
        var appender = new PartitionAppender(partition.One, partition.Many);

        var first = appender.AppendAsync(R(1));
        await Wait.UntilAsync(() => partition.Count == 1, "the first record is sent at once");
        var small = appender.AppendAsync(R(2));
        var large = appender.AppendAsync(R(3));
        partition[0].Release.SetResult();
        await first;

        await Wait.UntilAsync(() => partition.Count == 2, "the two waiting records are sent together");
        partition[1].Release.SetException(new RecordTooLargeException(2, 1, "too large"));
        await Wait.UntilAsync(() => partition.Count == 3, "the first record is resent alone");
        partition[2].Records.Should().BeEquivalentTo(new[] { R(2) });
        partition[2].Release.SetResult();
        await small;
        await Wait.UntilAsync(() => partition.Count == 4, "the second record is resent alone");
        partition[3].Records.Should().BeEquivalentTo(new[] { R(3) });
        partition[3].Release.SetException(new RecordTooLargeException(2, 1, "too large"));
        await FluentActions.Awaiting(() => large).Should().ThrowAsync<RecordTooLargeException>();
    }
}
