using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Placement;
using OrleansAof.Server.Placement;

namespace OrleansAof.Server;

/// <summary>
/// <see cref="IAppendLogSiloGrain"/>: lists the partition directories under this silo's data root and the partitions
/// open here. Placed on the silo its key names and never moved; it holds no state.
/// </summary>
[SiloNamePlacement]
[Immovable]
[Reentrant]
internal sealed class AppendLogSiloGrain(IOptions<AppendLogOptions> options, OpenPartitions partitions, ILocalSiloDetails silo) : Grain, IAppendLogSiloGrain
{
    private const string SegmentsFolder = "segments";

    public async Task<SiloPartitionList> ListPartitionsAsync(string? log = null)
    {
        if (log is not null)
        {
            PartitionKey.Validate(log);
        }

        var siloName = options.Value.SiloName ?? silo.Name;
        var dataRoot = options.Value.DataRootFor(siloName);

        // Directory listing is blocking I/O: it never runs on the grain's scheduler.
        var onDisk = await Task.Run(() => FindPartitions(dataRoot, log));
        var open = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in partitions.OpenKeys)
        {
            var (l, p) = PartitionKey.Parse(key);
            if (log is null || string.Equals(l, log, StringComparison.Ordinal))
            {
                open.Add(key);
                onDisk.Add((l, p));
            }
        }

        var sorted = new List<(string Log, string Partition)>(onDisk);
        sorted.Sort(static (a, b) =>
        {
            var byLog = string.CompareOrdinal(a.Log, b.Log);
            return byLog != 0 ? byLog : string.CompareOrdinal(a.Partition, b.Partition);
        });
        var result = new PartitionPresence[sorted.Count];
        for (var i = 0; i < result.Length; i++)
        {
            var (l, p) = sorted[i];
            result[i] = new PartitionPresence(l, p, open.Contains(string.Concat(l, "/", p)));
        }

        return new SiloPartitionList(siloName, dataRoot, result);
    }

    /// <summary>Every <c>{root}/{log}/{partition}</c> with a <c>segments</c> folder (the rule <c>aof inspect</c> uses); names that are not valid partition names are skipped.</summary>
    private static HashSet<(string Log, string Partition)> FindPartitions(string dataRoot, string? log)
    {
        var found = new HashSet<(string, string)>();
        if (!Directory.Exists(dataRoot))
        {
            return found;
        }

        IEnumerable<string> logDirs = log is null ? Directory.EnumerateDirectories(dataRoot) : [Path.Combine(dataRoot, log)];
        foreach (var logDir in logDirs)
        {
            var logName = Path.GetFileName(logDir);
            if (!PartitionKey.IsValid(logName) || !Directory.Exists(logDir))
            {
                continue;
            }

            foreach (var partitionDir in Directory.EnumerateDirectories(logDir))
            {
                var partitionName = Path.GetFileName(partitionDir);
                if (PartitionKey.IsValid(partitionName) && Directory.Exists(Path.Combine(partitionDir, SegmentsFolder)))
                {
                    found.Add((logName, partitionName));
                }
            }
        }

        return found;
    }
}
