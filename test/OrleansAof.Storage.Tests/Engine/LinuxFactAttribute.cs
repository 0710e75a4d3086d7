using Xunit;

namespace OrleansAof.Storage.Tests.Engine;

/// <summary>A fact that runs only on Linux (where the engine maps the active segment for writing); elsewhere it is skipped with the reason given.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute(string reason)
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = reason;
        }
    }
}
