namespace OrleansAof.Storage.Internal;

/// <summary>Which segment to fetch and what it must be.</summary>
/// <param name="BaseId">Its base id (checked).</param>
/// <param name="FileName">Its file name, in the archive and in the cache folder.</param>
/// <param name="LastId">Its last id when known (checked), otherwise <see langword="null"/>.</param>
/// <param name="SizeBytes">Its file size when known (checked), otherwise <see langword="null"/>.</param>
/// <param name="Label">How errors name it.</param>
internal readonly record struct FetchRequest(long BaseId, string FileName, long? LastId, long? SizeBytes, string Label);
