namespace OrleansAof.Server.Replication;

/// <summary>A client append the leader acknowledges: the record at <paramref name="Id"/> is committed.</summary>
internal readonly record struct Acknowledgement(long Token, long Id);
