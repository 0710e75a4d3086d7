using System.Globalization;
using System.Net;

namespace OrleansAof.SiloHost;

/// <summary>Which membership store the silo uses.</summary>
public enum ClusteringProvider
{
    /// <summary>Development clustering on this machine (the default): one silo, or several given <see cref="SiloHostSettings.PrimarySiloEndpoint"/>.</summary>
    Localhost,

    /// <summary>Redis (<see cref="SiloHostSettings.ClusteringConnectionString"/> is a StackExchange.Redis configuration string).</summary>
    Redis,

    /// <summary>A database through ADO.NET (<see cref="SiloHostSettings.AdoNetInvariant"/> names the provider; Npgsql is included).</summary>
    AdoNet,
}

/// <summary>Which reminder store the silo uses (reminders drive the archiver).</summary>
public enum ReminderProvider
{
    /// <summary>No reminder service.</summary>
    None,

    /// <summary>In memory: development only (the default).</summary>
    InMemory,

    /// <summary>Redis.</summary>
    Redis,

    /// <summary>A database through ADO.NET.</summary>
    AdoNet,
}

/// <summary>Where sealed segments are archived.</summary>
public enum ArchiveProvider
{
    /// <summary>No archive: sealed segments stay on the silo's disk.</summary>
    None,

    /// <summary>A folder (<see cref="SiloHostSettings.ArchivePath"/>): the embedded default, or a mounted volume.</summary>
    FileSystem,

    /// <summary>Amazon S3 or an S3-compatible store (the <c>S3*</c> settings).</summary>
    S3,
}

