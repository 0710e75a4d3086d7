namespace OrleansAof.Benchmarks.Shared;

/// <summary>
/// A folder under the system temp folder (<c>/tmp</c> on Linux) that holds everything one benchmark process writes;
/// deleted on dispose and, as a fallback, when the process exits.
/// </summary>
internal sealed class TempRoot : IDisposable
{
    private int _next;

    public TempRoot(string prefix)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(Path);
        AppDomain.CurrentDomain.ProcessExit += OnExit;
    }

    public string Path { get; }

    /// <summary>A new, empty sub-folder.</summary>
    public string NewFolder(string name)
    {
        var path = System.IO.Path.Combine(Path, $"{name}-{Interlocked.Increment(ref _next)}");
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Deletes a folder made by <see cref="NewFolder"/> (a folder still in use is left for <see cref="Dispose"/>).</summary>
    public static void Delete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public void Dispose()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnExit;
        Delete(Path);
    }

    private void OnExit(object? sender, EventArgs e) => Delete(Path);
}
