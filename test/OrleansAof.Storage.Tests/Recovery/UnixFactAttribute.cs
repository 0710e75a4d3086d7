using Xunit;

namespace OrleansAof.Storage.Tests.Recovery;

/// <summary>A fact that runs only on Unix-like systems; elsewhere it is skipped with the reason given.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class UnixFactAttribute : FactAttribute
{
    public UnixFactAttribute(string reason)
    {
        Reason = reason;
        if (OperatingSystem.IsWindows())
        {
            Skip = reason;
        }
    }

    public string Reason { get; }
}
