namespace OrleansAof.Cli;

/// <summary>The exit codes of <c>aof</c>; documented in <c>aof --help</c> and docs/operations.md.</summary>
internal static class ExitCodes
{
    /// <summary>Success: the command did what was asked and found nothing wrong.</summary>
    public const int Ok = 0;

    /// <summary><c>inspect</c> found damage, or <c>verify</c> found anything not clean (damage or a torn tail).</summary>
    public const int Findings = 1;

    /// <summary>The command line is wrong, or a path does not exist or holds no partition.</summary>
    public const int Usage = 2;

    /// <summary>The command failed: an I/O error, a refused repair, a failed restore. The message says why.</summary>
    public const int Failed = 3;

    /// <summary><c>repair</c> without <c>--yes</c>: it printed what it would do and changed nothing.</summary>
    public const int ConfirmationRequired = 4;

    /// <summary>A writer holds the partition's lock (the partition is open in a running silo); close it first.</summary>
    public const int Locked = 5;

    /// <summary>The exit code section of the help text.</summary>
    public const string HelpText = """
        Exit codes:
          0  ok: done, nothing wrong found
          1  findings: inspect found damage; verify found damage or a torn tail
          2  usage: bad command line, or the path does not exist / holds no partition
          3  failed: I/O error, repair refused, restore failed (the message says why)
          4  confirmation required: repair without --yes printed its plan and changed nothing
          5  locked: a writer holds the partition; close it first
        """;
}
