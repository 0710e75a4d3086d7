using Microsoft.Extensions.Options;
using OrleansAof.Storage;

namespace OrleansAof.Server;

/// <summary>Rejects invalid <see cref="AppendLogOptions"/> at silo start; the message names the option.</summary>
internal sealed class AppendLogOptionsValidator(IOptions<AppendLogOptions> options, IOptions<ReminderOptions> reminders) : IConfigurationValidator
{
    private const string Prefix = nameof(AppendLogOptions) + ".";

    /// <inheritdoc />
    public void ValidateConfiguration() => Validate(options.Value, reminders.Value.MinimumReminderPeriod);

    /// <summary>Throws <see cref="OrleansConfigurationException"/> naming the first invalid option; the reminder service's minimum period is Orleans' default (1 minute).</summary>
    public static void Validate(AppendLogOptions o) => Validate(o, new ReminderOptions().MinimumReminderPeriod);

    /// <summary>
    /// Throws <see cref="OrleansConfigurationException"/> naming the first invalid option.
    /// <see cref="AppendLogOptions.ArchiveReminderPeriod"/> is checked against <paramref name="minimumReminderPeriod"/>
    /// (<c>ReminderOptions.MinimumReminderPeriod</c>): a shorter period would make every reminder registration fail.
    /// </summary>
    public static void Validate(AppendLogOptions o, TimeSpan minimumReminderPeriod)
    {
        ArgumentNullException.ThrowIfNull(o);
        if (string.IsNullOrWhiteSpace(o.DataRoot))
        {
            Fail(nameof(o.DataRoot), "is required: the folder that holds the partitions.");
        }

        try
        {
            _ = FlushPolicy.Parse(o.FlushPolicy ?? "");
        }
        catch (FormatException e)
        {
            Fail(nameof(o.FlushPolicy), e.Message);
            return;
        }

        if (o.SiloName is { } name && !PartitionKey.IsValid(name))
        {
            Fail(nameof(o.SiloName), $"'{name}' is not a valid silo name (1 to 128 characters of A-Z, a-z, 0-9, '.', '_', '-').");
        }

        var silos = new HashSet<string>(StringComparer.Ordinal);
        foreach (var silo in o.Silos ?? [])
        {
            if (string.IsNullOrWhiteSpace(silo))
            {
                Fail(nameof(o.Silos), "holds an empty silo name.");
            }

            if (!silos.Add(silo))
            {
                Fail(nameof(o.Silos), $"names silo '{silo}' twice.");
            }
        }

        foreach (var (key, owner) in o.OwnerOverrides ?? new Dictionary<string, string>(StringComparer.Ordinal))
        {
            var valid = key.Contains(PartitionKey.Separator, StringComparison.Ordinal) ? TryParse(key) : PartitionKey.IsValid(key);
            if (!valid)
            {
                Fail(nameof(o.OwnerOverrides), $"has key '{key}', which is neither a log name nor a '{{log}}/{{partition}}' key.");
            }

            if (silos.Count > 0 && !silos.Contains(owner))
            {
                Fail(nameof(o.OwnerOverrides), $"maps '{key}' to silo '{owner}', which is not in AppendLogOptions.Silos.");
            }

            if (silos.Count == 0)
            {
                Fail(nameof(o.OwnerOverrides), $"maps '{key}' to silo '{owner}', but AppendLogOptions.Silos is empty; overrides need the list of owner silos.");
            }
        }

        CheckReplicationFactor(nameof(o.ReplicationFactor), o.ReplicationFactor, silos.Count);
        foreach (var (log, factor) in o.LogReplicationFactors ?? new Dictionary<string, int>(StringComparer.Ordinal))
        {
            if (!PartitionKey.IsValid(log))
            {
                Fail(nameof(o.LogReplicationFactors), $"has key '{log}', which is not a log name.");
            }

            CheckReplicationFactor(nameof(o.LogReplicationFactors), factor, silos.Count, log);
        }

        if (o.ReplicationQuorumTimeout < TimeSpan.FromMilliseconds(100) || o.ReplicationQuorumTimeout > TimeSpan.FromMinutes(1))
        {
            Fail(nameof(o.ReplicationQuorumTimeout), $"must be between 100 ms and 1 minute; it is {o.ReplicationQuorumTimeout}.");
        }

        if (o.IdleDeactivationAge < TimeSpan.FromMinutes(1))
        {
            Fail(nameof(o.IdleDeactivationAge), $"must be at least 1 minute (the Orleans minimum collection age); it is {o.IdleDeactivationAge}.");
        }

        if (o.MaxOpenPartitions < 0)
        {
            Fail(nameof(o.MaxOpenPartitions), $"cannot be negative (zero means no bound); it is {o.MaxOpenPartitions}.");
        }

        if (o.StreamGrainCollectionAge <= TimeSpan.Zero)
        {
            Fail(nameof(o.StreamGrainCollectionAge), $"must be positive; it is {o.StreamGrainCollectionAge}.");
        }

        if (o.MemoryStreamPollPeriod < TimeSpan.FromMilliseconds(1))
        {
            Fail(nameof(o.MemoryStreamPollPeriod), $"must be at least 1 ms; it is {o.MemoryStreamPollPeriod}.");
        }

        if (o.StreamNotificationInterval < TimeSpan.Zero || o.StreamNotificationInterval > TimeSpan.FromMinutes(1))
        {
            Fail(nameof(o.StreamNotificationInterval), $"must be between 0 and 1 minute; it is {o.StreamNotificationInterval}.");
        }

        if (o.MemoryStreamQueues < 1)
        {
            Fail(nameof(o.MemoryStreamQueues), $"must be at least 1; it is {o.MemoryStreamQueues}.");
        }

        if (o.InlineTailBytes < 0)
        {
            Fail(nameof(o.InlineTailBytes), $"cannot be negative; it is {o.InlineTailBytes}.");
        }

        if (o.MaxTailListeners < 0)
        {
            Fail(nameof(o.MaxTailListeners), $"cannot be negative; it is {o.MaxTailListeners}.");
        }

        if (o.MaxTailWait <= TimeSpan.Zero || o.MaxTailWait > TimeSpan.FromMinutes(5))
        {
            Fail(nameof(o.MaxTailWait), $"must be between 0 (exclusive) and 5 minutes; it is {o.MaxTailWait}.");
        }

        if (o.ArchiveReminderPeriod < TimeSpan.FromSeconds(1))
        {
            Fail(nameof(o.ArchiveReminderPeriod), $"must be at least 1 second; it is {o.ArchiveReminderPeriod}.");
        }

        if (o.ArchiveReminderPeriod < minimumReminderPeriod)
        {
            Fail(nameof(o.ArchiveReminderPeriod), $"must be at least the reminder service's minimum period (ReminderOptions.MinimumReminderPeriod, {minimumReminderPeriod}); it is {o.ArchiveReminderPeriod}.");
        }

        if (o.ArchiveRunRetryDelay < TimeSpan.FromMilliseconds(10))
        {
            Fail(nameof(o.ArchiveRunRetryDelay), $"must be at least 10 ms; it is {o.ArchiveRunRetryDelay}.");
        }

        if (o.ArchiveRunRetryMaxDelay < o.ArchiveRunRetryDelay || o.ArchiveRunRetryMaxDelay > TimeSpan.FromHours(1))
        {
            Fail(nameof(o.ArchiveRunRetryMaxDelay), $"must be between ArchiveRunRetryDelay ({o.ArchiveRunRetryDelay}) and 1 hour; it is {o.ArchiveRunRetryMaxDelay}.");
        }

        if (o.MaxArchiveSegmentsPerRun < 1)
        {
            Fail(nameof(o.MaxArchiveSegmentsPerRun), $"must be at least 1; it is {o.MaxArchiveSegmentsPerRun}.");
        }

        // The engine checks its own options; report them under this class's names.
        var engine = o.ToEngineOptions(o.DataRoot);
        try
        {
            engine.Validate();
        }
        catch (Storage.InvalidLogOptionsException e)
        {
            Fail(e.Property, e.Problem);
        }
    }

    private static void CheckReplicationFactor(string property, int factor, int configuredSilos, string? log = null)
    {
        var what = log is null ? "" : $"for log '{log}' ";
        if (factor is not (1 or 3 or 5))
        {
            Fail(property, $"{what}must be 1, 3 or 5 (a replica set needs an odd size for a majority); it is {factor}.");
        }

        if (configuredSilos > 0 && factor > configuredSilos)
        {
            Fail(property, $"{what}is {factor}, more than the {configuredSilos} silos in AppendLogOptions.Silos.");
        }
    }

    private static bool TryParse(string key)
    {
        try
        {
            PartitionKey.Parse(key);
            return true;
        }
        catch (InvalidPartitionNameException)
        {
            return false;
        }
    }

    private static void Fail(string property, string message) => throw new OrleansConfigurationException(Prefix + property + " " + message);
}
