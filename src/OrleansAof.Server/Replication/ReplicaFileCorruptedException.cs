namespace OrleansAof.Server.Replication;

/// <summary>A replica's <c>replica-epochs</c> or <c>replica-state</c> file fails its checksum or has an unknown layout.</summary>
internal sealed class ReplicaFileCorruptedException(string path, string problem)
    : AppendLogException($"The replica file '{path}' is unreadable ({problem}); the partition is not opened, because guessing its content could resurrect truncated records or forget a promise.")
{
    /// <summary>The file.</summary>
    public string Path { get; } = path;
}
