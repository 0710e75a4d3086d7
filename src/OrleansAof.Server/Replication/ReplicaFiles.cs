using System.Buffers.Binary;
using System.Globalization;
using OrleansAof.Storage.Format;
using OrleansAof.Storage.IO;

namespace OrleansAof.Server.Replication;

/// <summary>
/// The two small files of a replica's partition folder (docs/replication.md, "The engine as a replica log"), each
/// replaced whole: temporary file, fsync, rename over the old one, fsync of the folder. Little-endian, CRC-32C last.
/// </summary>
internal static class ReplicaFiles
{
    private const uint EpochsMagic = 0x45464F41; // "AOFE"
    private const uint StateMagic = 0x50464F41; // "AOFP"
    private const uint Version = 1;

    /// <summary>Reads the epoch history; empty when the file does not exist.</summary>
    /// <exception cref="ReplicaFileCorruptedException">The file is damaged.</exception>
    public static EpochHistory ReadEpochs(IFileSystem fs, string path)
    {
        var bytes = ReadChecked(fs, path, EpochsMagic);
        if (bytes is null)
        {
            return new EpochHistory([], null);
        }

        var count = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(32));
        if (count < 0 || bytes.Length != 40 + (count * 24) + 4)
        {
            throw new ReplicaFileCorruptedException(path, "its length does not match its mark count");
        }

        var marks = new EpochMark[count];
        for (var i = 0; i < count; i++)
        {
            var at = bytes.AsSpan(40 + (i * 24));
            marks[i] = new EpochMark(BinaryPrimitives.ReadInt64LittleEndian(at), BinaryPrimitives.ReadInt64LittleEndian(at[8..]), BinaryPrimitives.ReadInt64LittleEndian(at[16..]) != 0);
        }

        LogPosition? cut = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8)) != 0
            ? new LogPosition(BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(24)))
            : null;
        return new EpochHistory(marks, cut);
    }

    /// <summary>Replaces the epoch history durably.</summary>
    public static void WriteEpochs(IFileSystem fs, string path, EpochHistory history)
    {
        var bytes = new byte[40 + (history.Marks.Count * 24) + 4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, EpochsMagic);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), Version);
        if (history.CutAfter is { } cut)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), 1);
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(16), cut.Epoch);
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(24), cut.Id);
        }

        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(32), history.Marks.Count);
        for (var i = 0; i < history.Marks.Count; i++)
        {
            var at = bytes.AsSpan(40 + (i * 24));
            BinaryPrimitives.WriteInt64LittleEndian(at, history.Marks[i].Epoch);
            BinaryPrimitives.WriteInt64LittleEndian(at[8..], history.Marks[i].AfterId);
            BinaryPrimitives.WriteInt64LittleEndian(at[16..], history.Marks[i].HasStart ? 1 : 0);
        }

        WriteChecked(fs, path, bytes);
    }

    /// <summary>Reads the durable replica state; <see cref="ReplicaDurableState.Fresh"/> when the file does not exist.</summary>
    /// <exception cref="ReplicaFileCorruptedException">The file is damaged.</exception>
    public static ReplicaDurableState ReadState(IFileSystem fs, string path)
    {
        var bytes = ReadChecked(fs, path, StateMagic);
        if (bytes is null)
        {
            return ReplicaDurableState.Fresh;
        }

        if (bytes.Length != 52)
        {
            throw new ReplicaFileCorruptedException(path, "it has the wrong length");
        }

        var s = bytes.AsSpan();
        return new ReplicaDurableState(
            BinaryPrimitives.ReadInt64LittleEndian(s[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(s[16..]) != 0,
            new LogPosition(BinaryPrimitives.ReadInt64LittleEndian(s[24..]), BinaryPrimitives.ReadInt64LittleEndian(s[32..])),
            BinaryPrimitives.ReadInt64LittleEndian(s[40..]));
    }

    /// <summary>Replaces the durable replica state durably.</summary>
    public static void WriteState(IFileSystem fs, string path, ReplicaDurableState state)
    {
        var bytes = new byte[52];
        var s = bytes.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(s, StateMagic);
        BinaryPrimitives.WriteUInt32LittleEndian(s[4..], Version);
        BinaryPrimitives.WriteInt64LittleEndian(s[8..], state.Promise);
        BinaryPrimitives.WriteInt64LittleEndian(s[16..], state.Voter ? 1 : 0);
        BinaryPrimitives.WriteInt64LittleEndian(s[24..], state.Commit.Epoch);
        BinaryPrimitives.WriteInt64LittleEndian(s[32..], state.Commit.Id);
        BinaryPrimitives.WriteInt64LittleEndian(s[40..], state.SealedBefore);
        WriteChecked(fs, path, bytes);
    }

    private static byte[]? ReadChecked(IFileSystem fs, string path, uint magic)
    {
        if (!fs.FileExists(path))
        {
            return null;
        }

        byte[] bytes;
        using (var file = fs.OpenFile(path, FileMode.Open, FileAccess.Read))
        {
            var length = file.Length;
            if (length is < 12 or > 64 * 1024 * 1024)
            {
                throw new ReplicaFileCorruptedException(path, string.Create(CultureInfo.InvariantCulture, $"{length} bytes"));
            }

            bytes = new byte[length];
            file.ReadExactly(0, bytes);
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4)) != Crc32C.Compute(bytes.AsSpan(0, bytes.Length - 4)))
        {
            throw new ReplicaFileCorruptedException(path, "checksum mismatch");
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes) != magic || BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4)) != Version)
        {
            throw new ReplicaFileCorruptedException(path, "unknown magic or version");
        }

        return bytes;
    }

    private static void WriteChecked(IFileSystem fs, string path, byte[] bytes)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), Crc32C.Compute(bytes.AsSpan(0, bytes.Length - 4)));
        var temp = path + ".tmp";
        using (var file = fs.OpenFile(temp, FileMode.Create, FileAccess.Write))
        {
            file.Write(0, bytes);
            file.Flush(dataOnly: false);
        }

        fs.MoveFile(temp, path, overwrite: true);
        fs.FlushDirectory(Path.GetDirectoryName(path)!);
    }
}
