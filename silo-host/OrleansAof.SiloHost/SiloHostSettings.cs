using System.Globalization;
using System.Net;

namespace OrleansAof.SiloHost;

/// <summary>
/// The silo host's own settings (cluster, ports, providers, archive, telemetry): section <c>Aof</c> of the configuration
/// (appsettings.json, environment variables <c>Aof__Name</c>, command line <c>--Aof:Name=value</c>), plus <c>POD_NAME</c>
/// and <c>POD_IP</c>. The append log's own options are bound from the same section straight into
/// <c>AppendLogOptions</c> (<see cref="AppendLogConfiguration"/>); <see cref="DataRoot"/> and <see cref="SiloName"/> are
/// read by both. silo-host/README.md documents each key.
/// </summary>
public sealed partial class SiloHostSettings
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Aof";

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

    /// <summary>Extra grain assemblies to load (paths separated by <c>;</c>), for application grains such as the sample projection.</summary>
    public string? GrainAssemblies { get; set; }

    /// <summary>
    /// OTLP endpoint (for example <c>http://otel-collector:4317</c>) to which traces and metrics are exported; empty: no
    /// OTLP export (Prometheus <c>/metrics</c> is always served).
    /// </summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>OTLP transport: <c>Grpc</c> (port 4317 by convention) or <c>HttpProtobuf</c> (4318). Default <c>Grpc</c>.</summary>
    public string OtlpProtocol { get; set; } = "Grpc";

    /// <summary>Serve the Orleans dashboard (<c>Microsoft.Orleans.Dashboard</c>) on the HTTP port under <see cref="DashboardPath"/>. Default false.</summary>
    public bool Dashboard { get; set; }

    /// <summary>Path of the Orleans dashboard on the HTTP port. Default <c>/dashboard</c>.</summary>
    public string DashboardPath { get; set; } = "/dashboard";

    /// <summary>How long a stop (SIGTERM) may take: partitions are flushed and closed within it. Default 30 s.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Environment variables read directly (Kubernetes downward API).</summary>
    public static IReadOnlyList<string> DirectEnvironmentVariables { get; } = ["POD_NAME", "POD_IP"];

    /// <summary>
    /// Every configuration key the host binds (<c>Aof:Name</c>): its own settings and every <c>AppendLogOptions</c>
    /// property (<see cref="AppendLogConfiguration.Keys"/>). As environment variables they are spelled <c>Aof__Name</c>.
    /// </summary>
    public static IReadOnlyList<string> ConfigurationKeys { get; } =
        [.. typeof(SiloHostSettings).GetProperties().Where(p => p.CanWrite).Select(p => Section + ":" + p.Name).Union(AppendLogConfiguration.Keys, StringComparer.Ordinal)];

    /// <summary>
    /// Binds the settings from <paramref name="configuration"/> and the pod variables, and checks that the append log's
    /// options bind too (<see cref="AppendLogConfiguration.Bind(IConfiguration, SiloHostSettings)"/>), so that a value of
    /// either that cannot be read stops the host before it starts.
    /// </summary>
    /// <exception cref="SiloHostSettingsException">A value cannot be read as its key's type (the message names the key).</exception>
    public static SiloHostSettings Load(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var settings = Bind(configuration, () => configuration.GetSection(Section).Get<SiloHostSettings>() ?? new SiloHostSettings());
        settings.SiloName ??= configuration["POD_NAME"] ?? "aof-0";
        settings.AdvertisedIp ??= configuration["POD_IP"];
        _ = AppendLogConfiguration.Bind(configuration, settings);
        return settings;
    }

    /// <summary>Runs a configuration binder; a value it cannot convert becomes a <see cref="SiloHostSettingsException"/> naming its key.</summary>
    internal static T Bind<T>(IConfiguration configuration, Func<T> bind)
    {
        try
        {
            return bind();
        }
        catch (InvalidOperationException e) when (BinderPath().Match(e.Message) is { Success: true } match)
        {
            // The binder names the path: "Failed to convert configuration value '...' at 'Aof:GatewayPort' to type ...".
            var key = match.Groups["key"].Value;
            throw new SiloHostSettingsException(key, $"{key} '{Shown(configuration[key])}' cannot be read as {TypeOf(key)}.");
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex("at '(?<key>[^']+)'", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex BinderPath();

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
        Require(ShutdownTimeout > TimeSpan.Zero, "ShutdownTimeout", ShutdownTimeout.ToString(), "must be positive");
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
    internal static string Shown(string? value)
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
        var name = key.Split(':').ElementAtOrDefault(1) ?? "";
        var property = typeof(SiloHostSettings).GetProperty(name) ?? typeof(Server.AppendLogOptions).GetProperty(name);
        var type = property is null ? null : Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        return type == typeof(int) || type == typeof(long) ? "a whole number"
            : type == typeof(bool) ? "true or false"
            : type == typeof(TimeSpan) ? "a duration (hh:mm:ss or d.hh:mm:ss)"
            : type is { IsEnum: true } ? "one of " + string.Join(", ", Enum.GetNames(type))
            : "its type";
    }

    /// <summary>The advertised address: <see cref="AdvertisedIp"/> or the loopback address.</summary>
    public IPAddress AdvertisedAddress() => string.IsNullOrWhiteSpace(AdvertisedIp) ? IPAddress.Loopback : IPAddress.Parse(AdvertisedIp);
}
