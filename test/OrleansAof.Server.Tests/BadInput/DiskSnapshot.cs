namespace OrleansAof.Server.Tests.BadInput;

/// <summary>Every file and folder under a root with its size: what "nothing changed on disk" compares.</summary>
internal static class DiskSnapshot
{
    public static List<string> Of(string root)
    {
        var entries = new List<string>();
        foreach (var path in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(root, path);
            entries.Add(Directory.Exists(path) ? relative + "/" : $"{relative} {new FileInfo(path).Length}");
        }

        entries.Sort(StringComparer.Ordinal);
        return entries;
    }
}
