namespace OrleansAof.Storage.Format;

/// <summary>How recovery treats the tail of an unsealed segment, decided from a <see cref="SegmentScanResult"/>.</summary>
/// <param name="KeepRecords">How many records of <see cref="SegmentScanResult.Records"/> stay.</param>
/// <param name="KeepEnd">The file offset after which everything is discarded (zeroed).</param>
/// <param name="DiscardedRecords">Valid records discarded because they were never acknowledged.</param>
public readonly record struct RecoveryPlan(int KeepRecords, long KeepEnd, int DiscardedRecords)
{
    /// <summary>
    /// Decides what to keep: every record covered by the last valid checkpoint; after it, the longest run of records that
    /// were acknowledged when written (<see cref="RecordFlags.AcknowledgedOnWrite"/>) and whose batch is complete.
    /// Records written under <c>Sync</c> and not covered by a checkpoint were never acknowledged and are discarded.
    /// </summary>
    public static RecoveryPlan For(SegmentScanResult scan)
    {
        ArgumentNullException.ThrowIfNull(scan);
        var records = scan.Records;
        var covered = 0;
        long end = SegmentHeader.Size;
        if (scan.Checkpoints.Count > 0)
        {
            var last = scan.Checkpoints[^1];
            covered = last.RecordsBefore;
            end = last.Checkpoint.Offset + FlushCheckpoint.Size;
        }

        var keep = covered;
        var keepEnd = end;
        for (var i = covered; i < records.Count; i++)
        {
            var r = records[i];
            if ((r.Flags & RecordFlags.AcknowledgedOnWrite) == 0)
            {
                break;
            }

            if ((r.Flags & RecordFlags.BatchContinues) == 0)
            {
                keep = i + 1;
                keepEnd = r.End;
            }
        }

        return new RecoveryPlan(keep, keepEnd, records.Count - keep);
    }
}
