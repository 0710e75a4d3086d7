// Over 600 lines on purpose: one responsibility, a file system that injects faults and models crashes (process or power
// loss) for every IFileSystem call; the crash model needs to see every operation in one place.
using System.Globalization;
using OrleansAof.Storage.IO;

namespace OrleansAof.TestInfrastructure;

/// <summary>What a restart after a simulated crash finds on the disk (see <see cref="FaultInjectingFileSystem"/>).</summary>
public enum CrashModel
{
    /// <summary>The process was killed: everything it did before the crash point stays (the page cache survives).</summary>
    ProcessCrash,

    /// <summary>
    /// The machine lost power: additionally, file data not flushed since it was written and directory entries (creations,
    /// renames, deletions) not made durable by a flush of their directory are gone.
    /// </summary>
    PowerLoss,
}

/// <summary>The kinds of mutating operations <see cref="FaultInjectingFileSystem"/> counts.</summary>
public enum FileSystemOperationKind
{
    /// <summary>An open that creates or truncates a file.</summary>
    CreateFile,

    /// <summary>A positional write.</summary>
    Write,

    /// <summary>A change of a file's length.</summary>
    SetLength,

    /// <summary>An fsync or fdatasync of a file.</summary>
    Flush,

    /// <summary>A file deletion.</summary>
    DeleteFile,

    /// <summary>A file rename.</summary>
    MoveFile,

    /// <summary>A file copy.</summary>
    CopyFile,

    /// <summary>The creation of a directory (and of its missing parents).</summary>
    CreateDirectory,

    /// <summary>An fsync of a directory.</summary>
    FlushDirectory,

    /// <summary>A directory rename (<see cref="FaultInjectingFileSystem.MoveDirectory"/>).</summary>
    MoveDirectory,

    /// <summary>A write outside the adapter announced through <see cref="IFileSystem.BeforeExternalWrite"/> (the SQLite catalog).</summary>
    ExternalWrite,
}

/// <summary>One mutating operation seen by <see cref="FaultInjectingFileSystem"/>.</summary>
/// <param name="Number">1 for the first operation of the instance.</param>
/// <param name="Kind">What it was.</param>
/// <param name="Path">The file or directory it applied to (the destination of a move or copy).</param>
/// <param name="Detail">Offsets, lengths or the source of a move; null when there is nothing more to say.</param>
/// <param name="Refused">Whether the operation was refused because the simulated process crashed at it (it did not happen).</param>
public readonly record struct FileSystemOperation(long Number, FileSystemOperationKind Kind, string Path, string? Detail, bool Refused)
{
    /// <inheritdoc />
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"#{Number} {Kind} {Path}{(Detail is null ? "" : " " + Detail)}{(Refused ? "  <- crashed here (not performed)" : "")}");
}

