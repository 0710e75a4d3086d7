using System.Diagnostics;
using OrleansAof.TestInfrastructure;

namespace OrleansAof.IntegrationTests;

/// <summary>The built <c>aof</c> tool run as a child process (<c>dotnet aof.dll ...</c>).</summary>
public static class AofTool
{
    /// <summary>The tool's entry assembly, built in the same configuration as this test project.</summary>
    public static string ToolAssembly()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var path = Path.Combine(RepositoryPaths.Root, "src", "OrleansAof.Cli", "bin", configuration, "net10.0", "aof.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("Build the solution first: the aof tool is missing.", path);
    }

    /// <summary>How to start the tool with <paramref name="args"/>, its standard streams redirected.</summary>
    public static ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(ToolAssembly());
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        return start;
    }

    /// <summary>Runs the tool to its exit (at most <paramref name="timeout"/>, default one minute) with <paramref name="stdin"/> as input.</summary>
    public static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string? stdin, string[] args, TimeSpan? timeout = null)
    {
        using var process = Process.Start(StartInfo(args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        await Wait.ForAsync(process.WaitForExitAsync(), "aof " + string.Join(' ', args) + " to exit", timeout ?? TimeSpan.FromMinutes(1));
        return (process.ExitCode, await stdout, await stderr);
    }
}
