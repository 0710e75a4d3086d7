using System.Text;
using Microsoft.Extensions.Options;

namespace OrleansAof.Server.Ownership;

/// <summary>
/// Decides which silo owns a partition: an override of the cluster's ownership table (<see cref="IOwnershipGrain"/>,
/// set by drains) or of the configuration (<see cref="AppendLogOptions.OwnerOverrides"/>) when there is one, else
/// rendezvous hashing of the partition key over <see cref="AppendLogOptions.Silos"/>. The result depends only on the
/// configuration and the table, never on which silos happen to be up.
/// </summary>
/// <remarks>
/// The entry point of placement and fencing, which all live in this namespace (<c>Server/Ownership/</c>):
/// <list type="bullet">
/// <item><description>Placement: <see cref="PartitionPlacementDirector"/> (<see cref="PartitionOwnerPlacementAttribute"/> on the
/// partition grain) activates a partition only on the silo <see cref="OwnerOf"/> names, and fails the call with a retryable
/// <see cref="PartitionUnavailableException"/> when that silo is not active: never a fresh, empty log elsewhere.
/// <see cref="OwnershipRefresher"/> keeps this silo's copy of the ownership table (<see cref="OwnershipGrain"/>, durable
/// in the <see cref="AppendLogOptions.OwnershipStorageName"/> grain storage) fresh. <see cref="SiloNamePlacementDirector"/>
/// places the per-silo grain on the silo its key names.</description></item>
/// <item><description>Fencing, server side: <see cref="PartitionFence"/> re-reads the table before a partition opens, so
/// a partition never opens on a silo that placement chose from a stale copy. The partition's id bound
/// (<see cref="PartitionRecordGrain"/>, <see cref="GrainIdBoundStore"/>) lives outside its volume so ids are never
/// handed out twice; <c>OwnershipStoreValidator</c> refuses to start a durable cluster whose ownership storage is in memory.</description></item>
/// <item><description>Fencing, engine side (<c>OrleansAof.Storage</c>): one writer per partition folder through an
/// exclusive lock file (<c>Internal/PartitionDirectory.cs</c>), a writer epoch that grows at every open
/// (<c>Internal/PartitionOpener.cs</c>) and is stamped into segment headers and tail notifications, and the id
/// reservation against the id bound (<c>Internal/IdReservation.cs</c>).</description></item>
/// </list>
/// </remarks>
public sealed class PartitionOwnership
{
    private readonly string[] _silos;
    private readonly Dictionary<string, string> _overrides;
    private volatile OwnershipTable _table = OwnershipTable.Empty;

    /// <summary>Creates the ownership function of <paramref name="options"/>.</summary>
    public PartitionOwnership(IOptions<AppendLogOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _silos = [.. options.Value.Silos];
        _overrides = new Dictionary<string, string>(options.Value.OwnerOverrides, StringComparer.Ordinal);
    }

    /// <summary>Whether owners are configured (otherwise every active silo is a candidate).</summary>
    public bool HasConfiguredSilos => _silos.Length > 0;

    /// <summary>The owner of <paramref name="log"/>/<paramref name="partition"/> among the configured silos, or null when none are configured.</summary>
    public string? OwnerOf(string log, string partition)
    {
        if (_silos.Length == 0)
        {
            return null;
        }

        var key = string.Concat(log, "/", partition);
        var dynamic = _table.Overrides;
        if (dynamic.Count > 0)
        {
            if (dynamic.TryGetValue(key, out var moved))
            {
                return moved;
            }

            if (dynamic.TryGetValue(log, out var movedLog))
            {
                return movedLog;
            }
        }

        if (_overrides.Count > 0)
        {
            if (_overrides.TryGetValue(key, out var exact))
            {
                return exact;
            }

            if (_overrides.TryGetValue(log, out var forLog))
            {
                return forLog;
            }
        }

        return Rendezvous(key, _silos);
    }

    /// <summary>The configured owner silo names.</summary>
    public IReadOnlyList<string> Silos => _silos;

    /// <summary>Takes the cluster's run-time overrides (<see cref="IOwnershipGrain"/>); an older version than the one held is ignored.</summary>
    public void Apply(OwnershipTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (table.Version >= _table.Version)
        {
            _table = table;
        }
    }

    /// <summary>The candidate with the highest rendezvous weight for <paramref name="key"/> (ties broken by ordinal name order).</summary>
    public static string Rendezvous(string key, IReadOnlyList<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        if (candidates.Count == 0)
        {
            throw new ArgumentException("There is no candidate silo.", nameof(candidates));
        }

        var keyHash = Fnv1a(key);
        string? best = null;
        ulong bestWeight = 0;
        foreach (var candidate in candidates)
        {
            var weight = Mix(keyHash ^ Fnv1a(candidate));
            if (best is null || weight > bestWeight || (weight == bestWeight && string.CompareOrdinal(candidate, best) < 0))
            {
                best = candidate;
                bestWeight = weight;
            }
        }

        return best!;
    }

    /// <summary>
    /// The <paramref name="count"/> candidates with the highest rendezvous weights for <paramref name="key"/>, highest
    /// first (ties broken by ordinal name order): the first is <see cref="Rendezvous"/>'s choice. A partition's replica
    /// set is this ranking's head over the configured silos.
    /// </summary>
    public static IReadOnlyList<string> Rank(string key, IReadOnlyList<string> candidates, int count)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (candidates.Count < count)
        {
            throw new ArgumentException($"There are {candidates.Count} candidate silos; {count} are needed.", nameof(candidates));
        }

        var keyHash = Fnv1a(key);
        var weighted = new (ulong Weight, string Name)[candidates.Count];
        for (var i = 0; i < weighted.Length; i++)
        {
            weighted[i] = (Mix(keyHash ^ Fnv1a(candidates[i])), candidates[i]);
        }

        Array.Sort(weighted, static (a, b) => a.Weight != b.Weight ? b.Weight.CompareTo(a.Weight) : string.CompareOrdinal(a.Name, b.Name));
        var ranked = new string[count];
        for (var i = 0; i < count; i++)
        {
            ranked[i] = weighted[i].Name;
        }

        return ranked;
    }

    /// <summary>FNV-1a (64-bit) of the UTF-8 bytes of <paramref name="text"/>: stable across processes and versions.</summary>
    internal static ulong Fnv1a(string text)
    {
        var hash = 14695981039346656037UL;
        Span<byte> buffer = stackalloc byte[256];
        var bytes = Encoding.UTF8.GetByteCount(text) <= buffer.Length ? buffer[..Encoding.UTF8.GetBytes(text, buffer)] : Encoding.UTF8.GetBytes(text);
        foreach (var b in bytes)
        {
            hash ^= b;
            hash *= 1099511628211UL;
        }

        return hash;
    }

    /// <summary>The SplitMix64 finalizer, to spread the combined hash.</summary>
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