/// <summary>
/// A file system for tests that passes everything to an inner one and injects the failures the engine must survive:
/// a write torn at a chosen byte (a crash in the middle of a write), a failing fsync, a full disk, a read-only volume,
/// and a crash after a chosen number of mutating operations (<see cref="CrashAfterOperations"/>), for crash-point
/// sweeps in the manner of ALICE ("All File Systems Are Not Created Equal", OSDI 2014). After a crash the instance
/// behaves like a dead process: every later mutating operation throws, so nothing after the crash point reaches the disk.
/// </summary>
/// <remarks>
/// <para><b>Counted operations.</b> Every call that can change the disk is one operation, numbered from 1 and kept in
/// <see cref="Operations"/>: an open that creates or truncates a file, <see cref="IStorageFile.Write"/>,
/// <see cref="IStorageFile.SetLength"/>, <see cref="IStorageFile.Flush"/>, <see cref="DeleteFile"/> (also of a missing
/// file), <see cref="MoveFile"/>, <see cref="CopyFile"/>, <see cref="CreateDirectory"/> of a missing directory,
/// <see cref="FlushDirectory"/>, <see cref="MoveDirectory"/> and every <see cref="BeforeExternalWrite"/>. Opening an
/// existing file for writing without truncating it changes nothing and is not counted (after a crash it throws all the same).</para>
/// <para><b>Crash models</b> (<see cref="CrashModel"/>, fixed at construction). Under <see cref="CrashModel.ProcessCrash"/>
/// <see cref="SimulateRestart"/> leaves the disk as it is. Under <see cref="CrashModel.PowerLoss"/> the instance records,
/// from its construction on, what is not yet durable, and <see cref="SimulateRestart"/> takes it back, newest first:
/// file data (writes, length changes, truncation by an open) since the file's last flush is restored from a copy of
/// the file taken before its first change after that flush; the creation, rename or deletion of a directory entry is
/// undone unless the directory was flushed afterwards (a rename across directories needs both flushed). A deleted file
/// is kept, until its directory is flushed, under a hidden name in the same directory (<c>.aof-graveyard-*</c>, never
/// listed by <see cref="ListFiles"/>), and so is a file a rename replaced. A directory created and not made durable by
/// a flush of its parent disappears with everything in it.</para>
/// <para><b>Limits of the model.</b> It is the conservative rule "data and directory entries reach the disk only at
/// fsync", and it tests two endpoints: everything survives, or exactly the durable state survives. ALICE also explores
/// the states in between (a later unsynced write surviving while an earlier one is lost, a rename persisted before the
/// data it points to, appends that persist as zeros or garbage, a rename that loses the file from both directories);
/// those are not generated here. Writes outside the adapter (SQLite, announced through
/// <see cref="IFileSystem.BeforeExternalWrite"/>) are counted and refused after a crash but not undone: a committed
/// SQLite transaction (synchronous=FULL) is durable in both models. Closing a SQLite connection after the crash may still
/// checkpoint its write-ahead log, which changes the file but not the committed content. Power-loss tracking copies each
/// changed file once per flush interval and serializes the tracked operations: meant for small files in sweeps.</para>
/// <para>Only writes to files whose path satisfies <see cref="WriteFilter"/> count towards <see cref="BytesWritten"/>,
/// <see cref="WriteCount"/>, the tear and the full disk (all files by default); the operation counter sees every file.</para>
/// </remarks>
public sealed class FaultInjectingFileSystem(IFileSystem inner) : IFileSystem
{
    private const string GraveyardPrefix = ".aof-graveyard-";

    /// <summary>How many operations <see cref="Operations"/> keeps (the first ones); counting goes on beyond.</summary>
    public const int MaxTracedOperations = 100_000;

    private readonly Lock _sync = new();
    private readonly Lock _trackSync = new();
    private readonly List<FileSystemOperation> _operations = [];
    private readonly List<Pending> _journal = [];
    private readonly Dictionary<string, Node> _nodes = new(StringComparer.Ordinal);
    private long _bytesWritten;
    private long _tearAtByte = -1;
    private long _diskFullAtByte = -1;
    private int _flushesBeforeFailure = -1;
    private int _flushCount;
    private int _writeCount;
    private int _mappingCount;
    private long _operationCount;
    private long _crashAtOperation = -1;
    private Func<FileSystemOperation, bool>? _crashAfterMatch;
    private long _graveyardSequence;
    private bool _restarted;

    /// <summary>Creates an instance over the real file system.</summary>
    public FaultInjectingFileSystem()
        : this(PhysicalFileSystem.Instance)
    {
    }

    /// <summary>What <see cref="SimulateRestart"/> keeps. Default <see cref="CrashModel.ProcessCrash"/>; set at construction.</summary>
    public CrashModel CrashModel { get; init; } = CrashModel.ProcessCrash;

    /// <summary>Which files the write counter, the tear and the full disk apply to.</summary>
    public Func<string, bool> WriteFilter { get; set; } = static _ => true;

    /// <summary>Bytes written so far to files that pass <see cref="WriteFilter"/>.</summary>
    public long BytesWritten { get { lock (_sync) { return _bytesWritten; } } }

    /// <summary>Write calls so far to files that pass <see cref="WriteFilter"/>.</summary>
    public int WriteCount { get { lock (_sync) { return _writeCount; } } }

    /// <summary>Successful flushes so far.</summary>
    public int FlushCount { get { lock (_sync) { return _flushCount; } } }

    /// <summary>Mutating operations so far (performed ones; a refused operation is not counted).</summary>
    public long OperationCount { get { lock (_sync) { return _operationCount; } } }

    /// <summary>The mutating operations so far (the first <see cref="MaxTracedOperations"/>), in order, including the one refused at the crash point.</summary>
    public IReadOnlyList<FileSystemOperation> Operations { get { lock (_sync) { return [.. _operations]; } } }

    /// <summary>Whether the simulated process is dead (a tear, an injected crash or <see cref="Crash"/>).</summary>
    public bool Crashed { get; private set; }

