using System.Runtime.InteropServices;

namespace OrleansAof.Benchmarks.Shared;

/// <summary>Helpers that keep one measurement's disk traffic out of the next one.</summary>
internal static partial class Disk
{
    /// <summary>
    /// Writes back every dirty page of the machine (<c>sync(2)</c>) and pauses briefly, so that each measurement starts
    /// without write-back left over from the previous one. Does nothing on Windows.
    /// </summary>
    public static void Quiesce()
    {
        if (!OperatingSystem.IsWindows())
        {
            Sync();
        }

        Thread.Sleep(100);
    }

    /// <summary>Stops the run when the disk that holds <paramref name="path"/> has less than 8 GiB free (the disk is shared).</summary>
    public static void EnsureFreeSpace(string path)
    {
        var free = new DriveInfo(System.IO.Path.GetFullPath(path)).AvailableFreeSpace;
        if (free < 8L << 30)
        {
            throw new IOException($"Only {free >> 20} MiB are free on the disk of '{path}'; the benchmark stops so as not to fill a shared disk.");
        }
    }

    /// <summary>The file system and device that hold <paramref name="path"/>, from <c>/proc/mounts</c> (Linux only).</summary>
    public static string Describe(string path)
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/proc/mounts"))
        {
            return "unknown file system";
        }

        var full = System.IO.Path.GetFullPath(path);
        string? bestMount = null, bestDevice = null, bestType = null;
        foreach (var line in File.ReadLines("/proc/mounts"))
        {
            var parts = line.Split(' ');
            if (parts.Length < 3)
            {
                continue;
            }

            var mount = parts[1];
            var prefix = mount.EndsWith('/') ? mount : mount + "/";
            if ((full == mount || full.StartsWith(prefix, StringComparison.Ordinal)) && (bestMount is null || mount.Length > bestMount.Length))
            {
                bestMount = mount;
                bestDevice = parts[0];
                bestType = parts[2];
            }
        }

        if (bestMount is null)
        {
            return "unknown file system";
        }

        var device = System.IO.Path.GetFileName(bestDevice!);
        var rotational = File.Exists($"/sys/block/{device}/queue/rotational") ? File.ReadAllText($"/sys/block/{device}/queue/rotational").Trim() : null;
        var kind = device.StartsWith("vd", StringComparison.Ordinal) ? "virtio disk" : device.StartsWith("nvme", StringComparison.Ordinal) ? "NVMe" : "disk";
        return $"{bestType} on {bestDevice} ({kind}{(rotational == "0" ? ", non-rotational" : rotational == "1" ? ", rotational" : "")}), mounted at {bestMount}";
    }

    [LibraryImport("libc", EntryPoint = "sync")]
    private static partial void Sync();
}
