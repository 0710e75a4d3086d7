namespace OrleansAof.Storage;

/// <summary>How the next segment file is prepared before it is needed.</summary>
public enum PreallocationMode
{
    /// <summary>Segments grow as records are written.</summary>
    None,

    /// <summary>The file system reserves the space (fallocate); cheap, but writes into reserved space still update metadata.</summary>
    Reserve,

    /// <summary>The next segment is written with zeros and fsynced in the background, so durable appends only flush data.</summary>
    ZeroFill,

    /// <summary>
    /// <see cref="ZeroFill"/> while the flush policy is <c>Sync</c> (where a data-only fsync into written blocks is about
    /// 1.5x faster), <see cref="Reserve"/> otherwise (where writing the zeros would halve the disk bandwidth left for data).
    /// </summary>
    Auto,
}
