namespace OrleansAof.Storage.Archive;

/// <summary>
/// The archive holds no object under the key. Nothing was read or written. The segment was never archived, or it was
/// deleted: consult the segment catalog, and do not retry the same call expecting a different outcome.
/// </summary>
public sealed class ArchiveObjectNotFoundException(string objectKey)
    : AppendLogException($"The archive holds no object '{objectKey}'.")
{
    /// <summary>The key that was asked for.</summary>
    public string ObjectKey { get; } = objectKey;
}
