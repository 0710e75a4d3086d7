using System.Text;
using FluentAssertions;
using OrleansAof.Client;

namespace OrleansAof.Testing.Tests;

internal static class Records
{
    /// <summary>Distinct bytes per silo and record, of different lengths, so a record read from the wrong place shows.</summary>
    public static byte[] Payload(string silo, int record) => Encoding.UTF8.GetBytes($"{silo}:{record}:" + new string('x', 10 * record));

    /// <summary>Reads the partition from id 0 and checks it holds exactly records 0 to <paramref name="count"/> - 1 of <paramref name="silo"/>.</summary>
    public static async Task ShouldReadAsync(AppendLogHandle log, string partition, string silo, int count)
    {
        var batch = await log.ReadAsync(partition, fromId: 0);
        batch.Records.Select(r => (r.Id, r.Payload.ToArray())).Should().BeEquivalentTo(
            Enumerable.Range(0, count).Select(i => ((long)i, Payload(silo, i))),
            o => o.WithStrictOrdering(),
            $"{log.Name}/{partition} reads back exactly what was appended");
    }
}
