using System.Runtime;
using System.Runtime.InteropServices;

namespace OrleansAof.Benchmarks.Shared;

/// <summary>What the numbers were measured on.</summary>
internal static class Machine
{
    public static string Cpu()
    {
        var model = "unknown CPU";
        if (File.Exists("/proc/cpuinfo"))
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.StartsWith("model name", StringComparison.Ordinal))
                {
                    model = line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
                    break;
                }
            }
        }

        return $"{Environment.ProcessorCount} logical CPUs ({model})";
    }

    public static string Memory() => $"{GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024 * 1024 * 1024.0):0.0} GiB";

    public static string Runtime() =>
        $"{RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription.Trim()} {RuntimeInformation.OSArchitecture}, {(GCSettings.IsServerGC ? "server" : "workstation")} GC";

    /// <summary>The 1-minute load average, which tells how busy the shared machine was (Linux only).</summary>
    public static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
}
