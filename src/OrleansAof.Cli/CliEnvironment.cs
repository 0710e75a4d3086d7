using OrleansAof.Storage.IO;

namespace OrleansAof.Cli;

/// <summary>Where a command writes and what it runs against; the console for the real tool, captured writers in tests.</summary>
internal sealed class CliEnvironment
{
    /// <summary>Standard output: human output, or exactly one JSON document with <c>--json</c>.</summary>
    public required TextWriter Out { get; init; }

    /// <summary>Standard error: error messages.</summary>
    public required TextWriter Error { get; init; }

    /// <summary>Whether standard output is a terminal (progress bars and colours only then).</summary>
    public bool OutputIsTerminal { get; init; }

    /// <summary>Width for tables when the output is not a terminal.</summary>
    public int Width { get; init; } = 160;

    /// <summary>Opens standard input (<c>aof append</c> reads records from it when no <c>--file</c> is given).</summary>
    public Func<Stream> OpenInput { get; init; } = Console.OpenStandardInput;

    /// <summary>The file system the offline commands use.</summary>
    public IFileSystem FileSystem { get; init; } = PhysicalFileSystem.Instance;

    /// <summary>The process console.</summary>
    public static CliEnvironment FromConsole() => new()
    {
        Out = Console.Out,
        Error = Console.Error,
        OutputIsTerminal = !Console.IsOutputRedirected,
        Width = Console.IsOutputRedirected ? 160 : Math.Max(80, Console.WindowWidth),
    };
}
