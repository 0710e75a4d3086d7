namespace OrleansAof.Storage.Offline;

/// <summary>A file in the partition's <c>quarantine/</c> folder.</summary>
/// <param name="FileName">File name.</param>
/// <param name="BaseId">Base id parsed from the name, when it is a segment name.</param>
/// <param name="SizeBytes">Size.</param>
/// <param name="InCatalog">Whether the catalog records it as quarantined.</param>
public sealed record QuarantinedFile(string FileName, long? BaseId, long SizeBytes, bool InCatalog);
