using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansAof.Storage;
using OrleansAof.Storage.Archive;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the archive a host's partitions use (<see cref="ConfiguredSegmentArchive"/>).</summary>
public static class SegmentArchiveServiceCollectionExtensions
{
    /// <summary>
    /// Registers the archive <paramref name="factory"/> builds, wrapped so that its uploads, downloads and failures are measured and traced (docs/observability.md), transient faults (as
    /// <paramref name="isTransient"/> decides) are retried with backoff and permanent ones reported. The retry options are
    /// validated when the host starts, with the option's name in the message. One archive per host: a second call replaces the first.
    /// </summary>
    public static IServiceCollection AddSegmentArchive(this IServiceCollection services, Func<IServiceProvider, ISegmentArchive> factory, Func<Exception, bool> isTransient, Action<ArchiveRetryOptions>? retry = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(isTransient);
        services.AddOptions<ArchiveRetryOptions>().Configure(o => retry?.Invoke(o)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ArchiveRetryOptions>, RetryOptionsValidator>());
        services.RemoveAll<ConfiguredSegmentArchive>();
        services.AddSingleton(sp => new ConfiguredSegmentArchive(new InstrumentedSegmentArchive(new ResilientSegmentArchive(
            factory(sp),
            isTransient,
            sp.GetRequiredService<IOptions<ArchiveRetryOptions>>().Value,
            sp.GetService<TimeProvider>() ?? TimeProvider.System,
            sp.GetService<ILogger<ResilientSegmentArchive>>()))));
        return services;
    }

    /// <summary>Adds a validator of <typeparamref name="TOptions"/> that runs <paramref name="validate"/> at start and reports its <see cref="InvalidLogOptionsException"/>.</summary>
    public static OptionsBuilder<TOptions> ValidateWith<TOptions>(this OptionsBuilder<TOptions> builder, Action<TOptions> validate)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(validate);
        builder.Services.AddSingleton<IValidateOptions<TOptions>>(new DelegateValidator<TOptions>(builder.Name, validate));
        return builder.ValidateOnStart();
    }

    private sealed class RetryOptionsValidator : IValidateOptions<ArchiveRetryOptions>
    {
        public ValidateOptionsResult Validate(string? name, ArchiveRetryOptions options) => Check(options.Validate);
    }

    private sealed class DelegateValidator<TOptions>(string? name, Action<TOptions> validate) : IValidateOptions<TOptions>
        where TOptions : class
    {
        public ValidateOptionsResult Validate(string? optionsName, TOptions options) =>
            optionsName is not null && optionsName != name ? ValidateOptionsResult.Skip : Check(() => validate(options));
    }

    private static ValidateOptionsResult Check(Action validate)
    {
        try
        {
            validate();
            return ValidateOptionsResult.Success;
        }
        catch (InvalidLogOptionsException e)
        {
            return ValidateOptionsResult.Fail(e.Message);
        }
    }
}
