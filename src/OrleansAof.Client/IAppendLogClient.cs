namespace OrleansAof.Client;

/// <summary>Entry point of the client API: hands out log handles.</summary>
public interface IAppendLogClient
{
    /// <summary>The handle of the log <paramref name="name"/>, with the partition count configured for it.</summary>
    /// <exception cref="InvalidPartitionNameException">The name is not a valid log name.</exception>
    AppendLogHandle GetLog(string name);
}
