namespace OrleansAof.SiloHost;

/// <summary>Which membership store the silo uses.</summary>
public enum ClusteringProvider
{
    /// <summary>Development clustering on this machine (the default): one silo, or several given <see cref="SiloHostSettings.PrimarySiloEndpoint"/>.</summary>
    Localhost,

    /// <summary>Redis (<see cref="SiloHostSettings.ClusteringConnectionString"/> is a StackExchange.Redis configuration string).</summary>
    Redis,

    /// <summary>A database through ADO.NET (<see cref="SiloHostSettings.AdoNetInvariant"/> names the provider; Npgsql is included).</summary>
    AdoNet,
}
