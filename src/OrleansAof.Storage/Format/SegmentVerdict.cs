using OrleansAof.Storage.Offline;

namespace OrleansAof.Storage.Format;

/// <summary>
/// The one decision of what a segment file is and what recovery does with it: made from the file's footer probe and,
/// for unsealed files, its forward scan. <see cref="PartitionLog"/>'s recovery acts on it; the offline inspector
/// reports it (so <c>aof inspect</c> can never describe a file differently from how the next open treats it).
/// </summary>
/// <param name="Action">What recovery does.</param>
/// <param name="Condition">What it is, as the inspector reports it.</param>
/// <param name="Probe">The footer probe (<see cref="SegmentScanner.ReadSealed"/>).</param>
/// <param name="Scan">The forward scan, for unsealed files.</param>
/// <param name="Plan">What recovery keeps of an unsealed file with a valid header.</param>
/// <param name="Detail">Why, in a sentence, ending with what recovery does.</param>
internal sealed record SegmentVerdict(SegmentAction Action, SegmentCondition Condition, SegmentScanResult Probe, SegmentScanResult? Scan, RecoveryPlan? Plan, string Detail)
{
    /// <summary>The writer epoch in the file's header, when the header is readable.</summary>
    public long? WriterEpoch => (Scan ?? Probe).Header?.WriterEpoch;
}
