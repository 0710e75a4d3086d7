namespace OrleansAof.SiloHost;

/// <summary>Which reminder store the silo uses (reminders drive the archiver).</summary>
public enum ReminderProvider
{
    /// <summary>No reminder service.</summary>
    None,

    /// <summary>In memory: development only (the default).</summary>
    InMemory,

    /// <summary>Redis.</summary>
    Redis,

    /// <summary>A database through ADO.NET.</summary>
    AdoNet,
}
