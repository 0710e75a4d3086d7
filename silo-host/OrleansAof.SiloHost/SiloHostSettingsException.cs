namespace OrleansAof.SiloHost;

/// <summary>A silo-host setting is invalid; the message is one line that starts with its <c>Aof:</c> key.</summary>
public sealed class SiloHostSettingsException(string key, string message) : Exception(message)
{
    /// <summary>The key, <c>Aof:Name</c>.</summary>
    public string Key { get; } = key;
}
