namespace OrleansAof.Cli.Cluster;

/// <summary>
/// The cluster as the tool sees it: every membership entry (Orleans' management grain) and, for each active silo, the
/// partitions it holds (<see cref="IAppendLogSiloGrain"/>). Built without opening any partition.
/// </summary>
internal sealed class ClusterView
{
    private ClusterView(IReadOnlyList<SiloDocument> silos, IReadOnlyDictionary<string, SiloPartitionList> listings)
    {
        Silos = silos;
        Listings = listings;
    }

    /// <summary>Every silo membership knows of, active ones first, then by name and start time.</summary>
    public IReadOnlyList<SiloDocument> Silos { get; }

    /// <summary>What each active silo answered, by silo name.</summary>
    public IReadOnlyDictionary<string, SiloPartitionList> Listings { get; }

    /// <summary>Asks membership for the silos and every active silo for its partitions (of <paramref name="log"/>, when set), in parallel.</summary>
    public static async Task<ClusterView> LoadAsync(IClusterClient client, string? log)
    {
        var entries = await client.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: false);
        var active = entries.Where(static e => e.Status == SiloStatus.Active).ToList();
        var answers = await Task.WhenAll(active.Select(async e =>
        {
            try
            {
                return (e.SiloName, List: await client.GetGrain<IAppendLogSiloGrain>(e.SiloName).ListPartitionsAsync(log), Error: (string?)null);
            }
            catch (InvalidPartitionNameException)
            {
                throw;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                return (e.SiloName, List: (SiloPartitionList?)null, Error: $"{ex.GetType().Name}: {ex.Message.Split('\n', 2)[0]}");
            }
        }));

        var listings = new Dictionary<string, SiloPartitionList>(StringComparer.Ordinal);
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, list, error) in answers)
        {
            if (list is not null)
            {
                listings[name] = list;
            }
            else
            {
                errors[name] = error!;
            }
        }

        var silos = entries
            .OrderBy(static e => e.Status == SiloStatus.Active ? 0 : 1)
            .ThenBy(static e => e.SiloName, StringComparer.Ordinal)
            .ThenByDescending(static e => e.StartTime)
            .Select(e =>
            {
                var isActive = e.Status == SiloStatus.Active;
                var list = isActive && listings.TryGetValue(e.SiloName, out var l) ? l : null;
                return new SiloDocument(
                    e.SiloName,
                    e.SiloAddress.Endpoint.ToString(),
                    e.SiloAddress.Generation,
                    e.Status.ToString(),
                    e.HostName,
                    e.ProxyPort,
                    new DateTimeOffset(DateTime.SpecifyKind(e.StartTime, DateTimeKind.Utc)),
                    new DateTimeOffset(DateTime.SpecifyKind(e.IAmAliveTime, DateTimeKind.Utc)),
                    list?.DataRoot,
                    list?.Partitions.Count,
                    list?.Partitions.Count(static p => p.IsOpen),
                    isActive && errors.TryGetValue(e.SiloName, out var error) ? error : null);
            })
            .ToList();
        return new ClusterView(silos, listings);
    }

    /// <summary>The active silos that hold <paramref name="log"/>/<paramref name="partition"/> on their disk or open, by silo name.</summary>
    public IReadOnlyList<PartitionHolder> Holders(string log, string partition)
    {
        var found = new List<PartitionHolder>();
        foreach (var (silo, list) in Listings.OrderBy(static l => l.Key, StringComparer.Ordinal))
        {
            foreach (var p in list.Partitions)
            {
                if (p.Log == log && p.Partition == partition)
                {
                    found.Add(new PartitionHolder(silo, p.IsOpen));
                }
            }
        }

        return found;
    }

    /// <summary>Every partition of <paramref name="log"/> some active silo holds, in partition order (numeric names by value).</summary>
    public IReadOnlyList<string> PartitionsOf(string log) => [.. Listings.Values
        .SelectMany(static l => l.Partitions)
        .Where(p => p.Log == log)
        .Select(static p => p.Partition)
        .Distinct(StringComparer.Ordinal)
        .Order(PartitionNameComparer.Instance)];

    /// <summary>Throws unless an active silo holds the partition.</summary>
    /// <exception cref="PartitionNotFoundException">No active silo holds it and every active silo answered.</exception>
    /// <exception cref="PartitionUnavailableException">No silo that answered holds it, but some active silo did not answer.</exception>
    public void RequireHeld(string log, string partition)
    {
        if (Holders(log, partition).Count > 0)
        {
            return;
        }

        var key = PartitionKey.Format(log, partition);
        var silent = Silos.Where(static s => s.Error is not null).Select(static s => $"{s.Name} ({s.Error})").ToList();
        if (silent.Count > 0)
        {
            throw new PartitionUnavailableException(key, $"no silo that answered holds it, and {string.Join(", ", silent)} did not say which partitions it holds; retry");
        }

        var active = Silos.Where(static s => s.Status == nameof(SiloStatus.Active)).Select(static s => s.Name).ToHashSet(StringComparer.Ordinal);
        var down = Silos.Select(static s => s.Name).Where(n => !active.Contains(n)).Distinct(StringComparer.Ordinal).ToList();
        throw new PartitionNotFoundException(
            $"No active silo holds partition {key}; nothing was created (only 'aof append' creates partitions)."
            + (down.Count > 0 ? $" Not active right now: {string.Join(", ", down)}; if one of them owns the partition, it is back once that silo is." : ""));
    }
}
