namespace OrleansAof;

/// <summary>An archived object does not match the size or checksum recorded when it was stored. It is never returned as data.</summary>
[GenerateSerializer]
[Alias("aof.ArchiveIntegrityException")]
public sealed class ArchiveIntegrityException : AppendLogException
{
    /// <summary>Creates the exception.</summary>
    public ArchiveIntegrityException(string objectKey, string message)
        : base(message)
    {
        ObjectKey = objectKey;
    }

    /// <summary>The object's key.</summary>
    [Id(0)]
    public string ObjectKey { get; private set; }
}
