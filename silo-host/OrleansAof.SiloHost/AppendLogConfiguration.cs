using System.Globalization;
using OrleansAof.Server;

namespace OrleansAof.SiloHost;

/// <summary>
/// Binds <see cref="AppendLogOptions"/> from section <c>Aof</c> of the configuration: every settable property is the
/// key <c>Aof:Name</c> (environment variable <c>Aof__Name</c>, command line <c>--Aof:Name=value</c>), so an option added
/// to <see cref="AppendLogOptions"/> is settable on the host without a change here. The host's own settings give three
/// starting values: <see cref="AppendLogOptions.DataRoot"/> (<c>./.aof-data</c>), <see cref="AppendLogOptions.SiloName"/>
/// (<c>POD_NAME</c>, else <c>aof-0</c>) and <see cref="AppendLogOptions.MemoryPubSubStore"/> (false with Redis or ADO.NET
/// clustering); keys set in the configuration win. <see cref="AppendLogOptions.Silos"/> and
/// <see cref="AppendLogOptions.OwnerOverrides"/> also take the text forms that manifests and the README use
/// (<c>aof-0,aof-1</c> and <c>orders=aof-1;payments/3=aof-2</c>), and <see cref="AppendLogOptions.LogReplicationFactors"/>
/// the form <c>orders=3;audit=5</c>, besides the list and dictionary forms
/// (<c>Aof:Silos:0</c>, <c>Aof:OwnerOverrides:orders</c>); when a key has a text value, the text form is used.
/// </summary>
public static class AppendLogConfiguration
{
    /// <summary>Every key bound into <see cref="AppendLogOptions"/>: <c>Aof:Name</c> of each settable property.</summary>
    public static IReadOnlyList<string> Keys { get; } =
        [.. typeof(AppendLogOptions).GetProperties().Where(p => p.CanWrite && p.SetMethod!.IsPublic).Select(p => SiloHostSettings.Section + ":" + p.Name)];

    /// <summary>The append log's options as the host configures them (a new instance).</summary>
    /// <exception cref="SiloHostSettingsException">A value cannot be read as its option's type, or a text form is malformed (the message names the key).</exception>
    public static AppendLogOptions Bind(IConfiguration configuration, SiloHostSettings settings)
    {
        var options = new AppendLogOptions();
        Bind(configuration, settings, options);
        return options;
    }

    /// <summary>Applies the host's starting values and then section <c>Aof</c> to <paramref name="options"/>.</summary>
    /// <exception cref="SiloHostSettingsException">
    /// A value cannot be read as its option's type, a text form is malformed, or <c>IdleDeactivationAge</c> is below the
    /// minute Orleans requires (the message names the key). The other options are checked by their validator at start.
    /// </exception>
    public static void Bind(IConfiguration configuration, SiloHostSettings settings, AppendLogOptions options)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(options);
        options.DataRoot = settings.DataRoot;
        options.SiloName = settings.SiloName;

        // Explicit stream subscriptions live with the other grain state: durable unless the silo is a development one.
        options.MemoryPubSubStore = settings.Clustering is not (ClusteringProvider.Redis or ClusteringProvider.AdoNet);

        var section = configuration.GetSection(SiloHostSettings.Section);

        // A text value on a list or dictionary key is not bound by the binder (it binds child keys only); it is read below.
        SiloHostSettings.Bind(configuration, () =>
        {
            section.Bind(options);
            return options;
        });
        if (section[nameof(AppendLogOptions.Silos)] is { Length: > 0 } silos)
        {
            options.Silos = [.. silos.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
        }

        if (section[nameof(AppendLogOptions.OwnerOverrides)] is { Length: > 0 } overrides)
        {
            options.OwnerOverrides = OverrideTable(overrides);
        }

        if (section[nameof(AppendLogOptions.LogReplicationFactors)] is { Length: > 0 } factors)
        {
            options.LogReplicationFactors = ReplicationFactorTable(factors);
        }

        // Orleans checks the collection age it is given before AppendLogOptions' validator runs, and names its own option.
        if (options.IdleDeactivationAge < TimeSpan.FromMinutes(1))
        {
            const string key = SiloHostSettings.Section + ":" + nameof(AppendLogOptions.IdleDeactivationAge);
            throw new SiloHostSettingsException(key, string.Create(CultureInfo.InvariantCulture, $"{key} '{options.IdleDeactivationAge}' must be at least 00:01:00 (Orleans deactivates idle grains on a one-minute quantum)."));
        }
    }

    /// <summary>
    /// The message of a failed option check with the option's host key in front: <c>AppendLogOptions.Name ...</c> becomes
    /// <c>Aof:Name (AppendLogOptions.Name) ...</c>; other messages are returned as they are.
    /// </summary>
    public static string WithHostKey(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        const string prefix = nameof(AppendLogOptions) + ".";
        var at = message.IndexOf(prefix, StringComparison.Ordinal);
        if (at < 0)
        {
            return message;
        }

        var end = at + prefix.Length;
        while (end < message.Length && char.IsAsciiLetterOrDigit(message[end]))
        {
            end++;
        }

        var name = message[(at + prefix.Length)..end];
        var key = SiloHostSettings.Section + ":" + name;
        return Keys.Contains(key, StringComparer.Ordinal)
            ? $"{message[..at]}{key} ({message[at..end]}){message[end..]}"
            : message;
    }

    /// <summary>The per-log replication factors in their text form: <c>log=factor</c> pairs separated by <c>;</c>.</summary>
    private static Dictionary<string, int> ReplicationFactorTable(string text)
    {
        var table = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = entry.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || parts[0].Length == 0 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var factor))
            {
                const string key = SiloHostSettings.Section + ":" + nameof(AppendLogOptions.LogReplicationFactors);
                throw new SiloHostSettingsException(key, string.Create(CultureInfo.InvariantCulture, $"{key} entry '{SiloHostSettings.Shown(entry)}' is not 'log=factor'."));
            }

            table[parts[0]] = factor;
        }

        return table;
    }

    /// <summary>The ownership overrides in their text form: <c>key=silo</c> pairs separated by <c>;</c>.</summary>
    private static Dictionary<string, string> OverrideTable(string text)
    {
        var table = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = entry.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
            {
                const string key = SiloHostSettings.Section + ":" + nameof(AppendLogOptions.OwnerOverrides);
                throw new SiloHostSettingsException(key, string.Create(CultureInfo.InvariantCulture, $"{key} entry '{SiloHostSettings.Shown(entry)}' is not 'log=silo' or 'log/partition=silo'."));
            }

            table[parts[0]] = parts[1];
        }

        return table;
    }
}
