namespace OrleansAof.Storage.IO;

/// <summary>Helpers over <see cref="IStorageFile"/> and <see cref="IFileSystem"/>.</summary>
public static class StorageFileExtensions
{
    /// <summary>
    /// Creates <paramref name="directory"/> and any missing parents, and makes each new entry durable by flushing the
    /// directory that holds it (a new directory is not on stable storage until its parent is flushed, so a file made
    /// durable inside it could still vanish at a power loss). Does nothing when the directory exists.
    /// </summary>
    public static void CreateDirectoryDurably(this IFileSystem fileSystem, string directory)
    {
        ArgumentNullException.ThrowIfNull(fileSystem);
        var missing = new Stack<string>();
        for (var d = System.IO.Path.GetFullPath(directory); d is not null && !fileSystem.DirectoryExists(d); d = System.IO.Path.GetDirectoryName(d))
        {
            missing.Push(d);
        }

        while (missing.TryPop(out var d))
        {
            fileSystem.CreateDirectory(d);
            if (System.IO.Path.GetDirectoryName(d) is { } parent)
            {
                fileSystem.FlushDirectory(parent);
            }
        }
    }

    /// <summary>Reads exactly <paramref name="buffer"/>.Length bytes or throws <see cref="EndOfStreamException"/>.</summary>
    public static void ReadExactly(this IStorageFile file, long offset, Span<byte> buffer)
    {
        ArgumentNullException.ThrowIfNull(file);
        var total = 0;
        while (total < buffer.Length)
        {
            var n = file.Read(offset + total, buffer[total..]);
            if (n <= 0)
            {
                throw new EndOfStreamException($"'{file.Path}' ended at {offset + total} while {buffer.Length - total} more bytes were expected.");
            }

            total += n;
        }
    }

    /// <summary>Reads as many bytes as are there, up to <paramref name="buffer"/>.Length.</summary>
    public static int ReadAtMost(this IStorageFile file, long offset, Span<byte> buffer)
    {
        ArgumentNullException.ThrowIfNull(file);
        var total = 0;
        while (total < buffer.Length)
        {
            var n = file.Read(offset + total, buffer[total..]);
            if (n <= 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }
}
