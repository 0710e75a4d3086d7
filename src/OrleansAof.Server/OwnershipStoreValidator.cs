using Microsoft.Extensions.DependencyInjection;

namespace OrleansAof.Server;

/// <summary>
/// Refuses to start a silo of a cluster with durable membership (any membership table but Orleans' development and
/// in-process test ones) whose ownership table (<see cref="AppendLogOptions.OwnershipStorageName"/>) would live in memory.
/// That table holds every partition's upper bound of acknowledged ids and the owners set by drains: in memory it is gone
/// with the cluster, and a partition whose folder was lost would hand its unarchived ids out again.
/// </summary>
internal sealed class OwnershipStoreValidator(IServiceProvider services) : IConfigurationValidator
{
    /// <summary>The membership tables of a cluster that ends with its silos (development clustering, the in-process test cluster).</summary>
    private static readonly string[] TransientMembershipTables = ["SystemTargetBasedMembershipTable", "InProcessMembershipTable"];

    /// <inheritdoc />
    public void ValidateConfiguration()
    {
        var membership = services.GetService<IMembershipTable>();
        var storage = services.GetKeyedService<Orleans.Storage.IGrainStorage>(AppendLogOptions.OwnershipStorageName);
        if (membership is null || storage is not Orleans.Storage.MemoryGrainStorage || TransientMembershipTables.Contains(membership.GetType().Name, StringComparer.Ordinal))
        {
            return;
        }

        throw new OrleansConfigurationException(
            $"The cluster keeps its membership durably ({membership.GetType().Name}) but the grain storage '{AppendLogOptions.OwnershipStorageName}' " +
            "(AppendLogOptions.OwnershipStorageName: each partition's upper bound of acknowledged ids and the owners set by drains) is in memory, " +
            "so it would be lost with the cluster and a partition whose folder was lost could hand out its ids again: register a durable one " +
            $"before or after AddAppendLog, for example siloBuilder.AddRedisGrainStorage(\"{AppendLogOptions.OwnershipStorageName}\", ...) or AddAdoNetGrainStorage(\"{AppendLogOptions.OwnershipStorageName}\", ...).");
    }
}
