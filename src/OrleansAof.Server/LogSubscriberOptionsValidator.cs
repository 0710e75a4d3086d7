using Microsoft.Extensions.Options;

namespace OrleansAof.Server;

/// <summary>Rejects invalid <see cref="LogSubscriberOptions"/> at silo start; the message names the option.</summary>
internal sealed class LogSubscriberOptionsValidator(IOptions<LogSubscriberOptions> options) : IConfigurationValidator
{
    /// <inheritdoc />
    public void ValidateConfiguration() => Validate(options.Value);

    /// <summary>Throws <see cref="OrleansConfigurationException"/> naming the first invalid option.</summary>
    public static void Validate(LogSubscriberOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        const string prefix = nameof(LogSubscriberOptions) + ".";
        if (o.RecheckInterval < TimeSpan.FromMilliseconds(10))
        {
            throw new OrleansConfigurationException($"{prefix}{nameof(o.RecheckInterval)} must be at least 10 ms; it is {o.RecheckInterval}.");
        }

        if (o.MaxRecordsPerRead < 1)
        {
            throw new OrleansConfigurationException($"{prefix}{nameof(o.MaxRecordsPerRead)} must be at least 1; it is {o.MaxRecordsPerRead}.");
        }

        if (o.CheckpointInterval < TimeSpan.Zero)
        {
            throw new OrleansConfigurationException($"{prefix}{nameof(o.CheckpointInterval)} cannot be negative; it is {o.CheckpointInterval}.");
        }

        if (o.MaxBytesPerRead < 1)
        {
            throw new OrleansConfigurationException($"{prefix}{nameof(o.MaxBytesPerRead)} must be at least 1; it is {o.MaxBytesPerRead}.");
        }
    }
}
