using System.Globalization;
using System.Text;

namespace OrleansAof.StressHarness;

/// <summary>Settings of one stress run; <see cref="Parse"/> reads them from command-line arguments.</summary>
public sealed class StressOptions
{
    /// <summary>How long the workload runs before the final checks. Default 2 minutes.</summary>
    public TimeSpan Duration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>A gateway <c>host:port</c> of a running cluster; null (with <see cref="Redis"/> null) means in-process.</summary>
    public string? Gateway { get; set; }

    /// <summary>A StackExchange.Redis configuration string: find a running cluster through its Redis membership.</summary>
    public string? Redis { get; set; }

    /// <summary>The cluster id of a running cluster. Default <c>aof</c> (the silo host's default).</summary>
    public string ClusterId { get; set; } = "aof";

    /// <summary>The service id of a running cluster. Default <c>aof</c>.</summary>
    public string ServiceId { get; set; } = "aof";

    /// <summary>Whether the run starts its own three-silo in-process cluster (the default when no gateway or Redis is given).</summary>
    public bool InProcess => Gateway is null && Redis is null;

    /// <summary>Concurrent producers. Default 8.</summary>
    public int Producers { get; set; } = 8;

    /// <summary>Concurrent tail subscribers (each joins and leaves at random). Default 6.</summary>
    public int Subscribers { get; set; } = 6;

    /// <summary>Concurrent readers of random old ranges. Default 2.</summary>
    public int Readers { get; set; } = 2;

    /// <summary>Partitions of the stress log. Default 6.</summary>
    public int Partitions { get; set; } = 6;

    /// <summary>Silos of the in-process cluster. Default 3.</summary>
    public int Silos { get; set; } = 3;

