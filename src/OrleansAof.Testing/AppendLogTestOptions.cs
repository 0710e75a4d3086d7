using OrleansAof.Client;
using OrleansAof.Server;

namespace OrleansAof.Testing;

/// <summary>
/// How <c>AddAppendLog</c> sets the append log up in a test cluster. Every silo gets its own temporary data folder;
/// everything else here is optional.
/// </summary>
public sealed class AppendLogTestOptions
{
    /// <summary>
    /// The folder under which the cluster's temporary folder (<see cref="AppendLogTestSetup.RootPath"/>) is created.
    /// Default: <c>{system temp folder}/orleans-aof-tests</c>.
    /// </summary>
    public string? TempRoot { get; set; }

    /// <summary>
    /// Archives sealed segments to a folder shared by all silos (<see cref="AppendLogTestSetup.ArchiveRoot"/>), as they
    /// would share an S3 bucket; adds the in-memory reminder service (the archiver runs on a reminder) unless the silo
    /// already has a reminder service, and lowers the minimum reminder period to one second. Default false.
    /// </summary>
    public bool FileSystemArchive { get; set; }

    /// <summary>
    /// Membership settings for tests: a probe timeout of 500 ms, and one missed probe and one vote declare a silo dead
    /// (<c>ClusterMembershipOptions</c>: <c>ProbeTimeout</c>, <c>NumMissedProbesLimit</c>, <c>NumVotesForDeathDeclaration</c>,
    /// <c>TableRefreshTimeout</c> 500 ms). Default true; false leaves Orleans' defaults.
    /// </summary>
    public bool FastMembership { get; set; } = true;

    /// <summary>
    /// Further settings of the log on every silo, applied after the test defaults (<c>DataRoot</c>,
    /// <c>DataRootPerSilo</c>, <c>SiloName</c>, <c>Silos</c> = the initial silos, <c>Preallocation</c> = <c>None</c>).
    /// Setting <see cref="AppendLogOptions.Silos"/> here changes the owners.
    /// </summary>
    public Action<AppendLogOptions>? ConfigureLog { get; set; }

    /// <summary>Settings of the cluster client's <c>IAppendLogClient</c> (partition counts per log, tail settings).</summary>
    public Action<AppendLogClientOptions>? ConfigureClient { get; set; }
}
