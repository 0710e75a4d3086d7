using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Options;

namespace OrleansAof.Server;

/// <summary>
/// The append log's health on this silo, for readiness endpoints: whether the silo serves partitions, and what is
/// degraded: partitions whose archival runs fail (an archive outage, a refused key, a missing bucket) and partitions whose
/// archive backlog is over its bound, so that they refuse appends. Both clear by themselves: a run that succeeds clears
/// its partition's error, a drained backlog accepts appends again. Registered by <c>AddAppendLog</c>.
/// </summary>
public sealed class AppendLogHealth
{
    private const int MaxListedProblems = 8;
    private readonly OpenPartitions _partitions;
    private readonly AppendLogOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, ArchivalFailure> _failures = new(StringComparer.Ordinal);

    /// <summary>Creates the health view over the silo's open partitions (<c>AddAppendLog</c> registers it).</summary>
    internal AppendLogHealth(OpenPartitions partitions, IOptions<AppendLogOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _partitions = partitions;
        _options = options.Value;
        _time = time;
    }

    /// <summary>The health right now: not ready while the silo starts or stops; degraded while an archival problem lasts.</summary>
    public AppendLogHealthReport Check()
    {
        var problems = new List<string>();
        var failing = _failures.ToArray();
        Array.Sort(failing, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        foreach (var (key, failure) in failing)
        {
            problems.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"partition {key}: archiving fails since {failure.Since:yyyy-MM-ddTHH:mm:ssZ} ({failure.Runs} failed run(s)): {failure.Error}"));
        }

        foreach (var (key, log) in _partitions.OpenLogs.OrderBy(static p => p.Key, StringComparer.Ordinal))
        {
            var (segments, bytes) = log.ArchiveBacklog;
            if (segments > _options.MaxArchiveBacklogSegments || bytes > _options.MaxArchiveBacklogBytes)
            {
                problems.Add(string.Create(
                    CultureInfo.InvariantCulture,
                    $"partition {key}: appends refused: {segments} sealed segment(s) ({bytes} bytes) wait for archival, over the bound of {_options.MaxArchiveBacklogSegments} segment(s) / {_options.MaxArchiveBacklogBytes} bytes"));
            }
        }

        return new AppendLogHealthReport(_partitions.IsReady, _partitions.Count, problems.Count, [.. problems.Take(MaxListedProblems)]);
    }

    /// <summary>The archival failure of <paramref name="partition"/> (<c>{log}/{partition}</c>), or null while its runs succeed.</summary>
    internal ArchivalFailure? FailureOf(string partition) => _failures.TryGetValue(partition, out var failure) ? failure : null;

    /// <summary>Records that an archival run of <paramref name="partition"/> failed with <paramref name="error"/>.</summary>
    internal void ArchivalFailed(string partition, string error)
    {
        var now = _time.GetUtcNow();
        _failures.AddOrUpdate(
            partition,
            static (_, state) => new ArchivalFailure(state.Error, state.Now, 1),
            static (_, existing, state) => existing with { Error = state.Error, Runs = existing.Runs + 1 },
            (Error: error, Now: now));
    }

    /// <summary>Records that an archival run of <paramref name="partition"/> succeeded: its failure is over.</summary>
    internal void ArchivalSucceeded(string partition) => _failures.TryRemove(partition, out _);

    /// <summary>Forgets <paramref name="partition"/> (it closed on this silo).</summary>
    internal void Forget(string partition) => _failures.TryRemove(partition, out _);

    /// <summary>A partition's failing archival runs.</summary>
    /// <param name="Error">The last run's error.</param>
    /// <param name="Since">When the first of them failed.</param>
    /// <param name="Runs">How many failed in a row.</param>
    internal sealed record ArchivalFailure(string Error, DateTimeOffset Since, int Runs);
}
