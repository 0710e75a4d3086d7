using System.Globalization;
using System.Runtime.CompilerServices;
using OrleansAof.Testing;

namespace Orleans.TestingHost;

/// <summary>Adds the append log to Orleans test clusters.</summary>
public static class AppendLogTestClusterExtensions
{
    private static readonly ConditionalWeakTable<object, AppendLogTestSetup> Configured = [];

    /// <summary>
    /// Adds the append log to every silo of the cluster and its client to the cluster client: each silo keeps its
    /// partitions in its own temporary folder (deleted when the cluster is disposed), the initial silos own the partitions
    /// (<c>Silo_0</c>, <c>Silo_1</c>, ...), and membership is tuned for tests (<see cref="AppendLogTestOptions.FastMembership"/>).
    /// </summary>
    /// <returns>The folders and owners, for assertions (<see cref="AppendLogTestSetup.OwnerOf"/>, <see cref="AppendLogTestSetup.DataRootOf"/>).</returns>
    /// <exception cref="InvalidOperationException">The builder already has the append log.</exception>
    /// <example><code>
    /// var builder = new InProcessTestClusterBuilder(3);
    /// var aof = builder.AddAppendLog(o => o.ConfigureClient = c => c.PartitionCounts["orders"] = 8);
    /// await using var cluster = builder.Build();
    /// await cluster.DeployAsync();
    /// </code></example>
    public static AppendLogTestSetup AddAppendLog(this InProcessTestClusterBuilder builder, Action<AppendLogTestOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var clusterOptions = builder.Options;
        var setup = Create(builder, configure, () => Names(clusterOptions.InitialSilosCount, static i => $"Silo_{i.ToString(CultureInfo.InvariantCulture)}"));
        builder.ConfigureSilo((silo, siloBuilder) => setup.ConfigureSilo(siloBuilder, silo.SiloName));
        builder.ConfigureClient(setup.ConfigureClient);
        return setup;
    }

    /// <summary>
    /// Adds the append log to every silo of a <see cref="TestCluster"/> and its client to the cluster client, like the
    /// <see cref="InProcessTestClusterBuilder"/> overload; the initial silos (<c>Primary</c>, <c>Secondary_1</c>, ...) own
    /// the partitions. The silos must run in the test process (the default).
    /// </summary>
    /// <exception cref="InvalidOperationException">The builder already has the append log.</exception>
    public static AppendLogTestSetup AddAppendLog(this TestClusterBuilder builder, Action<AppendLogTestOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var clusterOptions = builder.Options;
        var setup = Create(builder, configure, () => Names(
            clusterOptions.InitialSilosCount,
            i => clusterOptions.UseTestClusterMembership && i == 0 ? "Primary" : $"Secondary_{i.ToString(CultureInfo.InvariantCulture)}"));
        builder.Properties[TestClusterRegistry.IdKey] = TestClusterRegistry.Add(setup);
        builder.AddSiloBuilderConfigurator<AppendLogSiloConfigurator>();
        builder.AddClientBuilderConfigurator<AppendLogClientConfigurator>();
        return setup;
    }

    private static AppendLogTestSetup Create(object builder, Action<AppendLogTestOptions>? configure, Func<IReadOnlyList<string>> initialSiloNames)
    {
        var options = new AppendLogTestOptions();
        configure?.Invoke(options);
        var setup = new AppendLogTestSetup(options, initialSiloNames);
        if (!Configured.TryAdd(builder, setup))
        {
            throw new InvalidOperationException("AddAppendLog was already called on this test cluster builder.");
        }

        return setup;
    }

    private static string[] Names(int count, Func<int, string> name) => [.. Enumerable.Range(0, count).Select(name)];
}
