namespace OrleansAof.Cli.Commands;

/// <summary>What happened to one batch.</summary>
internal enum AppendOutcome
{
    /// <summary>Appended by this run.</summary>
    Appended,

    /// <summary>An earlier run with the same producer id appended it: these are its original ids.</summary>
    Duplicate,

    /// <summary>An earlier run with the same producer id appended it, and the partition only remembers the producer's newest batch: its ids are not known.</summary>
    AlreadyAppended,
}
