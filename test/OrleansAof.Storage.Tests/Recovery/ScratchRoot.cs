namespace OrleansAof.Storage.Tests.Recovery;

/// <summary>
/// A data root for sweeps of simulated crashes (hundreds of open/crash/recover cycles). The crash is simulated inside the
/// process by the fault-injecting file system, so the sweep needs no real disk: on Linux it runs on tmpfs (/dev/shm),
/// where fsync costs nothing and the sweep takes seconds instead of minutes on a noisy disk; elsewhere under the temp folder.
/// </summary>
public sealed class ScratchRoot : IDisposable
{
    private ScratchRoot(string path)
    {
        Path = path;
        Directory.CreateDirectory(path);
    }

    public string Path { get; }

    public static ScratchRoot Create(string name)
    {
        var parent = OperatingSystem.IsLinux() && Directory.Exists("/dev/shm") ? "/dev/shm" : System.IO.Path.GetTempPath();
        return new ScratchRoot(System.IO.Path.Combine(parent, "aof-tests", $"{name}-{Guid.NewGuid():N}"));
    }

    public string Combine(string name) => System.IO.Path.Combine(Path, name);

    public string Combine(long n) => Combine(n.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file still open elsewhere; the folder is under a temporary root.
        }
    }
}
