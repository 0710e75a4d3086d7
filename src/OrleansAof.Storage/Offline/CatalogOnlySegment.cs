namespace OrleansAof.Storage.Offline;

/// <summary>A catalog row whose ids no local segment file holds, although the catalog does not say they live only in the archive.</summary>
/// <param name="BaseId">Its first id.</param>
/// <param name="LastId">Its last id.</param>
/// <param name="Status">Its catalog status (<c>Sealed</c>, <c>Archiving</c>, <c>Archived</c> or <c>Missing</c>).</param>
/// <param name="FileName">The file the row names.</param>
/// <param name="Consequence">What the next open does about it, and whether records are lost.</param>
public sealed record CatalogOnlySegment(long BaseId, long LastId, string Status, string FileName, string Consequence);