/// <summary>
/// Every setting the silo host binds: section <c>Aof</c> of the configuration (appsettings.json, or environment
/// variables <c>Aof__Name</c>), plus <c>POD_NAME</c> and <c>POD_IP</c>. silo-host/README.md documents each key.
/// </summary>
public sealed class SiloHostSettings
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Aof";

    /// <summary>The silo's own defaults (which take the engine's from <c>PartitionLogDefaults</c>): every setting the host passes on to <c>AppendLogOptions</c> starts from them.</summary>
    private static readonly Server.AppendLogOptions ServerDefaults = new();

    /// <summary>Orleans cluster id. Default <c>aof</c>.</summary>
    public string ClusterId { get; set; } = "aof";

    /// <summary>Orleans service id (keep it stable: it keys reminders and storage). Default <c>aof</c>.</summary>
    public string ServiceId { get; set; } = "aof";

    /// <summary>The silo's stable name; default <c>POD_NAME</c> when set, else <c>aof-0</c>.</summary>
    public string? SiloName { get; set; }

    /// <summary>The IP address other silos and clients reach this silo at; default <c>POD_IP</c> when set, else the loopback address.</summary>
    public string? AdvertisedIp { get; set; }

    /// <summary>Silo-to-silo port. Default 11111.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Client gateway port. Default 30000.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>HTTP port of /health/live, /health/ready and /metrics. Default 8080.</summary>
    public int HttpPort { get; set; } = 8080;

    /// <summary>Membership store. Default <see cref="ClusteringProvider.Localhost"/>.</summary>
    public ClusteringProvider Clustering { get; set; } = ClusteringProvider.Localhost;

    /// <summary>Connection string of the Redis or ADO.NET membership store.</summary>
    public string? ClusteringConnectionString { get; set; }

    /// <summary>Localhost clustering with several silos: the primary silo's <c>ip:port</c> (silo port). Empty: this silo is the primary.</summary>
    public string? PrimarySiloEndpoint { get; set; }

    /// <summary>
    /// Initial timeout of the membership liveness probes between silos (Orleans <c>ClusterMembershipOptions.ProbeTimeout</c>);
    /// a silo that misses <see cref="MissedProbesLimit"/> probes is suspected and, with enough votes, declared dead, which
    /// makes its partitions fail fast with <c>PartitionUnavailableException</c>. Empty: Orleans' default (5 s).
    /// </summary>
    public TimeSpan? ProbeTimeout { get; set; }

    /// <summary>Missed probes after which a silo is suspected (Orleans <c>ClusterMembershipOptions.NumMissedProbesLimit</c>). Empty: Orleans' default (3).</summary>
    public int? MissedProbesLimit { get; set; }

    /// <summary>
    /// When the silo stops, how long its gateway keeps serving after telling the connected clients to send through other
    /// gateways (Orleans <c>SiloMessagingOptions.ClientGatewayShutdownNotificationTimeout</c>), so that calls in flight
    /// through it are answered instead of timing out. Empty: Orleans' default (none in Orleans 10.4).
    /// </summary>
    public TimeSpan? GatewayShutdownDelay { get; set; }

    /// <summary>ADO.NET provider invariant for clustering and reminders. Default <c>Npgsql</c>.</summary>
    public string AdoNetInvariant { get; set; } = "Npgsql";

    /// <summary>Reminder store. Default <see cref="ReminderProvider.InMemory"/>.</summary>
    public ReminderProvider Reminders { get; set; } = ReminderProvider.InMemory;

    /// <summary>Connection string of the Redis or ADO.NET reminder store; default <see cref="ClusteringConnectionString"/>.</summary>
    public string? RemindersConnectionString { get; set; }

    /// <summary>Folder of the partitions. Default <c>./.aof-data</c> (relative to the working directory).</summary>
    public string DataRoot { get; set; } = "./.aof-data";

    /// <summary>Names of the silos that own partitions, comma-separated (for example <c>aof-0,aof-1,aof-2</c>). Empty: every active silo (fine for one silo).</summary>
    public string? Silos { get; set; }

    /// <summary>Ownership overrides, <c>key=silo</c> pairs separated by <c>;</c> where key is a log or <c>log/partition</c> (for example <c>orders=aof-1;payments/3=aof-2</c>).</summary>
    public string? OwnerOverrides { get; set; }

    /// <summary>Flush policy partitions open with (<c>Sync</c>, <c>Batched:N</c>, <c>Periodic:hh:mm:ss.fff</c>, <c>BatchedOrPeriodic:N:hh:mm:ss.fff</c>, <c>Async</c>). Default <c>Sync</c>.</summary>
    public string FlushPolicy { get; set; } = ServerDefaults.FlushPolicy;

    /// <summary>Segment size limit in bytes. Default 64 MiB.</summary>
    public long MaxSegmentBytes { get; set; } = ServerDefaults.MaxSegmentBytes;

    /// <summary>Segment age limit (<c>hh:mm:ss</c>); empty: none.</summary>
    public TimeSpan? MaxSegmentAge { get; set; }

    /// <summary>Largest record in bytes. Default 1 MiB.</summary>
    public int MaxRecordBytes { get; set; } = ServerDefaults.MaxRecordBytes;

    /// <summary>Bound on unflushed bytes per partition. Default 64 MiB.</summary>
    public long MaxUnflushedBytes { get; set; } = ServerDefaults.MaxUnflushedBytes;

    /// <summary>An idle partition is flushed and closed after this long. Default 15 minutes.</summary>
    public TimeSpan IdleDeactivationAge { get; set; } = ServerDefaults.IdleDeactivationAge;

    /// <summary>The most partitions open at once; one more closes the least recently used. Zero: no bound. Default 4,096.</summary>
    public int MaxOpenPartitions { get; set; } = 4096;

    /// <summary>Whether a deactivating partition seals its active segment. Default false.</summary>
    public bool SealOnDeactivate { get; set; }

    /// <summary>Where sealed segments are archived. Default <see cref="ArchiveProvider.FileSystem"/> under <see cref="ArchivePath"/>.</summary>
    public ArchiveProvider Archive { get; set; } = ArchiveProvider.FileSystem;

    /// <summary>Folder of the file-system archive. Default <c>./.aof-archive</c>.</summary>
    public string ArchivePath { get; set; } = "./.aof-archive";

    /// <summary>S3 archive: service URL of an S3-compatible store (for example <c>http://minio:9000</c>); empty for AWS S3 with <see cref="S3Region"/>.</summary>
    public string? S3ServiceUrl { get; set; }

    /// <summary>S3 archive: AWS region (for example <c>eu-west-1</c>).</summary>
    public string? S3Region { get; set; }

    /// <summary>S3 archive: bucket.</summary>
    public string? S3Bucket { get; set; }

    /// <summary>S3 archive: key prefix under which objects mirror local file names.</summary>
    public string? S3Prefix { get; set; }

    /// <summary>S3 archive: path-style addressing (most S3-compatible stores need it). Default false.</summary>
    public bool S3ForcePathStyle { get; set; }

    /// <summary>S3 archive: access key; empty to use the standard AWS credential chain (environment, profile, instance or pod role). Never logged.</summary>
    public string? S3AccessKey { get; set; }

    /// <summary>S3 archive: secret key (with <see cref="S3AccessKey"/>). Never logged.</summary>
    public string? S3SecretKey { get; set; }

    /// <summary>S3 archive: for stores that do not accept aws-chunked uploads or trailing checksums. Default false.</summary>
    public bool S3CompatibilityMode { get; set; }

    /// <summary>S3 archive: <c>None</c> or <c>Zstd</c>. Default <c>None</c> (keeps ranged reads possible).</summary>
    public string S3Compression { get; set; } = "None";

    /// <summary>How often each partition's archiver wakes up as a safety net (it is also poked at every seal). Default 1 minute.</summary>
    public TimeSpan ArchiveReminderPeriod { get; set; } = ServerDefaults.ArchiveReminderPeriod;

    /// <summary>Newest sealed segments kept on local disk after archival. Default 2.</summary>
    public int KeepLocalSegments { get; set; } = ServerDefaults.KeepLocalSegments;

    /// <summary>Appends are refused while more sealed segments than this per partition wait for archival. Default 64.</summary>
    public int MaxArchiveBacklogSegments { get; set; } = ServerDefaults.MaxArchiveBacklogSegments;

    /// <summary>Total retention: archived segments older than this are deleted (<c>d.hh:mm:ss</c>); empty: keep forever.</summary>
    public TimeSpan? RetentionAge { get; set; }

    /// <summary>Extra grain assemblies to load (paths separated by <c>;</c>), for application grains such as the sample projection.</summary>
    public string? GrainAssemblies { get; set; }

    /// <summary>
    /// OTLP endpoint (for example <c>http://otel-collector:4317</c>) to which traces and metrics are exported; empty: no
    /// OTLP export (Prometheus <c>/metrics</c> is always served).
    /// </summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>OTLP transport: <c>Grpc</c> (port 4317 by convention) or <c>HttpProtobuf</c> (4318). Default <c>Grpc</c>.</summary>
    public string OtlpProtocol { get; set; } = "Grpc";

    /// <summary>Whether metrics carry a <c>partition</c> tag besides <c>log</c>. Default false (bounded cardinality).</summary>
    public bool PartitionMetricTags { get; set; }

    /// <summary>Serve the Orleans dashboard (<c>Microsoft.Orleans.Dashboard</c>) on the HTTP port under <see cref="DashboardPath"/>. Default false.</summary>
    public bool Dashboard { get; set; }

    /// <summary>Path of the Orleans dashboard on the HTTP port. Default <c>/dashboard</c>.</summary>
    public string DashboardPath { get; set; } = "/dashboard";

    /// <summary>How long a stop (SIGTERM) may take: partitions are flushed and closed within it. Default 30 s.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Environment variables read directly (Kubernetes downward API).</summary>
    public static IReadOnlyList<string> DirectEnvironmentVariables { get; } = ["POD_NAME", "POD_IP"];

    /// <summary>Every configuration key the host binds (<c>Aof:Name</c>); as environment variables they are spelled <c>Aof__Name</c>.</summary>
    public static IReadOnlyList<string> ConfigurationKeys { get; } =
        [.. typeof(SiloHostSettings).GetProperties().Where(p => p.CanWrite).Select(p => Section + ":" + p.Name)];

    /// <summary>Binds the settings from <paramref name="configuration"/> and the pod variables.</summary>
    /// <exception cref="SiloHostSettingsException">A value cannot be read as its key's type (the message names the key).</exception>
    public static SiloHostSettings Load(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        SiloHostSettings settings;
        try
        {
            settings = configuration.GetSection(Section).Get<SiloHostSettings>() ?? new SiloHostSettings();
        }
        catch (InvalidOperationException e)
        {
            // The binder names the path ("Failed to convert configuration value '...' at 'Aof:GatewayPort' to type ...").
            var key = ConfigurationKeys.FirstOrDefault(k => e.Message.Contains($"'{k}'", StringComparison.OrdinalIgnoreCase)) ?? Section;
            throw new SiloHostSettingsException(key, $"{key} '{Shown(configuration[key])}' cannot be read as {TypeOf(key)}.");
        }

        settings.SiloName ??= configuration["POD_NAME"] ?? "aof-0";
        settings.AdvertisedIp ??= configuration["POD_IP"];
        return settings;
    }

    /// <summary>The OTLP endpoint, or null when <see cref="OtlpEndpoint"/> is empty.</summary>
    /// <exception cref="FormatException">It is not an absolute http(s) URI.</exception>
    public Uri? OtlpUri() =>
        string.IsNullOrWhiteSpace(OtlpEndpoint) ? null
        : Uri.TryCreate(OtlpEndpoint, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) ? uri
        : throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"Aof:OtlpEndpoint '{OtlpEndpoint}' is not an absolute http:// or https:// URI."));

    /// <summary>
    /// Checks every setting that the hosting extensions would otherwise reject late, with an internal option name, or
    /// not at all (a data root that is a file starts Healthy and fails at the first append). Creates
    /// <see cref="DataRoot"/> (and the archive folder) when missing, as the host would at the first append.
    /// </summary>
    /// <exception cref="SiloHostSettingsException">The first invalid setting; the message starts with its <c>Aof:</c> key.</exception>
    public void Validate()
    {
        Require(!string.IsNullOrWhiteSpace(ClusterId), "ClusterId", ClusterId, "must not be empty");
        Require(!string.IsNullOrWhiteSpace(ServiceId), "ServiceId", ServiceId, "must not be empty");
        Require(!string.IsNullOrWhiteSpace(SiloName), "SiloName", SiloName, "must not be empty");
        Require(string.IsNullOrWhiteSpace(AdvertisedIp) || IPAddress.TryParse(AdvertisedIp, out _), "AdvertisedIp", AdvertisedIp, "is not an IP address (for example 10.0.0.7; POD_IP sets it on Kubernetes)");
        Require(string.IsNullOrWhiteSpace(PrimarySiloEndpoint) || (IPEndPoint.TryParse(PrimarySiloEndpoint, out var primary) && primary.Port is > 0 and <= 65535 && PrimarySiloEndpoint.Contains(':', StringComparison.Ordinal)),
            "PrimarySiloEndpoint", PrimarySiloEndpoint, "is not ip:port (for example 127.0.0.1:11111, the primary silo's Aof:SiloPort)");
        Port(SiloPort, "SiloPort");
        Port(GatewayPort, "GatewayPort");
        Port(HttpPort, "HttpPort");
        Require(new[] { SiloPort, GatewayPort, HttpPort }.Distinct().Count() == 3, "GatewayPort", GatewayPort.ToString(CultureInfo.InvariantCulture),
            $"must differ from Aof:SiloPort ({SiloPort}) and Aof:HttpPort ({HttpPort}), and they from each other");
        Require(Enum.IsDefined(Clustering), "Clustering", Clustering.ToString(), "is not one of Localhost, Redis, AdoNet");
        Require(Enum.IsDefined(Reminders), "Reminders", Reminders.ToString(), "is not one of None, InMemory, Redis, AdoNet");
        Require(Enum.IsDefined(Archive), "Archive", Archive.ToString(), "is not one of None, FileSystem, S3");
        Require(Clustering == ClusteringProvider.Localhost || !string.IsNullOrWhiteSpace(ClusteringConnectionString), "ClusteringConnectionString", ClusteringConnectionString, $"is required with Aof:Clustering={Clustering}");
        Require(Reminders is ReminderProvider.None or ReminderProvider.InMemory || !string.IsNullOrWhiteSpace(RemindersConnectionString ?? ClusteringConnectionString),
            "RemindersConnectionString", RemindersConnectionString, $"is required with Aof:Reminders={Reminders} (or set Aof:ClusteringConnectionString)");
        Require(IdleDeactivationAge >= TimeSpan.FromMinutes(1), "IdleDeactivationAge", IdleDeactivationAge.ToString(), "must be at least 00:01:00 (Orleans deactivates idle grains on a one-minute quantum)");
        Require(MaxOpenPartitions >= 0, "MaxOpenPartitions", MaxOpenPartitions.ToString(CultureInfo.InvariantCulture), "must not be negative (0: no bound)");
        Require(ShutdownTimeout > TimeSpan.Zero, "ShutdownTimeout", ShutdownTimeout.ToString(), "must be positive");
        Require(MaxRecordBytes > 0, "MaxRecordBytes", MaxRecordBytes.ToString(CultureInfo.InvariantCulture), "must be positive");
        Require(MaxSegmentBytes > 0, "MaxSegmentBytes", MaxSegmentBytes.ToString(CultureInfo.InvariantCulture), "must be positive");
        Require(KeepLocalSegments >= 0, "KeepLocalSegments", KeepLocalSegments.ToString(CultureInfo.InvariantCulture), "must not be negative");
        Require(Archive != ArchiveProvider.S3 || !string.IsNullOrWhiteSpace(S3Bucket), "S3Bucket", S3Bucket, "is required with Aof:Archive=S3");
        Require(string.IsNullOrWhiteSpace(OtlpEndpoint) || (Uri.TryCreate(OtlpEndpoint, UriKind.Absolute, out var otlp) && (otlp.Scheme == Uri.UriSchemeHttp || otlp.Scheme == Uri.UriSchemeHttps)),
            "OtlpEndpoint", OtlpEndpoint, "is not an absolute http:// or https:// URI");
        Require(OtlpProtocol is not null && (OtlpProtocol.Equals("Grpc", StringComparison.OrdinalIgnoreCase) || OtlpProtocol.Equals("HttpProtobuf", StringComparison.OrdinalIgnoreCase)),
            "OtlpProtocol", OtlpProtocol, "is not one of Grpc, HttpProtobuf");
        Require(!Dashboard || (DashboardPath.StartsWith('/') && DashboardPath.Length > 1), "DashboardPath", DashboardPath, "must start with / and name a path (for example /dashboard)");
        WritableFolder(DataRoot, "DataRoot");
        if (Archive == ArchiveProvider.FileSystem)
        {
            WritableFolder(ArchivePath, "ArchivePath");
        }
    }

    private static void Port(int port, string name) =>
        Require(port is > 0 and <= 65535, name, port.ToString(CultureInfo.InvariantCulture), "is not a port number (1 to 65535)");

    private static void Require(bool valid, string name, string? value, string problem)
    {
        if (!valid)
        {
            throw new SiloHostSettingsException($"{Section}:{name}", $"{Section}:{name} '{Shown(value)}' {problem}.");
        }
    }

    /// <summary>A folder the silo can create files in: not a file, creatable, writable (probed with a file it deletes).</summary>
    private static void WritableFolder(string path, string name)
    {
        Require(!string.IsNullOrWhiteSpace(path), name, path, "must not be empty");
        var full = Path.GetFullPath(path);
        Require(!File.Exists(full), name, path, "is a file, not a folder");
        try
        {
            Directory.CreateDirectory(full);
            var probe = Path.Combine(full, $".write-probe-{Environment.ProcessId}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Require(false, name, path, $"is not a folder this process can write to ({e.GetType().Name}: {FirstLine(e.Message)})");
        }
    }

    /// <summary>A value for a message: at most 128 characters, control characters escaped.</summary>
    private static string Shown(string? value)
    {
        if (value is null)
        {
            return "";
        }

        var builder = new System.Text.StringBuilder();
        foreach (var c in value.Length > 128 ? value[..128] : value)
        {
            builder.Append(char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString());
        }

        return value.Length > 128 ? builder.Append("...").ToString() : builder.ToString();
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].TrimEnd();

    private static string TypeOf(string key)
    {
        var property = typeof(SiloHostSettings).GetProperty(key[(Section.Length + 1)..]);
        var type = property is null ? null : Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        return type == typeof(int) || type == typeof(long) ? "a whole number"
            : type == typeof(bool) ? "true or false"
            : type == typeof(TimeSpan) ? "a duration (hh:mm:ss or d.hh:mm:ss)"
            : type is { IsEnum: true } ? "one of " + string.Join(", ", Enum.GetNames(type))
            : "its type";
    }

    /// <summary>The advertised address: <see cref="AdvertisedIp"/> or the loopback address.</summary>
    public IPAddress AdvertisedAddress() => string.IsNullOrWhiteSpace(AdvertisedIp) ? IPAddress.Loopback : IPAddress.Parse(AdvertisedIp);

    /// <summary>The owner silo names.</summary>
    public string[] SiloList() => string.IsNullOrWhiteSpace(Silos) ? [] : [.. Silos.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    /// <summary>The ownership overrides.</summary>
    /// <exception cref="FormatException">An entry is not <c>key=silo</c>.</exception>
    public Dictionary<string, string> OverrideTable()
    {
        var table = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in (OwnerOverrides ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = entry.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
            {
                throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"Aof:OwnerOverrides entry '{entry}' is not 'log=silo' or 'log/partition=silo'."));
            }

            table[parts[0]] = parts[1];
        }

        return table;
    }
}

/// <summary>A silo-host setting is invalid; the message is one line that starts with its <c>Aof:</c> key.</summary>
public sealed class SiloHostSettingsException(string key, string message) : Exception(message)
{
    /// <summary>The key, <c>Aof:Name</c>.</summary>
    public string Key { get; } = key;
}
