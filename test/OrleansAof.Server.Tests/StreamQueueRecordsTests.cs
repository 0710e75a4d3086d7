using FluentAssertions;
using Orleans.Providers.Streams.Common;
using OrleansAof.Streams;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Server.Tests;

/// <summary>
/// The records a stream pulling agent holds for one partition and the cursors over them (logic only; the provider runs
/// against a real cluster in <see cref="AppendLogStreamsTests"/>).
/// </summary>
[Trait(TestCategories.Name, TestCategories.Fast)]
public sealed class StreamQueueRecordsTests
{
    private static readonly StreamId A = StreamId.Create("chat", "a");
    private static readonly StreamId B = StreamId.Create("chat", "b");

    private static AppendLogBatchContainer Record(StreamId stream, long id) => new(stream, [id], null, new EventSequenceTokenV2(id));

    [Fact]
    public void A_cursor_visits_only_its_own_stream_in_id_order()
    {
        var records = new QueueRecords { LiveNext = 6 };
        foreach (var (stream, id) in new[] { (A, 0L), (B, 1L), (A, 2L), (B, 3L), (B, 4L), (A, 5L) })
        {
            records.Add(Record(stream, id));
        }

        using var cursor = new AppendLogCursor(records, A, -1);
        var seen = new List<long>();
        while (cursor.MoveNext())
        {
            seen.Add(cursor.GetCurrent(out _).SequenceToken.SequenceNumber);
        }

        seen.Should().Equal(0, 2, 5);
        cursor.Position.Should().Be(5);
    }

    /// <summary>
    /// The stall the pulling agent hit with a small cache: stream A's cursor stops at a purged record (id 2) and asks for it
    /// to be read back; the read-back range (2..3, up to the next held record) holds only stream B's records, and A's next
    /// record (id 4) is already held. The agent wakes only the streams of the records it is handed, so the read-back
    /// must also hand it A's next held record, or A's subscriber never gets another event.
    /// </summary>
    [Fact]
    public void A_cursor_behind_a_purged_record_is_woken_by_its_next_held_record()
    {
        var records = new QueueRecords { LiveNext = 6 };
        records.Add(Record(A, 4));
        records.Add(Record(B, 5));
        using var cursor = new AppendLogCursor(records, A, 1);
        records.Register(cursor);

        cursor.MoveNext().Should().BeFalse("record 2 is not held");
        records.TryTakeFill(out var from, out var until).Should().BeTrue("the cursor asked for record 2 to be read back");
        (from, until).Should().Be((2L, 4L), "the read-back runs from the missing record to the next held one");

        records.NextHeldPerStream().Select(r => (r.StreamId, r.RecordId)).Should().Equal((A, 4L));

        // After the read-back (records 2 and 3 are B's), the woken cursor reaches A's record 4.
        records.Add(Record(B, 2));
        records.Add(Record(B, 3));
        cursor.MoveNext().Should().BeTrue();
        cursor.GetCurrent(out _).SequenceToken.SequenceNumber.Should().Be(4);
    }

    [Fact]
    public void Next_held_per_stream_takes_the_slowest_cursor_of_each_stream_and_skips_streams_with_nothing_held_ahead()
    {
        var records = new QueueRecords { LiveNext = 10 };
        foreach (var (stream, id) in new[] { (A, 3L), (B, 4L), (A, 7L), (B, 8L) })
        {
            records.Add(Record(stream, id));
        }

        using var slowA = new AppendLogCursor(records, A, 0);
        using var fastA = new AppendLogCursor(records, A, 5);
        using var doneB = new AppendLogCursor(records, B, 8);
        records.Register(slowA);
        records.Register(fastA);
        records.Register(doneB);

        records.NextHeldPerStream().Select(r => r.RecordId).Should().Equal(3L);
    }
}
