namespace OrleansAof.Storage.Format;

/// <summary>One valid checkpoint found by a scan, with the number of records before it.</summary>
/// <param name="Checkpoint">The checkpoint.</param>
/// <param name="RecordsBefore">Valid records scanned before it.</param>
public readonly record struct ScannedCheckpoint(FlushCheckpoint Checkpoint, int RecordsBefore);
