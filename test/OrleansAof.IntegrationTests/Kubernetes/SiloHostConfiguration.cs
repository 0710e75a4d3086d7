using System.Reflection;
using System.Runtime.Loader;
using Microsoft.Extensions.Configuration;

namespace OrleansAof.IntegrationTests.Kubernetes;

/// <summary>
/// What the built silo host binds, read from its own assembly (<c>OrleansAof.SiloHost.SiloHostSettings</c> and
/// <c>AppendLogConfiguration</c>): the configuration keys, the variables it reads directly, and the settings and
/// <c>AppendLogOptions</c> it binds from a set of environment variables.
/// </summary>
public sealed class SiloHostConfiguration
{
    /// <summary>
    /// Archive keys the silo host is getting with the archival work. Until the host binds any of them they are accepted
    /// in manifests as announced; from the moment it binds one, every manifest key must be one the host binds, so a key
    /// spelt differently from the host's fails.
    /// </summary>
    public static readonly IReadOnlyList<string> AnnouncedArchiveKeys =
    [
        "Aof:Archive", "Aof:ArchivePath", "Aof:S3ServiceUrl", "Aof:S3Region", "Aof:S3Bucket", "Aof:S3Prefix", "Aof:S3ForcePathStyle",
        "Aof:S3AccessKey", "Aof:S3SecretKey", "Aof:S3CompatibilityMode", "Aof:S3Compression", "Aof:ArchiveReminderPeriod", "Aof:KeepLocalSegments",
    ];

    private static readonly Lazy<SiloHostConfiguration> LoadedInstance = new(() => new SiloHostConfiguration(SiloHostProcess.HostAssembly()));
    private readonly Type _settingsType;
    private readonly MethodInfo _bindOptions;

    private SiloHostConfiguration(string hostAssemblyPath)
    {
        var directory = Path.GetDirectoryName(hostAssemblyPath)!;
        AssemblyLoadContext.Default.Resolving += (context, name) =>
        {
            var candidate = Path.Combine(directory, name.Name + ".dll");
            return File.Exists(candidate) ? context.LoadFromAssemblyPath(candidate) : null;
        };
        var assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(hostAssemblyPath);
        _settingsType = assembly.GetType("OrleansAof.SiloHost.SiloHostSettings", throwOnError: true)!;
        _bindOptions = assembly.GetType("OrleansAof.SiloHost.AppendLogConfiguration", throwOnError: true)!
            .GetMethod("Bind", BindingFlags.Public | BindingFlags.Static, [typeof(IConfiguration), _settingsType])!;
        ConfigurationKeys = new HashSet<string>((IReadOnlyList<string>)Static("ConfigurationKeys"), StringComparer.Ordinal);
        DirectEnvironmentVariables = new HashSet<string>((IReadOnlyList<string>)Static("DirectEnvironmentVariables"), StringComparer.Ordinal);
        ArchiveKeysLanded = AnnouncedArchiveKeys.Any(ConfigurationKeys.Contains);
    }

    /// <summary>The host's <c>SiloHostSettings</c> type.</summary>
    public Type SettingsType => _settingsType;

    /// <summary>The <c>AppendLogOptions</c> type the host binds.</summary>
    public Type AppendLogOptionsType => _bindOptions.ReturnType;

    /// <summary>The configuration of the silo host built next to the tests.</summary>
    public static SiloHostConfiguration Instance => LoadedInstance.Value;

    /// <summary><c>SiloHostSettings.ConfigurationKeys</c>: every <c>Aof:Name</c> the host binds.</summary>
    public IReadOnlySet<string> ConfigurationKeys { get; }

    /// <summary><c>SiloHostSettings.DirectEnvironmentVariables</c> (<c>POD_NAME</c>, <c>POD_IP</c>).</summary>
    public IReadOnlySet<string> DirectEnvironmentVariables { get; }

    /// <summary>Whether the host binds any of <see cref="AnnouncedArchiveKeys"/> (then they get no special treatment).</summary>
    public bool ArchiveKeysLanded { get; }

    /// <summary>
    /// Why the environment variable <paramref name="name"/> is not one the silo host reads, or null when it is:
    /// <c>Aof__Name</c> for a key <c>Aof:Name</c> it binds, a variable it reads directly, or the standard
    /// <c>Logging__...</c> section of .NET logging (silo-host/README.md).
    /// </summary>
    public string? Reject(string name)
    {
        if (DirectEnvironmentVariables.Contains(name))
        {
            return null;
        }

        if (name.StartsWith("Logging__", StringComparison.Ordinal))
        {
            return null;
        }

        var key = name.Replace("__", ":", StringComparison.Ordinal);
        if (!key.StartsWith("Aof:", StringComparison.Ordinal))
        {
            return $"{name} is not a silo-host setting (not Aof__*, POD_NAME, POD_IP or Logging__*)";
        }

        if (ConfigurationKeys.Contains(key))
        {
            return null;
        }

        if (!ArchiveKeysLanded && AnnouncedArchiveKeys.Contains(key))
        {
            return null;
        }

        return $"{name} sets {key}, which the silo host does not bind (SiloHostSettings.ConfigurationKeys)";
    }

    /// <summary>
    /// Binds the settings and the append log's options from environment variables exactly as the host would
    /// (<c>Aof__Name</c> is <c>Aof:Name</c>); throws the host's exception when a value does not convert to its type.
    /// </summary>
    public BoundSettings Bind(IReadOnlyDictionary<string, string> environment)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(environment.Select(kv => KeyValuePair.Create(kv.Key.Replace("__", ":", StringComparison.Ordinal), (string?)kv.Value)))
            .Build();
        var load = _settingsType.GetMethod("Load", BindingFlags.Public | BindingFlags.Static)!;
        try
        {
            var settings = load.Invoke(null, [configuration])!;
            return new BoundSettings(settings, _bindOptions.Invoke(null, [configuration, settings])!);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }

    private object Static(string property) => _settingsType.GetProperty(property, BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
}

/// <summary>A bound <c>SiloHostSettings</c> and the <c>AppendLogOptions</c> bound with it, read through reflection.</summary>
public sealed class BoundSettings(object settings, object options)
{
    public object Settings => settings;

    public object Options => options;

    public T Get<T>(string property) => (T)settings.GetType().GetProperty(property)!.GetValue(settings)!;

    public T Option<T>(string property) => (T)options.GetType().GetProperty(property)!.GetValue(options)!;

    public int HttpPort => Get<int>("HttpPort");

    public int SiloPort => Get<int>("SiloPort");

    public int GatewayPort => Get<int>("GatewayPort");

    public string DataRoot => Get<string>("DataRoot");

    public TimeSpan ShutdownTimeout => Get<TimeSpan>("ShutdownTimeout");

    /// <summary><c>AppendLogOptions.Silos</c>.</summary>
    public string[] SiloList => [.. Option<IEnumerable<string>>("Silos")];
}
