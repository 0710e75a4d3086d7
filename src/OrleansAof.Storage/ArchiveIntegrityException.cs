namespace OrleansAof.Storage;

/// <summary>An archived object does not match the size or checksum recorded when it was stored. It is never returned as data.</summary>
public sealed class ArchiveIntegrityException(string objectKey, string detail)
    : AppendLogException($"Archived object '{objectKey}' failed its integrity check: {detail}")
{
    /// <summary>The object's key.</summary>
    public string ObjectKey { get; } = objectKey;
}
