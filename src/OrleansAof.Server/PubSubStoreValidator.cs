using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace OrleansAof.Server;

/// <summary>
/// With <see cref="AppendLogOptions.MemoryPubSubStore"/> off, refuses to start a silo that has no grain storage named
/// <c>PubSubStore</c>: explicit stream subscriptions need a durable one to survive a cluster restart.
/// </summary>
internal sealed class PubSubStoreValidator(IServiceProvider services, IOptions<AppendLogOptions> options) : IConfigurationValidator
{
    /// <inheritdoc />
    public void ValidateConfiguration()
    {
        if (!options.Value.MemoryPubSubStore && services.GetKeyedService<Orleans.Storage.IGrainStorage>(Orleans.Hosting.AppendLogSiloExtensions.PubSubStoreName) is null)
        {
            throw new OrleansConfigurationException(
                $"{nameof(AppendLogOptions)}.{nameof(AppendLogOptions.MemoryPubSubStore)} is false but no grain storage named '{Orleans.Hosting.AppendLogSiloExtensions.PubSubStoreName}' is registered: " +
                "register a durable one (for example siloBuilder.AddRedisGrainStorage(\"PubSubStore\", ...) or AddAdoNetGrainStorage(\"PubSubStore\", ...)), " +
                "or set MemoryPubSubStore to true on a development silo.");
        }
    }
}