    /// <summary>
    /// Whether files may be memory-mapped for reading (<see cref="IStorageFile.TryMapReadOnly"/> passes to the inner file
    /// system). Off, every read goes through <see cref="IStorageFile.Read"/>, as on a platform without mappings. Default on.
    /// </summary>
    public bool AllowMapping { get; set; } = true;

    /// <summary>How many mappings were handed out.</summary>
    public int MappingCount => Volatile.Read(ref _mappingCount);

    /// <summary>When set, opening any file for writing and every mutation fail with <see cref="UnauthorizedAccessException"/>.</summary>
    public bool ReadOnly { get; set; }

    /// <summary>
    /// Tears the write that crosses the given count of bytes written (counted from the start of this instance):
    /// the bytes before it reach the file, the rest do not, the write throws and the instance is crashed.
    /// </summary>
    public void TearAtByte(long byteCount)
    {
        lock (_sync)
        {
            _tearAtByte = byteCount;
        }
    }

    /// <summary>Writes that would take the byte count past <paramref name="byteCount"/> fail with a "no space left" error and write nothing.</summary>
    public void DiskFullAtByte(long byteCount)
    {
        lock (_sync)
        {
            _diskFullAtByte = byteCount;
        }
    }

    /// <summary>After <paramref name="successfulFlushes"/> more successful flushes, every flush fails.</summary>
    public void FailFlushAfter(int successfulFlushes)
    {
        lock (_sync)
        {
            _flushesBeforeFailure = successfulFlushes;
        }
    }

