using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Orleans.TestingHost;

namespace OrleansAof.Testing;

/// <summary>
/// <see cref="TestCluster"/> builds its silos and client from configurator types and configuration, not delegates: the
/// configurators find their <see cref="AppendLogTestSetup"/> here by the id the builder put in the configuration.
/// Silos in the test process only (the default of <see cref="TestCluster"/>).
/// </summary>
internal static class TestClusterRegistry
{
    public const string IdKey = "OrleansAof:Testing:SetupId";

    private static readonly ConcurrentDictionary<string, AppendLogTestSetup> Setups = new(StringComparer.Ordinal);

    public static string Add(AppendLogTestSetup setup)
    {
        var id = Guid.NewGuid().ToString("N");
        Setups[id] = setup;
        return id;
    }

    public static void Remove(AppendLogTestSetup setup)
    {
        foreach (var entry in Setups)
        {
            if (ReferenceEquals(entry.Value, setup))
            {
                Setups.TryRemove(entry.Key, out _);
            }
        }
    }

    public static AppendLogTestSetup Find(IConfiguration configuration)
    {
        var id = configuration[IdKey];
        if (id is null)
        {
            throw new InvalidOperationException($"The test cluster's configuration has no '{IdKey}': configure it with TestClusterBuilder.AddAppendLog().");
        }

        return Setups.TryGetValue(id, out var setup)
            ? setup
            : throw new InvalidOperationException(
                "The append log's test folder of this cluster was deleted when its last silo and client were disposed, or the silo runs in another process (only in-process silos are supported).");
    }
}
