namespace OrleansAof.Storage.Offline;

/// <summary>Progress of an inspection: bytes of segment files read so far and in total.</summary>
/// <param name="BytesDone">Bytes done.</param>
/// <param name="BytesTotal">Bytes to read in total.</param>
/// <param name="CurrentFile">The file being read, when any.</param>
public readonly record struct InspectionProgress(long BytesDone, long BytesTotal, string? CurrentFile);