    /// <summary>
    /// Lets <paramref name="operations"/> more mutating operations happen; the next one is refused with an
    /// <see cref="IOException"/> and the instance is crashed (the process image stopped there), so it and every later
    /// one never reach the disk. 0 crashes at the very next operation.
    /// </summary>
    public void CrashAfterOperations(long operations)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(operations);
        lock (_sync)
        {
            _crashAtOperation = _operationCount + operations + 1;
        }
    }

    /// <summary>
    /// Lets operations happen until one satisfies <paramref name="match"/>; that one is performed, the next one is refused
    /// and the instance is crashed (as <see cref="CrashAfterOperations"/>).
    /// </summary>
    public void CrashAfterFirst(Func<FileSystemOperation, bool> match)
    {
        ArgumentNullException.ThrowIfNull(match);
        lock (_sync)
        {
            _crashAfterMatch = match;
        }
    }

    /// <summary>Crashes the instance now: every later mutating operation is refused.</summary>
    public void Crash()
    {
        lock (_sync)
        {
            Crashed = true;
        }
    }

    /// <summary>Removes every pending fault (a crash stays a crash).</summary>
    public void ClearFaults()
    {
        lock (_sync)
        {
            _tearAtByte = -1;
            _diskFullAtByte = -1;
            _flushesBeforeFailure = -1;
            _crashAtOperation = -1;
            _crashAfterMatch = null;
            ReadOnly = false;
        }
    }

    /// <summary>
    /// Leaves the disk as a restart after the crash finds it under <see cref="CrashModel"/>, and returns what was taken
    /// back (nothing under <see cref="CrashModel.ProcessCrash"/>). Call once, after the crash and after whatever used this
    /// instance has released its files; then open the files with another file system.
    /// </summary>
    /// <exception cref="InvalidOperationException">The instance has not crashed, or the restart was already simulated.</exception>
    public IReadOnlyList<string> SimulateRestart()
    {
        lock (_sync)
        {
            if (!Crashed)
            {
                throw new InvalidOperationException("Only a crashed file system can be restarted: call Crash() first.");
            }

            if (_restarted)
            {
                throw new InvalidOperationException("The restart was already simulated.");
            }

            _restarted = true;
        }

        if (CrashModel == CrashModel.ProcessCrash)
        {
            return [];
        }

        lock (_trackSync)
        {
            var undone = new List<string>();
            for (var i = _journal.Count - 1; i >= 0; i--)
            {
                var description = Undo(_journal[i]);
                if (description is not null)
                {
                    undone.Add(description);
                }
            }

            _journal.Clear();
            _nodes.Clear();
            return undone;
        }
    }

    /// <inheritdoc />
    public IStorageFile OpenFile(string path, FileMode mode, FileAccess access, FileShare share = FileShare.Read, long preallocationSize = 0)
    {
        if ((access & FileAccess.Write) == 0)
        {
            return new FaultyFile(this, inner.OpenFile(path, mode, access, share, preallocationSize), null);
        }

        var exists = inner.FileExists(path);
        var creates = !exists && mode != FileMode.Open && mode != FileMode.Truncate;
        var truncates = exists && mode is FileMode.Create or FileMode.Truncate;
        if (!creates && !truncates)
        {
            ThrowIfReadOnlyOrCrashed(path);
            if (!Tracking)
            {
                return new FaultyFile(this, inner.OpenFile(path, mode, access, share, preallocationSize), null);
            }

            lock (_trackSync)
            {
                return new FaultyFile(this, TrackingOpen(path, mode, access, share, preallocationSize), NodeOf(path));
            }
        }

        BeginOperation(FileSystemOperationKind.CreateFile, path, Invariant($"{mode}{(preallocationSize > 0 ? $" reserve {preallocationSize}" : "")}"), checkReadOnly: true);
        if (!Tracking)
        {
            return new FaultyFile(this, inner.OpenFile(path, mode, access, share, preallocationSize), null);
        }

        lock (_trackSync)
        {
            if (truncates)
            {
                var node = NodeOf(path);
                Snapshot(node, null);
                return new FaultyFile(this, TrackingOpen(path, mode, access, share, preallocationSize), node);
            }

            var file = TrackingOpen(path, mode, access, share, preallocationSize);
            var created = new Node(Normalize(path)) { DurableContent = [] };
            _nodes[created.Path] = created;
            _journal.Add(new EntryCreated(DirectoryOf(created.Path), created));
            _journal.Add(new DataChanged(created));
            return new FaultyFile(this, file, created);
        }
    }

    /// <inheritdoc />
    public bool FileExists(string path) => inner.FileExists(path);

    /// <inheritdoc />
    public bool DirectoryExists(string path) => inner.DirectoryExists(path);

    /// <inheritdoc />
    public void CreateDirectory(string path)
    {
        if (inner.DirectoryExists(path))
        {
            return;
        }

        BeginOperation(FileSystemOperationKind.CreateDirectory, path, null, checkReadOnly: true);
        if (!Tracking)
        {
            inner.CreateDirectory(path);
            return;
        }

        lock (_trackSync)
        {
            var missing = new Stack<string>();
            for (var d = Normalize(path); !inner.DirectoryExists(d); d = DirectoryOf(d))
            {
                missing.Push(d);
            }

            inner.CreateDirectory(path);
            while (missing.TryPop(out var d))
            {
                _journal.Add(new DirectoryCreated(DirectoryOf(d), d));
            }
        }
    }

    /// <inheritdoc />
    public void DeleteFile(string path)
    {
        BeginOperation(FileSystemOperationKind.DeleteFile, path, null, checkReadOnly: true);
        if (!Tracking)
        {
            inner.DeleteFile(path);
            return;
        }

        lock (_trackSync)
        {
            if (!inner.FileExists(path))
            {
                return;
            }

            var node = NodeOf(path);
            var original = node.Path;
            Bury(node);
            _journal.Add(new EntryRemoved(DirectoryOf(original), original, node));
        }
    }

    /// <inheritdoc />
    public void MoveFile(string source, string destination, bool overwrite)
    {
        BeginOperation(FileSystemOperationKind.MoveFile, destination, "from " + source, checkReadOnly: true);
        if (!Tracking)
        {
            inner.MoveFile(source, destination, overwrite);
            return;
        }

        lock (_trackSync)
        {
            var node = NodeOf(source);
            var target = Normalize(destination);
            Node? replaced = null;
            if (overwrite && inner.FileExists(target))
            {
                replaced = NodeOf(target);
                Bury(replaced);
            }

            try
            {
                inner.MoveFile(node.Path, target, overwrite: false);
            }
            catch
            {
                if (replaced is not null)
                {
                    Resurrect(replaced, target);
                }

                throw;
            }

            var from = node.Path;
            _nodes.Remove(from);
            node.Path = target;
            _nodes[target] = node;
            _journal.Add(new EntryRenamed(DirectoryOf(from), from, DirectoryOf(target), target, node, replaced));
        }
    }

    /// <inheritdoc />
    public void CopyFile(string source, string destination, bool overwrite)
    {
        BeginOperation(FileSystemOperationKind.CopyFile, destination, "from " + source, checkReadOnly: true);
        var length = inner.GetFileLength(source);
        if (WriteFilter(destination))
        {
            ReserveWrite(destination, length, out var allowed);
            if (allowed < length)
            {
                throw new IOException($"Injected fault: copy to '{destination}' failed.");
            }
        }

        if (!Tracking)
        {
            inner.CopyFile(source, destination, overwrite);
            return;
        }

        lock (_trackSync)
        {
            if (inner.FileExists(destination))
            {
                // The copy rewrites the existing file in place: its old bytes are what a power loss brings back.
                var node = NodeOf(destination);
                Snapshot(node, null);
                inner.CopyFile(source, destination, overwrite);
                return;
            }

            inner.CopyFile(source, destination, overwrite);
            var created = new Node(Normalize(destination)) { DurableContent = [] };
            _nodes[created.Path] = created;
            _journal.Add(new EntryCreated(DirectoryOf(created.Path), created));
            _journal.Add(new DataChanged(created));
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<string> ListFiles(string directory, string searchPattern)
    {
        var files = inner.ListFiles(directory, searchPattern);
        if (!Tracking)
        {
            return files;
        }

        return [.. files.Where(static f => !Path.GetFileName(f).StartsWith(GraveyardPrefix, StringComparison.Ordinal))];
    }

    /// <inheritdoc />
    public long GetFileLength(string path) => inner.GetFileLength(path);

    /// <inheritdoc />
    public void FlushDirectory(string directory)
    {
        BeginOperation(FileSystemOperationKind.FlushDirectory, directory, null, checkReadOnly: false);
        inner.FlushDirectory(directory);
        if (!Tracking)
        {
            return;
        }

        lock (_trackSync)
        {
            var dir = Normalize(directory);
            for (var i = 0; i < _journal.Count; i++)
            {
                if (Commit(_journal[i], dir) is { } remaining)
                {
                    _journal[i] = remaining;
                    continue;
                }

                _journal.RemoveAt(i);
                i--;
            }
        }
    }

    /// <summary>
    /// Counts one operation and refuses it after a crash; the caller then writes <paramref name="path"/> by other means
    /// (under <see cref="CrashModel.PowerLoss"/> such writes are treated as durable: they are not undone).
    /// </summary>
    public void BeforeExternalWrite(string path) => BeginOperation(FileSystemOperationKind.ExternalWrite, path, null, checkReadOnly: true);

    /// <summary>
    /// Renames a directory (not part of <see cref="IFileSystem"/>): for tests that simulate a step done outside the
    /// adapter, such as moving a partition folder aside, as one counted operation. Under <see cref="CrashModel.PowerLoss"/>
    /// the rename is undone unless both parent directories are flushed afterwards.
    /// </summary>
    public void MoveDirectory(string source, string destination)
    {
        BeginOperation(FileSystemOperationKind.MoveDirectory, destination, "from " + source, checkReadOnly: true);
        if (!Tracking)
        {
            Directory.Move(source, destination);
            return;
        }

        lock (_trackSync)
        {
            var from = Normalize(source);
            var to = Normalize(destination);
            Directory.Move(from, to);
            Rebase(from, to);
            _journal.Add(new DirectoryMoved(DirectoryOf(from), from, DirectoryOf(to), to));
        }
    }

    private bool Tracking => CrashModel == CrashModel.PowerLoss;

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static string Normalize(string path)
    {
        var full = Path.GetFullPath(path);
        return full.Length > 1 ? Path.TrimEndingDirectorySeparator(full) : full;
    }

    private static string DirectoryOf(string path) => Path.GetDirectoryName(path) ?? path;

    private static bool IsUnder(string path, string directory) =>
        path == directory || path.StartsWith(directory + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private static string RebasePath(string path, string from, string to) => IsUnder(path, from) ? to + path[from.Length..] : path;

    /// <summary>Opens through the inner file system; under power-loss tracking a writer may also read (for the copy of the durable bytes).</summary>
    private IStorageFile TrackingOpen(string path, FileMode mode, FileAccess access, FileShare share, long preallocationSize)
    {
        var effective = Tracking && mode != FileMode.Append ? access | FileAccess.Read : access;
        return inner.OpenFile(path, mode, effective, share, preallocationSize);
    }

    /// <summary>Counts an operation; refuses it (and crashes) when the simulated process is dead or dies here.</summary>
    private void BeginOperation(FileSystemOperationKind kind, string path, string? detail, bool checkReadOnly)
    {
        lock (_sync)
        {
            ThrowIfCrashed(path);
            if (checkReadOnly && ReadOnly)
            {
                throw new UnauthorizedAccessException($"Injected fault: '{path}' is on a read-only volume.");
            }

            var number = _operationCount + 1;
            if (number == _crashAtOperation)
            {
                Crashed = true;
                Trace(new FileSystemOperation(number, kind, path, detail, Refused: true));
                throw new IOException(Invariant($"Injected crash: the process stopped before operation #{number} ({kind} '{path}')."));
            }

            _operationCount = number;
            var operation = new FileSystemOperation(number, kind, path, detail, Refused: false);
            Trace(operation);
            if (_crashAfterMatch is { } match && match(operation))
            {
                _crashAfterMatch = null;
                _crashAtOperation = number + 1;
            }
        }
    }

    private void Trace(FileSystemOperation operation)
    {
        if (_operations.Count < MaxTracedOperations)
        {
            _operations.Add(operation);
        }
    }

    private void ThrowIfReadOnlyOrCrashed(string path)
    {
        ThrowIfCrashed(path);
        if (ReadOnly)
        {
            throw new UnauthorizedAccessException($"Injected fault: '{path}' is on a read-only volume.");
        }
    }

    private void ThrowIfCrashed(string path)
    {
        if (Crashed)
        {
            throw new IOException($"Injected fault: the process crashed before touching '{path}'.");
        }
    }

    /// <summary>Counts a write of <paramref name="length"/> bytes; <paramref name="allowed"/> is how many of them may reach the file.</summary>
    private void ReserveWrite(string path, long length, out long allowed)
    {
        lock (_sync)
        {
            ThrowIfCrashed(path);
            if (_diskFullAtByte >= 0 && _bytesWritten + length > _diskFullAtByte)
            {
                throw new IOException($"Injected fault: no space left on device writing '{path}'.", 28 /* ENOSPC */);
            }

            _writeCount++;
            if (_tearAtByte >= 0 && _bytesWritten + length > _tearAtByte)
            {
                allowed = _tearAtByte - _bytesWritten;
                _bytesWritten = _tearAtByte;
                Crashed = true;
                return;
            }

            _bytesWritten += length;
            allowed = length;
        }
    }

    private void CountFlush(string path)
    {
        lock (_sync)
        {
            if (_flushesBeforeFailure == 0)
            {
                throw new IOException($"Injected fault: flush of '{path}' failed.", 5 /* EIO */);
            }

            if (_flushesBeforeFailure > 0)
            {
                _flushesBeforeFailure--;
            }

            _flushCount++;
        }
    }

    // ---- Power-loss tracking. Every method below runs under _trackSync. ----

    /// <summary>The tracked identity of the file now at <paramref name="path"/> (created on first sight: an existing, durable file).</summary>
    private Node NodeOf(string path)
    {
        var key = Normalize(path);
        if (!_nodes.TryGetValue(key, out var node))
        {
            node = new Node(key);
            _nodes[key] = node;
        }

        return node;
    }

    /// <summary>Before the first change of <paramref name="node"/> since its last flush: keeps its bytes, which a power loss brings back.</summary>
    private void Snapshot(Node node, IStorageFile? through)
    {
        if (node.DurableContent is not null)
        {
            return;
        }

        byte[] content;
        if (through is not null)
        {
            content = ReadAll(through);
        }
        else
        {
            using var reader = inner.OpenFile(node.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            content = ReadAll(reader);
        }

        node.DurableContent = content;
        _journal.Add(new DataChanged(node));
    }

    private static byte[] ReadAll(IStorageFile file)
    {
        var content = new byte[file.Length];
        file.ReadExactly(0, content);
        return content;
    }

    /// <summary>A flush of the file made its data durable.</summary>
    private void CommitData(Node node)
    {
        if (node.DurableContent is null)
        {
            return;
        }

        node.DurableContent = null;
        _journal.RemoveAll(p => p is DataChanged d && ReferenceEquals(d.Node, node));
    }

    /// <summary>Moves a file out of sight under a hidden name in its directory, where a power loss can bring it back.</summary>
    private void Bury(Node node)
    {
        var grave = Path.Combine(DirectoryOf(node.Path), Invariant($"{GraveyardPrefix}{++_graveyardSequence}-{Path.GetFileName(node.Path)}"));
        inner.MoveFile(node.Path, grave, overwrite: false);
        _nodes.Remove(node.Path);
        node.Path = grave;
        _nodes[grave] = node;
    }

    private void Resurrect(Node node, string path)
    {
        inner.MoveFile(node.Path, path, overwrite: false);
        _nodes.Remove(node.Path);
        node.Path = path;
        _nodes[path] = node;
    }

    private void Purge(Node node)
    {
        inner.DeleteFile(node.Path);
        _nodes.Remove(node.Path);
        node.Gone = true;
    }

    /// <summary>Applies a flush of <paramref name="dir"/> to a pending change: null when it is now durable, else what is still pending.</summary>
    private Pending? Commit(Pending pending, string dir)
    {
        switch (pending)
        {
            case EntryCreated c when c.Directory == dir:
                return null;
            case EntryRemoved r when r.Directory == dir:
                Purge(r.Node);
                return null;
            case EntryRenamed m when m.SourceDirectory == dir || m.TargetDirectory == dir:
                var renamed = m with { SourceFlushed = m.SourceFlushed || m.SourceDirectory == dir, TargetFlushed = m.TargetFlushed || m.TargetDirectory == dir };
                if (!renamed.SourceFlushed || !renamed.TargetFlushed)
                {
                    return renamed;
                }

                if (m.Replaced is { } replaced)
                {
                    Purge(replaced);
                }

                return null;
            case DirectoryCreated d when d.Parent == dir:
                return null;
            case DirectoryMoved v when v.SourceParent == dir || v.TargetParent == dir:
                var moved = v with { SourceFlushed = v.SourceFlushed || v.SourceParent == dir, TargetFlushed = v.TargetFlushed || v.TargetParent == dir };
                return moved.SourceFlushed && moved.TargetFlushed ? null : moved;
            default:
                return pending;
        }
    }

    /// <summary>Takes one pending change back (the newer ones are already taken back); returns what it did.</summary>
    private string? Undo(Pending pending)
    {
        switch (pending)
        {
            case DataChanged d when !d.Node.Gone && d.Node.DurableContent is { } content:
                using (var file = inner.OpenFile(d.Node.Path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
                {
                    file.SetLength(content.Length);
                    if (content.Length > 0)
                    {
                        file.Write(0, content);
                    }
                }

                return Invariant($"unflushed data of {d.Node.Path}: back to its {content.Length} durable bytes");
            case EntryCreated c when !c.Node.Gone:
                Purge(c.Node);
                return "unflushed creation of " + c.Node.Path;
            case EntryRemoved r:
                Resurrect(r.Node, r.Path);
                return "unflushed deletion of " + r.Path;
            case EntryRenamed m:
                inner.MoveFile(m.Node.Path, m.Source, overwrite: false);
                _nodes.Remove(m.Node.Path);
                m.Node.Path = m.Source;
                _nodes[m.Source] = m.Node;
                if (m.Replaced is { } replaced)
                {
                    Resurrect(replaced, m.Target);
                }

                return $"unflushed rename of {m.Source} to {m.Target}";
            case DirectoryCreated d when Directory.Exists(d.Path):
                Directory.Delete(d.Path, recursive: true);
                foreach (var node in _nodes.Values.Where(n => IsUnder(n.Path, d.Path)).ToList())
                {
                    _nodes.Remove(node.Path);
                    node.Gone = true;
                }

                return "unflushed creation of directory " + d.Path;
            case DirectoryMoved v:
                Directory.Move(v.Target, v.Source);
                Rebase(v.Target, v.Source);
                return $"unflushed rename of directory {v.Source} to {v.Target}";
            default:
                return null;
        }
    }

    /// <summary>Everything tracked under directory <paramref name="from"/> is now under <paramref name="to"/>.</summary>
    private void Rebase(string from, string to)
    {
        foreach (var node in _nodes.Values.ToList())
        {
            var moved = RebasePath(node.Path, from, to);
            if (moved != node.Path)
            {
                _nodes.Remove(node.Path);
                node.Path = moved;
                _nodes[moved] = node;
            }
        }

        for (var i = 0; i < _journal.Count; i++)
        {
            _journal[i] = _journal[i] switch
            {
                EntryCreated c => c with { Directory = RebasePath(c.Directory, from, to) },
                EntryRemoved r => r with { Directory = RebasePath(r.Directory, from, to), Path = RebasePath(r.Path, from, to) },
                EntryRenamed m => m with
                {
                    SourceDirectory = RebasePath(m.SourceDirectory, from, to),
                    Source = RebasePath(m.Source, from, to),
                    TargetDirectory = RebasePath(m.TargetDirectory, from, to),
                    Target = RebasePath(m.Target, from, to),
                },
                DirectoryCreated d => d with { Parent = RebasePath(d.Parent, from, to), Path = RebasePath(d.Path, from, to) },
                DirectoryMoved v => v with
                {
                    SourceParent = RebasePath(v.SourceParent, from, to),
                    Source = RebasePath(v.Source, from, to),
                    TargetParent = RebasePath(v.TargetParent, from, to),
                    Target = RebasePath(v.Target, from, to),
                },
                var other => other,
            };
        }
    }

    /// <summary>A file as the tracker follows it through renames; <see cref="DurableContent"/> is set while it has unflushed changes.</summary>
    private sealed class Node(string path)
    {
        public string Path { get; set; } = path;

        public byte[]? DurableContent { get; set; }

        public bool Gone { get; set; }
    }

    private abstract record Pending;

    private sealed record DataChanged(Node Node) : Pending;

    private sealed record EntryCreated(string Directory, Node Node) : Pending;

    private sealed record EntryRemoved(string Directory, string Path, Node Node) : Pending;

    private sealed record EntryRenamed(string SourceDirectory, string Source, string TargetDirectory, string Target, Node Node, Node? Replaced) : Pending
    {
        public bool SourceFlushed { get; init; }

        public bool TargetFlushed { get; init; }
    }

    private sealed record DirectoryCreated(string Parent, string Path) : Pending;

    private sealed record DirectoryMoved(string SourceParent, string Source, string TargetParent, string Target) : Pending
    {
        public bool SourceFlushed { get; init; }

        public bool TargetFlushed { get; init; }
    }

    private sealed class FaultyFile(FaultInjectingFileSystem owner, IStorageFile inner, Node? node) : IStorageFile
    {
        public string Path => inner.Path;

        public long Length => inner.Length;

        public void SetLength(long length)
        {
            owner.BeginOperation(FileSystemOperationKind.SetLength, Path, length.ToString(CultureInfo.InvariantCulture), checkReadOnly: true);
            if (node is null)
            {
                inner.SetLength(length);
                return;
            }

            lock (owner._trackSync)
            {
                owner.Snapshot(node, inner);
                inner.SetLength(length);
            }
        }

        public int Read(long offset, Span<byte> buffer) => inner.Read(offset, buffer);

        public void Write(long offset, ReadOnlySpan<byte> buffer)
        {
            owner.BeginOperation(FileSystemOperationKind.Write, Path, Invariant($"@{offset} +{buffer.Length}"), checkReadOnly: true);
            if (node is null)
            {
                WriteCore(offset, buffer);
                return;
            }

            lock (owner._trackSync)
            {
                owner.Snapshot(node, inner);
                WriteCore(offset, buffer);
            }
        }

        public void Flush(bool dataOnly)
        {
            owner.BeginOperation(FileSystemOperationKind.Flush, Path, dataOnly ? "data only" : null, checkReadOnly: false);
            owner.CountFlush(Path);
            if (node is null)
            {
                inner.Flush(dataOnly);
                return;
            }

            lock (owner._trackSync)
            {
                inner.Flush(dataOnly);
                owner.CommitData(node);
            }
        }

        public IReadOnlyFileMapping? TryMapReadOnly(long length)
        {
            if (!owner.AllowMapping)
            {
                return null;
            }

            var mapping = inner.TryMapReadOnly(length);
            if (mapping is not null)
            {
                Interlocked.Increment(ref owner._mappingCount);
            }

            return mapping;
        }

        public void Dispose() => inner.Dispose();

        private void WriteCore(long offset, ReadOnlySpan<byte> buffer)
        {
            if (!owner.WriteFilter(Path))
            {
                inner.Write(offset, buffer);
                return;
            }

            owner.ReserveWrite(Path, buffer.Length, out var allowed);
            if (allowed < buffer.Length)
            {
                if (allowed > 0)
                {
                    inner.Write(offset, buffer[..(int)allowed]);
                }

                throw new IOException($"Injected fault: write to '{Path}' torn after {allowed} of {buffer.Length} bytes.");
            }

            inner.Write(offset, buffer);
        }
    }
}