    /// <summary>In-process only: how often one silo (never the first) is killed abruptly and restarted; zero disables. Default 30 s.</summary>
    public TimeSpan KillEvery { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>In-process only: how long a killed silo stays down (a random time up to this). Default 4 s.</summary>
    public TimeSpan MaxDownTime { get; set; } = TimeSpan.FromSeconds(4);

    /// <summary>In-process only: segment size. Default 256 KiB, so segments roll over, archive and evict constantly.</summary>
    public int SegmentKiB { get; set; } = 256;

    /// <summary>Largest payload a producer sends. Default 8 KiB (at least 64 bytes).</summary>
    public int MaxPayloadBytes { get; set; } = 8 * 1024;

    /// <summary>The random seed; default a random one (printed in the summary, so a run can be repeated).</summary>
    public int? Seed { get; set; }

    /// <summary>Print the summary as JSON on stdout.</summary>
    public bool Json { get; set; }

    /// <summary>Fail when the live GC heap (measured after a full collection every 30 s) exceeds this many MiB after the warm-up. Default 1024.</summary>
    public int MaxHeapMb { get; set; } = 1024;

    /// <summary>How long the start of the run is excluded from the heap bound. Default 30 s (at most a quarter of the duration).</summary>
    public TimeSpan WarmUp { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Fail when no append is acknowledged for this long (printing what every worker was doing). Default 60 s.</summary>
    public TimeSpan StallTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often a progress line goes to stderr; zero disables. Default 10 s.</summary>
    public TimeSpan ProgressEvery { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>In-process only: keep the data and archive folders after the run (their path is printed).</summary>
    public bool KeepData { get; set; }

    /// <summary>The text of <c>--help</c>.</summary>
    public static string Help => """
        OrleansAof stress harness: appends with idempotent stamps, tails that come and go, reads of old (archived) ranges,
        flush/seal/policy churn and, in-process, silo kills; every acknowledged record is checked. Exit 0: no violation.

        Usage: dotnet run --project test/OrleansAof.StressHarness -c Release -- [options]

        Target (default --in-process):
          --in-process              start a 3-silo in-process cluster (own data folder per silo, shared file-system
                                    archive, small segments, archiver reminder every second)
          --gateway <host:port>     run against a running cluster through this gateway
          --redis <configuration>   run against a running cluster found through its Redis membership
          --cluster-id <id>         cluster id of a running cluster (default aof)
          --service-id <id>         service id of a running cluster (default aof)

        Workload:
          --duration <time>         how long the workload runs, e.g. 00:02:00 or 90s (default 00:02:00)
          --producers <n>           concurrent producers (default 8)
          --subscribers <n>         concurrent tail subscribers that join and leave at random (default 6)
          --readers <n>             concurrent readers of random old ranges (default 2)
          --partitions <n>          partitions of the stress log (default 6)
          --max-payload <bytes>     largest record a producer sends (default 8192)
          --seed <int>              random seed (default: random, printed in the summary)

        In-process cluster:
          --silos <n>               silos (default 3)
          --kill-every <time>       kill one silo (never the first) abruptly this often and restart it; 0 disables (default 00:00:30)
          --max-down <time>         longest time a killed silo stays down (default 00:00:04)
          --segment-kib <n>         segment size in KiB (default 256)
          --keep-data               keep the data and archive folders after the run

        Checks and output:
          --max-heap-mb <n>         fail when the live GC heap (after a full collection, sampled every 30 s) exceeds
                                    this after the warm-up (default 1024)
          --warm-up <time>          start of the run excluded from the heap bound (default 00:00:30)
          --stall-timeout <time>    fail when no append is acknowledged for this long (default 00:01:00)
          --progress-every <time>   progress line on stderr this often; 0 disables (default 00:00:10)
          --json                    print the summary as JSON on stdout
          -h, --help                this text
        """;

    /// <summary>Parses command-line arguments.</summary>
    /// <exception cref="ArgumentException">An unknown option or a bad value (the message says which).</exception>
    public static StressOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var o = new StressOptions();
        var inProcess = false;
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value()
            {
                if (i + 1 >= args.Count)
                {
                    throw new ArgumentException($"{name} needs a value.");
                }

                return args[++i];
            }

            switch (name)
            {
                case "--in-process": inProcess = true; break;
                case "--gateway": o.Gateway = Value(); break;
                case "--redis": o.Redis = Value(); break;
                case "--cluster-id": o.ClusterId = Value(); break;
                case "--service-id": o.ServiceId = Value(); break;
                case "--duration": o.Duration = Time(name, Value(), allowZero: false); break;
                case "--producers": o.Producers = Int(name, Value(), 1); break;
                case "--subscribers": o.Subscribers = Int(name, Value(), 0); break;
                case "--readers": o.Readers = Int(name, Value(), 0); break;
                case "--partitions": o.Partitions = Int(name, Value(), 1); break;
                case "--max-payload": o.MaxPayloadBytes = Int(name, Value(), StressPayload.HeaderBytes * 2); break;
                case "--seed": o.Seed = Int(name, Value(), int.MinValue); break;
                case "--silos": o.Silos = Int(name, Value(), 1); break;
                case "--kill-every": o.KillEvery = Time(name, Value(), allowZero: true); break;
                case "--max-down": o.MaxDownTime = Time(name, Value(), allowZero: true); break;
                case "--segment-kib": o.SegmentKiB = Int(name, Value(), 16); break;
                case "--keep-data": o.KeepData = true; break;
                case "--max-heap-mb": o.MaxHeapMb = Int(name, Value(), 1); break;
                case "--warm-up": o.WarmUp = Time(name, Value(), allowZero: true); break;
                case "--stall-timeout": o.StallTimeout = Time(name, Value(), allowZero: false); break;
                case "--progress-every": o.ProgressEvery = Time(name, Value(), allowZero: true); break;
                case "--json": o.Json = true; break;
                default: throw new ArgumentException($"Unknown option '{name}' (see --help).");
            }
        }

        if (inProcess && !o.InProcess)
        {
            throw new ArgumentException("--in-process cannot be combined with --gateway or --redis.");
        }

        if (o.Gateway is not null && o.Redis is not null)
        {
            throw new ArgumentException("Give either --gateway or --redis, not both.");
        }

        if (o.MaxPayloadBytes * 4L > o.SegmentKiB * 1024L)
        {
            throw new ArgumentException($"--max-payload {o.MaxPayloadBytes} must be at most a quarter of --segment-kib {o.SegmentKiB} KiB.");
        }

        return o;
    }

    /// <summary>The settings as one line, for the summary.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"duration {Duration}, ");
        text.Append(InProcess
            ? string.Create(CultureInfo.InvariantCulture, $"in-process ({Silos} silos, {SegmentKiB} KiB segments, kill every {(KillEvery > TimeSpan.Zero ? KillEvery.ToString() : "never")}), ")
            : Gateway is not null ? $"gateway {Gateway} (cluster {ClusterId}), " : $"redis (cluster {ClusterId}), ");
        text.Append(CultureInfo.InvariantCulture, $"{Producers} producers, {Subscribers} subscribers, {Readers} readers, {Partitions} partitions");
        return text.ToString();
    }

    private static int Int(string name, string value, int min)
    {
        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < min)
        {
            throw new ArgumentException($"{name} '{value}' must be an integer of at least {min}.");
        }

        return n;
    }

    /// <summary>A time as <c>hh:mm:ss</c> or a number with a unit (<c>ms</c>, <c>s</c>, <c>m</c>, <c>h</c>); <c>0</c> is zero.</summary>
    private static TimeSpan Time(string name, string value, bool allowZero)
    {
        TimeSpan result;
        var units = new (string Suffix, double Seconds)[] { ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600) };
        var parsed = false;
        result = TimeSpan.Zero;
        foreach (var (suffix, seconds) in units)
        {
            if (value.EndsWith(suffix, StringComparison.Ordinal)
                && double.TryParse(value[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && number >= 0)
            {
                result = TimeSpan.FromSeconds(number * seconds);
                parsed = true;
                break;
            }
        }

        if (!parsed && value == "0")
        {
            parsed = true;
        }

        if (!parsed && !(TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out result) && result >= TimeSpan.Zero))
        {
            throw new ArgumentException($"{name} '{value}' is not a time (hh:mm:ss, or a number with ms, s, m or h).");
        }

        if (!allowZero && result <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{name} must be positive.");
        }

        return result;
    }
}
