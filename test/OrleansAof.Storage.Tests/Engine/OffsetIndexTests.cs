using FluentAssertions;
using OrleansAof.Storage.Internal;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Engine;

[Trait(TestCategories.Name, TestCategories.Fast)]
public class OffsetIndexTests
{
    [Fact]
    public void Entries_AcrossTheGrowingFirstChunkAndLaterChunks_ReadBackExactly()
    {
        var index = new OffsetIndex();
        for (var i = 0; i < 40_000; i++)
        {
            index.Add(i * 7L);
            index[i].Should().Be(i * 7L);
        }

        index.Count.Should().Be(40_000);
        index.ToArray().Should().Equal(Enumerable.Range(0, 40_000).Select(i => i * 7L));
        index.Truncate(10);
        index.ToArray().Should().Equal(Enumerable.Range(0, 10).Select(i => i * 7L));
    }

    [Fact]
    public async Task Readers_WhileTheFirstChunkGrows_SeeEveryPublishedEntry()
    {
        var index = new OffsetIndex();
        var wrong = 0;
        using var done = new CancellationTokenSource();
        var reader = Task.Run(() =>
        {
            while (!done.IsCancellationRequested)
            {
                var count = index.Count;
                for (var i = 0; i < count; i++)
                {
                    if (index[i] != i + 1)
                    {
                        Interlocked.Increment(ref wrong);
                    }
                }
            }
        });

        for (var i = 0; i < 20_000; i++)
        {
            index.Add(i + 1);
        }

        done.Cancel();
        await reader.WaitAsync(TimeSpan.FromSeconds(30));
        wrong.Should().Be(0);
    }

    [Fact]
    public void AnIndexWithOneEntry_AllocatesLessThanOneKiB()
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var index = new OffsetIndex();
        index.Add(42);
        (GC.GetAllocatedBytesForCurrentThread() - before).Should().BeLessThan(1024, "the first chunk starts small");
        index[0].Should().Be(42);
    }
}
