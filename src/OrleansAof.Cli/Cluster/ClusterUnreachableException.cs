namespace OrleansAof.Cli.Cluster;

/// <summary>The cluster could not be reached: no gateway answered within the connect timeout, or the membership store is unreachable.</summary>
internal sealed class ClusterUnreachableException(string message, Exception? inner = null) : Exception(message, inner);
