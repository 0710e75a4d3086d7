using OrleansAof.Storage.IO;
using OrleansAof.Storage.Offline;

namespace OrleansAof.Storage.Format;

/// <summary>Classifies segment files for recovery and the offline inspector (reads only; changes nothing).</summary>
internal static class SegmentClassifier
{
    /// <summary>Reads what is needed of <paramref name="file"/> and decides (see <see cref="Decide"/>).</summary>
    /// <param name="file">The segment file.</param>
    /// <param name="baseId">The base id its name carries.</param>
    /// <param name="isLast">Whether no segment file follows it.</param>
    /// <param name="nextBaseId">The base id of the file after it, when there is one.</param>
    /// <param name="maxRecordBytes">The largest plausible payload.</param>
    public static SegmentVerdict Classify(IStorageFile file, long baseId, bool isLast, long? nextBaseId, int maxRecordBytes)
    {
        var probe = SegmentScanner.ReadSealed(file, validateIndex: false);
        return IsSealed(probe, baseId) ? Decide(probe, null, baseId, isLast, nextBaseId) : Decide(probe, SegmentScanner.ScanForward(file, maxRecordBytes), baseId, isLast, nextBaseId);
    }

    /// <summary>Whether a footer probe shows a sealed segment with the base id of its file name.</summary>
    public static bool IsSealed(SegmentScanResult probe, long baseId) =>
        probe.IsSealed && probe.Header is { } h && h.BaseId == baseId && probe.Metadata!.Value.BaseId == baseId;

    /// <summary>The decision, from the footer probe and (for an unsealed file) its forward scan.</summary>
    public static SegmentVerdict Decide(SegmentScanResult probe, SegmentScanResult? scan, long baseId, bool isLast, long? nextBaseId)
    {
        if (IsSealed(probe, baseId))
        {
            return new SegmentVerdict(SegmentAction.UseSealed, SegmentCondition.Sealed, probe, null, null, "sealed; it opens from its footer");
        }

        ArgumentNullException.ThrowIfNull(scan);
        if (scan.Header is not { } header || header.BaseId != baseId)
        {
            if (isLast && scan.AllZero)
            {
                return new SegmentVerdict(SegmentAction.Delete, SegmentCondition.Empty, probe, scan, null, "zero-filled file whose header never reached the disk; the next open deletes it");
            }

            var why = scan.HeaderError ?? $"the header names base id {scan.Header?.BaseId}, the file name {baseId}";
            return isLast
                ? new SegmentVerdict(SegmentAction.OpenFaulted, SegmentCondition.HeaderDamaged, probe, scan, null, why + "; the partition opens faulted (appends refused: which ids it held is unknown)")
                : new SegmentVerdict(SegmentAction.Quarantine, SegmentCondition.HeaderDamaged, probe, scan, null, why + "; the next open quarantines the file");
        }

        var plan = RecoveryPlan.For(scan);
        if (scan.HasDamage)
        {
            var damage = $"damage at offset {scan.ValidEnd} ({scan.StopDetail}) inside data a later checkpoint at {scan.CheckpointAfterDamage} declares durable";
            return isLast
                ? new SegmentVerdict(SegmentAction.OpenFaulted, SegmentCondition.Damaged, probe, scan, plan, damage + "; the partition opens faulted (appends refused) until 'aof repair --cut-at-damage'")
                : new SegmentVerdict(SegmentAction.Quarantine, SegmentCondition.Damaged, probe, scan, plan, damage + "; the next open quarantines the segment");
        }

        if (!isLast && baseId + plan.KeepRecords != nextBaseId)
        {
            // The next segment was created only after this one was sealed and durable up to its base id - 1, so records this
            // one should hold are missing: damage, not a torn tail.
            var detail = $"it holds ids {baseId}..{baseId + plan.KeepRecords - 1} but the next segment starts at {nextBaseId} ({probe.FooterError}; scan stopped at offset {scan.ValidEnd}: {scan.StopDetail ?? scan.Stop.ToString()}); the next open quarantines the segment";
            return new SegmentVerdict(SegmentAction.Quarantine, SegmentCondition.Damaged, probe, scan, plan, detail);
        }

        var action = isLast ? SegmentAction.KeepActive : SegmentAction.SealNow;
        if (plan.DiscardedRecords > 0 || scan.NonZeroEnd > plan.KeepEnd)
        {
            var why = scan.Stop == ScanStop.InvalidFrame ? $"the data ends in an invalid frame at offset {scan.ValidEnd} ({scan.StopDetail}) with no valid checkpoint after it" : "bytes follow the acknowledged data";
            return new SegmentVerdict(action, SegmentCondition.TornTail, probe, scan, plan, $"torn tail: {why}; recovery keeps {plan.KeepRecords} record(s) up to offset {plan.KeepEnd} and discards {plan.DiscardedRecords} unacknowledged record(s)");
        }

        if (plan.KeepRecords == 0)
        {
            return new SegmentVerdict(action, SegmentCondition.Empty, probe, scan, plan, isLast ? "active segment without records" : "unsealed segment without records; the next open seals it");
        }

        return isLast
            ? new SegmentVerdict(action, SegmentCondition.Active, probe, scan, plan, "active segment; its data ends cleanly")
            : new SegmentVerdict(action, SegmentCondition.Unsealed, probe, scan, plan, "unsealed segment that is not the last (an interrupted rollover); the next open seals it");
    }
}
