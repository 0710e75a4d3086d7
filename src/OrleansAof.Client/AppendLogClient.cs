using Microsoft.Extensions.Options;

namespace OrleansAof.Client;

/// <summary>The default <see cref="IAppendLogClient"/>, over any <see cref="IGrainFactory"/> (a cluster client or a silo).</summary>
public sealed class AppendLogClient(IGrainFactory grainFactory, IOptions<AppendLogClientOptions> options, TimeProvider? timeProvider = null) : IAppendLogClient
{
    private readonly AppendLogClientOptions _options = options.Value;
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    /// <inheritdoc />
    public AppendLogHandle GetLog(string name)
    {
        PartitionKey.Validate(name);
        var count = _options.PartitionCounts.TryGetValue(name, out var configured) ? configured : _options.DefaultPartitionCount;
        return new AppendLogHandle(grainFactory, name, count, _options, _time);
    }
}
