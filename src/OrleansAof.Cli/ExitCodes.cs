namespace OrleansAof.Cli;

/// <summary>The exit codes of <c>aof</c>; documented in <c>aof --help</c> and docs/operations.md.</summary>
internal static class ExitCodes
{
    /// <summary>Success: the command did what was asked and found nothing wrong.</summary>
    public const int Ok = 0;

    /// <summary>
    /// <c>inspect</c> found damage, <c>verify</c> found anything not clean (damage or a torn tail), or <c>status</c> found a
    /// faulted partition, a quarantined segment, failing archival or appends refused for the archive backlog.
    /// </summary>
    public const int Findings = 1;

    /// <summary>
    /// The command line is wrong, or a path does not exist or holds no partition; against a cluster: bad input the
    /// partition refused (an invalid name, a reversed or out-of-range id range, a record too large). Nothing was changed.
    /// </summary>
    public const int Usage = 2;

    /// <summary>The command failed: an I/O error, a refused repair, a failed restore, a faulted partition. The message says why.</summary>
    public const int Failed = 3;

    /// <summary><c>repair</c> without <c>--yes</c>: it printed what it would do and changed nothing.</summary>
    public const int ConfirmationRequired = 4;

    /// <summary>A writer holds the partition's lock (the partition is open in a running silo); close it first.</summary>
    public const int Locked = 5;

    /// <summary>The cluster could not be reached within the connect timeout (no gateway answered, or the membership store is unreachable).</summary>
    public const int Unreachable = 6;

    /// <summary>
    /// The cluster answered but the partition cannot be served right now (its owner silo is down, it is closing, or
    /// backpressure); retryable. An <c>append</c> that stopped here says which batches went in; rerun it with the same
    /// <c>--producer-id</c>.
    /// </summary>
    public const int Unavailable = 7;

    /// <summary>No active silo holds the partition (only <c>append</c> creates partitions); nothing was created.</summary>
    public const int NotFound = 8;

    /// <summary>The exit code section of the help text.</summary>
    public const string HelpText = """
        Exit codes:
          0  ok: done, nothing wrong found
          1  findings: inspect found damage; verify found damage or a torn tail; status found a faulted
             partition, a quarantined segment, failing archival or appends refused for the archive backlog
          2  usage: bad command line, the path does not exist / holds no partition, or input the cluster
             refused (invalid name, reversed or out-of-range ids, record too large); the refused call
             changed nothing
          3  failed: I/O error, repair refused, restore failed, partition faulted (the message says why)
          4  confirmation required: repair without --yes printed its plan and changed nothing
          5  locked: a writer holds the partition; close it first
          6  unreachable: the cluster did not answer within --connect-timeout
          7  unavailable: the partition cannot be served right now (owner silo down, backpressure); retry
          8  not found: no active silo holds the partition (only append creates partitions)
        """;
}
