using Microsoft.Extensions.Options;

namespace OrleansAof.Server.Ownership;

/// <summary>
/// The server side of fencing: a partition opens only on the owner named by the newest ownership table. Placement may
/// have used a copy a moment old (right after a drain moved the partition), and a partition must never open where it no
/// longer belongs. See <see cref="PartitionOwnership"/> for the whole picture.
/// </summary>
internal sealed class PartitionFence
{
    private readonly PartitionOwnership _ownership;
    private readonly OwnershipRefresher _refresher;
    private readonly string _siloName;

    /// <summary>The fence of this silo (named by <see cref="AppendLogOptions.SiloName"/>, else by Orleans).</summary>
    public PartitionFence(PartitionOwnership ownership, OwnershipRefresher refresher, IOptions<AppendLogOptions> options, ILocalSiloDetails silo)
        : this(ownership, refresher, options.Value.SiloName ?? silo.Name)
    {
    }

    /// <summary>The fence of the silo named <paramref name="siloName"/>.</summary>
    internal PartitionFence(PartitionOwnership ownership, OwnershipRefresher refresher, string siloName)
    {
        _ownership = ownership;
        _refresher = refresher;
        _siloName = siloName;
    }

    /// <summary>
    /// Returns when this silo owns <paramref name="log"/>/<paramref name="partition"/> by the newest table (or when no
    /// owners are configured: then every silo may serve it).
    /// </summary>
    /// <exception cref="PartitionUnavailableException">Another silo owns the partition, or the table cannot be read; retry.</exception>
    public async Task EnsureOwnerAsync(string log, string partition)
    {
        if (!_ownership.HasConfiguredSilos)
        {
            return;
        }

        var key = PartitionKey.Format(log, partition);
        try
        {
            await _refresher.EnsureFreshAsync(TimeSpan.Zero);
        }
        catch (Exception e) when (e is not PartitionUnavailableException)
        {
            throw new PartitionUnavailableException(key, "the ownership table cannot be read to confirm this silo owns the partition; retry", e);
        }

        if (_ownership.OwnerOf(log, partition) is { } owner && !string.Equals(owner, _siloName, StringComparison.Ordinal))
        {
            throw new PartitionUnavailableException(key, $"the partition belongs to silo '{owner}', not '{_siloName}'; retry");
        }
    }
}
