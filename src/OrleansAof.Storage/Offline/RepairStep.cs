namespace OrleansAof.Storage.Offline;

/// <summary>One change a repair makes (or would make) to one segment file.</summary>
/// <param name="FileName">The segment file.</param>
/// <param name="BaseId">Its base id.</param>
/// <param name="Action">What is done, for people.</param>
/// <param name="CutOffset">Offset from which the file is zeroed (cuts).</param>
/// <param name="ZeroedBytes">Bytes overwritten with zeros (cuts).</param>
/// <param name="RecordsDropped">Records that are no longer served afterwards (at least, for a cut at damage).</param>
/// <param name="FirstDroppedId">First id dropped.</param>
/// <param name="LastDroppedId">Last id known to be dropped.</param>
/// <param name="MovedTo">Where the file goes (quarantine).</param>
public sealed record RepairStep(string FileName, long BaseId, string Action, long? CutOffset, long ZeroedBytes, long RecordsDropped, long? FirstDroppedId, long? LastDroppedId, string? MovedTo);
