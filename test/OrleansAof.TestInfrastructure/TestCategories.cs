namespace OrleansAof.TestInfrastructure;

/// <summary>
/// xUnit trait values for <c>[Trait("Category", ...)]</c>; run a group with <c>./test.sh --filter Category=fast</c>.
/// </summary>
public static class TestCategories
{
    public const string Name = "Category";

    /// <summary>In-process logic and file tests, seconds in total.</summary>
    public const string Fast = "fast";

    /// <summary>Real servers (Redis, s3rver), clusters or child processes.</summary>
    public const string Integration = "integration";

    /// <summary>Randomized or long workloads; scaled up by <see cref="Stress.Enabled"/>.</summary>
    public const string Stress = "stress";

    /// <summary>Injected faults: torn writes, failing fsyncs, killed processes, outages.</summary>
    public const string FaultInjection = "fault-injection";
}

/// <summary>The stress switch: <c>./test.sh --stress</c> sets AOF_STRESS=1.</summary>
public static class Stress
{
    public static bool Enabled => Environment.GetEnvironmentVariable("AOF_STRESS") == "1";

    /// <summary><paramref name="normal"/> in the default suite, <paramref name="stressed"/> behind the switch.</summary>
    public static int Scale(int normal, int stressed) => Enabled ? stressed : normal;
}
