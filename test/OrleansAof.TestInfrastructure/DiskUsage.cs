using System.Diagnostics;
using System.Globalization;

namespace OrleansAof.TestInfrastructure;

/// <summary>Bytes a folder occupies on disk (allocated blocks, as <c>du</c> counts them, including reserved space).</summary>
public static class DiskUsage
{
    /// <summary>Allocated bytes of every file under <paramref name="path"/> (<c>du -s -B1</c>).</summary>
    public static long AllocatedBytes(string path)
    {
        var start = new ProcessStartInfo("du") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-s");
        start.ArgumentList.Add("-B1");
        start.ArgumentList.Add(path);
        using var du = Process.Start(start) ?? throw new InvalidOperationException("du did not start");
        var output = du.StandardOutput.ReadToEnd();
        var error = du.StandardError.ReadToEnd();
        du.WaitForExit();
        if (du.ExitCode != 0)
        {
            throw new InvalidOperationException($"du {path} failed ({du.ExitCode}): {error}");
        }

        return long.Parse(output.AsSpan(0, output.IndexOf('\t', StringComparison.Ordinal)), NumberStyles.None, CultureInfo.InvariantCulture);
    }
}
