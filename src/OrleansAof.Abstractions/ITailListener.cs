using Orleans.Concurrency;

namespace OrleansAof;

/// <summary>A grain that receives tail notifications pushed directly by partition grains.</summary>
[Alias("aof.ITailListener")]
public interface ITailListener : IAddressable
{
    /// <summary>The partition's durable id advanced. Delivery is best effort: notifications may be lost, duplicated or reordered.</summary>
    [OneWay]
    [Alias("OnTailAdvanced")]
    Task OnTailAdvancedAsync(TailAdvanced notification);
}
