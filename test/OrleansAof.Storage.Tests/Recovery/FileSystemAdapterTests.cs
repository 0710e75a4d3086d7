using FluentAssertions;
using OrleansAof.Storage.IO;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Recovery;

/// <summary>Smoke tests of both file-system adapters: what the engine relies on, per platform where platforms differ.</summary>
[Trait(TestCategories.Name, TestCategories.Fast)]
public class FileSystemAdapterTests : IDisposable
{
    private readonly TempDirectory _temp = new("fs");

    public static TheoryData<string> Adapters => ["physical", "fault-injecting", "fault-injecting-power-loss"];

    [Theory]
    [MemberData(nameof(Adapters))]
    public void Files_CreateWriteReadCopyMoveDelete_BehaveAsDocumented(string adapter)
    {
        var fs = Create(adapter);
        var dir = Path.Combine(_temp.Path, "a", "b");
        fs.DirectoryExists(dir).Should().BeFalse();
        fs.CreateDirectory(dir);
        fs.CreateDirectory(dir);
        fs.DirectoryExists(dir).Should().BeTrue();
        var path = Path.Combine(dir, "f.bin");

        using (var file = fs.OpenFile(path, FileMode.CreateNew, FileAccess.ReadWrite))
        {
            file.Path.Should().Be(path);
            file.Write(0, "hello"u8);
            file.Write(100, "world"u8);
            file.Length.Should().Be(105, "a write past the end extends the file");
            var buffer = new byte[105];
            file.ReadExactly(0, buffer);
            buffer.AsSpan(0, 5).ToArray().Should().Equal("hello"u8.ToArray());
            buffer.AsSpan(5, 95).ToArray().Should().OnlyContain(static b => b == 0, "the gap reads as zeros");
            buffer.AsSpan(100).ToArray().Should().Equal("world"u8.ToArray());
            file.Write(1, "ipp"u8);
            var middle = new byte[5];
            file.Read(0, middle).Should().Be(5);
            middle.Should().Equal("hippo"u8.ToArray());
            file.ReadAtMost(103, new byte[10]).Should().Be(2, "reads stop at the end of the file");
            var beyond = () => file.ReadExactly(103, new byte[10]);
            beyond.Should().Throw<EndOfStreamException>();
            file.SetLength(200);
            file.Length.Should().Be(200);
            file.ReadAtMost(150, new byte[50]).Should().Be(50);
            file.SetLength(3);
            file.Length.Should().Be(3);
            file.Flush(dataOnly: true);
            file.Flush(dataOnly: false);
        }

        fs.FlushDirectory(dir);
        fs.GetFileLength(path).Should().Be(3);
        var create = () => fs.OpenFile(path, FileMode.CreateNew, FileAccess.ReadWrite);
        create.Should().Throw<IOException>("CreateNew refuses an existing file");

        var copy = Path.Combine(dir, "copy.bin");
        fs.CopyFile(path, copy, overwrite: false);
        File.ReadAllBytes(copy).Should().Equal("hip"u8.ToArray());
        var copyAgain = () => fs.CopyFile(path, copy, overwrite: false);
        copyAgain.Should().Throw<IOException>();
        fs.CopyFile(path, copy, overwrite: true);

        var moved = Path.Combine(dir, "moved.bin");
        fs.MoveFile(copy, moved, overwrite: false);
        fs.FileExists(copy).Should().BeFalse();
        File.ReadAllBytes(moved).Should().Equal("hip"u8.ToArray());
        File.WriteAllBytes(copy, [1, 2]);
        var moveOnto = () => fs.MoveFile(copy, moved, overwrite: false);
        moveOnto.Should().Throw<IOException>();
        fs.MoveFile(copy, moved, overwrite: true);
        File.ReadAllBytes(moved).Should().Equal([1, 2]);

        fs.DeleteFile(moved);
        fs.FileExists(moved).Should().BeFalse();
        fs.DeleteFile(moved);
    }

    [Theory]
    [MemberData(nameof(Adapters))]
    public void ListFiles_MatchesThePatternAndSortsOrdinally(string adapter)
    {
        var fs = Create(adapter);
        fs.ListFiles(Path.Combine(_temp.Path, "missing"), "*").Should().BeEmpty();
        foreach (var name in new[] { "b.seg", "a.seg", "B.seg", "10.seg", "9.seg", "a.txt" })
        {
            File.WriteAllBytes(Path.Combine(_temp.Path, name), []);
        }

        fs.ListFiles(_temp.Path, "*.seg").Select(Path.GetFileName).Should().Equal("10.seg", "9.seg", "B.seg", "a.seg", "b.seg");
    }

    [Theory]
    [MemberData(nameof(Adapters))]
    public void ExclusiveOpen_SecondOpenInTheSameProcess_IsRefusedUntilTheFirstCloses(string adapter)
    {
        var fs = Create(adapter);
        var path = Path.Combine(_temp.Path, "lock");
        using (fs.OpenFile(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            var exclusive = () => fs.OpenFile(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            exclusive.Should().Throw<IOException>();
            var shared = () => fs.OpenFile(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            shared.Should().Throw<IOException>("an exclusive open keeps readers out too");
        }

        using var again = fs.OpenFile(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
    }

    [Fact]
    public async Task ExclusiveOpen_HeldByAnotherProcess_IsRefusedHereAndTheOtherWay()
    {
        var path = Path.Combine(_temp.Path, "lock");
        await using (var child = ChildProcess.Start(["lock-file", path]))
        {
            await child.WaitForLineAsync(static l => l == "acquired", "the child holds the lock");
            var open = () => PhysicalFileSystem.Instance.OpenFile(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            open.Should().Throw<IOException>("another process holds the file exclusively");
            child.CloseInput();
            (await child.WaitForExitAsync()).Should().Be(0);
        }

        using (PhysicalFileSystem.Instance.OpenFile(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            await using var child = ChildProcess.Start(["lock-file", path]);
            (await child.WaitForExitAsync()).Should().Be(0);
            child.Lines.Should().Equal("refused");
        }
    }

    [Theory]
    [MemberData(nameof(Adapters))]
    public void OpenForReading_RenameAndDelete_SucceedAndTheReaderKeepsItsBytes(string adapter)
    {
        // PhysicalFileSystem adds FileShare.Delete, so a sealed segment can be renamed or deleted under a reader on Windows
        // as on Unix; the open handle keeps reading the original bytes on both.
        var fs = Create(adapter);
        var path = Path.Combine(_temp.Path, "segment");
        File.WriteAllBytes(path, [1, 2, 3, 4]);
        using var reader = fs.OpenFile(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var renamed = Path.Combine(_temp.Path, "renamed");
        fs.MoveFile(path, renamed, overwrite: false);
        fs.FileExists(path).Should().BeFalse();
        fs.FileExists(renamed).Should().BeTrue();
        var bytes = new byte[4];
        reader.ReadExactly(0, bytes);
        bytes.Should().Equal(1, 2, 3, 4);

        fs.DeleteFile(renamed);
        if (!OperatingSystem.IsWindows())
        {
            // Windows may keep the name until the last handle closes (delete pending), unless the volume uses POSIX delete semantics.
            fs.FileExists(renamed).Should().BeFalse();
        }

        reader.ReadExactly(0, bytes);
        bytes.Should().Equal(1, 2, 3, 4);
    }

    [Fact]
    public void FaultInjection_WriteFilter_CountsOnlyMatchingFiles()
    {
        var fs = new FaultInjectingFileSystem { WriteFilter = static p => p.EndsWith(".seg", StringComparison.Ordinal) };
        using (var seg = fs.OpenFile(Path.Combine(_temp.Path, "x.seg"), FileMode.Create, FileAccess.Write))
        using (var other = fs.OpenFile(Path.Combine(_temp.Path, "x.other"), FileMode.Create, FileAccess.Write))
        {
            seg.Write(0, new byte[10]);
            other.Write(0, new byte[100]);
            seg.Write(10, new byte[5]);
            seg.Flush(true);
        }

        fs.BytesWritten.Should().Be(15);
        fs.WriteCount.Should().Be(2);
        fs.FlushCount.Should().Be(1);
        fs.CopyFile(Path.Combine(_temp.Path, "x.other"), Path.Combine(_temp.Path, "y.seg"), overwrite: false);
        fs.BytesWritten.Should().Be(115, "a copy onto a matching file counts its bytes");
    }

    [Fact]
    public void FaultInjection_TearAtByte_WritesThePrefixAndThenBehavesLikeADeadProcess()
    {
        var fs = new FaultInjectingFileSystem();
        var path = Path.Combine(_temp.Path, "torn");
        using (var file = fs.OpenFile(path, FileMode.Create, FileAccess.ReadWrite))
        {
            file.Write(0, [1, 2, 3]);
            fs.TearAtByte(5);
            var torn = () => file.Write(3, [4, 5, 6, 7]);
            torn.Should().Throw<IOException>().WithMessage("*torn after 2 of 4 bytes*");
            fs.Crashed.Should().BeTrue();
            var write = () => file.Write(0, [9]);
            write.Should().Throw<IOException>();
            var flush = () => file.Flush(true);
            flush.Should().Throw<IOException>();
            var setLength = () => file.SetLength(0);
            setLength.Should().Throw<IOException>();
            file.ReadAtMost(0, new byte[10]).Should().Be(5, "reads still work: the file is what reached the disk");
        }

        File.ReadAllBytes(path).Should().Equal(1, 2, 3, 4, 5);
        var open = () => fs.OpenFile(path, FileMode.Open, FileAccess.Write);
        open.Should().Throw<IOException>();
        ((Action)(() => fs.DeleteFile(path))).Should().Throw<IOException>();
        ((Action)(() => fs.MoveFile(path, path + "2", false))).Should().Throw<IOException>();
        ((Action)(() => fs.FlushDirectory(_temp.Path))).Should().Throw<IOException>();
        fs.ClearFaults();
        fs.Crashed.Should().BeTrue("a crash stays a crash");
    }

    [Fact]
    public void FaultInjection_DiskFullFailedFlushAndReadOnly_FailAsInjected()
    {
        var fs = new FaultInjectingFileSystem();
        var path = Path.Combine(_temp.Path, "f");
        using (var file = fs.OpenFile(path, FileMode.Create, FileAccess.ReadWrite))
        {
            fs.DiskFullAtByte(4);
            file.Write(0, [1, 2, 3]);
            var full = () => file.Write(3, [4, 5]);
            full.Should().Throw<IOException>().Which.HResult.Should().Be(28, "ENOSPC");
            file.Length.Should().Be(3, "a write that finds the disk full writes nothing");

            fs.FailFlushAfter(1);
            file.Flush(true);
            var flush = () => file.Flush(true);
            flush.Should().Throw<IOException>().Which.HResult.Should().Be(5, "EIO");
            flush.Should().Throw<IOException>("every later flush fails too");
            fs.ClearFaults();
            file.Flush(true);
            file.Write(3, [4, 5]);
        }

        fs.ReadOnly = true;
        var write = () => fs.OpenFile(path, FileMode.Open, FileAccess.ReadWrite);
        write.Should().Throw<UnauthorizedAccessException>();
        ((Action)(() => fs.CreateDirectory(Path.Combine(_temp.Path, "new")))).Should().Throw<UnauthorizedAccessException>();
        fs.CreateDirectory(_temp.Path);
        using var read = fs.OpenFile(path, FileMode.Open, FileAccess.Read);
        read.Length.Should().Be(5);
    }

    [Fact]
    public void FaultInjection_CrashAfterOperations_CountsEveryMutationAndRefusesTheNextOneAndAllLater()
    {
        var fs = new FaultInjectingFileSystem();
        var dir = Path.Combine(_temp.Path, "d");
        var path = Path.Combine(dir, "f");
        fs.CreateDirectory(dir);
        fs.CreateDirectory(dir);
        using (var file = fs.OpenFile(path, FileMode.CreateNew, FileAccess.ReadWrite))
        {
            file.Write(0, [1, 2, 3]);
            file.SetLength(2);
            file.Flush(dataOnly: true);
        }

        using (fs.OpenFile(path, FileMode.Open, FileAccess.ReadWrite))
        {
            // Opening an existing file without truncating it changes nothing: not counted.
        }

        fs.BeforeExternalWrite(Path.Combine(dir, "catalog.db"));
        fs.FlushDirectory(dir);
        fs.OperationCount.Should().Be(7);
        fs.Operations.Select(static o => o.Kind).Should().Equal(
            FileSystemOperationKind.CreateDirectory,
            FileSystemOperationKind.CreateFile,
            FileSystemOperationKind.Write,
            FileSystemOperationKind.SetLength,
            FileSystemOperationKind.Flush,
            FileSystemOperationKind.ExternalWrite,
            FileSystemOperationKind.FlushDirectory);
        fs.Operations.Select(static o => o.Number).Should().Equal(1, 2, 3, 4, 5, 6, 7);

        fs.CrashAfterOperations(2);
        fs.MoveFile(path, path + ".moved", overwrite: false);
        fs.CopyFile(path + ".moved", path, overwrite: false);
        var refused = () => fs.DeleteFile(path);
        refused.Should().Throw<IOException>().WithMessage("*#10*DeleteFile*");
        fs.Crashed.Should().BeTrue();
        File.Exists(path).Should().BeTrue("the refused delete did not happen");
        fs.OperationCount.Should().Be(9);
        fs.Operations[^1].Should().Be(new FileSystemOperation(10, FileSystemOperationKind.DeleteFile, path, null, Refused: true));
        ((Action)(() => fs.BeforeExternalWrite(Path.Combine(dir, "catalog.db")))).Should().Throw<IOException>("a dead process writes no catalog");
        ((Action)(() => fs.OpenFile(path, FileMode.Open, FileAccess.Write))).Should().Throw<IOException>();
        ((Action)(() => fs.CreateDirectory(Path.Combine(dir, "new")))).Should().Throw<IOException>();
        using var reader = fs.OpenFile(path, FileMode.Open, FileAccess.Read);
        reader.Length.Should().Be(2, "reads still work");
        fs.SimulateRestart().Should().BeEmpty("a killed process leaves the page cache as it was");
        File.ReadAllBytes(path).Should().Equal(1, 2);
    }

    [Fact]
    public void FaultInjection_CrashAfterFirst_PerformsTheMatchingOperationAndRefusesTheNext()
    {
        var fs = new FaultInjectingFileSystem();
        var a = Path.Combine(_temp.Path, "a");
        var b = Path.Combine(_temp.Path, "b");
        File.WriteAllBytes(a, [1]);
        File.WriteAllBytes(b, [2]);
        fs.CrashAfterFirst(static o => o.Kind == FileSystemOperationKind.DeleteFile);
        fs.FlushDirectory(_temp.Path);
        fs.DeleteFile(a);
        ((Action)(() => fs.DeleteFile(b))).Should().Throw<IOException>();
        File.Exists(a).Should().BeFalse();
        File.Exists(b).Should().BeTrue();
    }

    [Fact]
    public void FaultInjection_PowerLoss_KeepsExactlyWhatWasFlushed()
    {
        var dir = Path.Combine(_temp.Path, "p");
        Directory.CreateDirectory(dir);
        string P(string name) => Path.Combine(dir, name);
        foreach (var name in new[] { "unflushed-write", "flushed-write", "truncated", "deleted", "deleted-flushed", "replaced", "kept-under-rename" })
        {
            File.WriteAllBytes(P(name), [1, 2, 3, 4]);
        }

        var fs = new FaultInjectingFileSystem { CrashModel = CrashModel.PowerLoss };
        using (var f = fs.OpenFile(P("unflushed-write"), FileMode.Open, FileAccess.Write))
        {
            f.Write(1, [9, 9, 9, 9]);
        }

        using (var f = fs.OpenFile(P("flushed-write"), FileMode.Open, FileAccess.ReadWrite))
        {
            f.Write(1, [9, 9, 9, 9]);
            f.Flush(dataOnly: true);
            f.Write(0, [7]);
        }

        using (var f = fs.OpenFile(P("truncated"), FileMode.Open, FileAccess.ReadWrite))
        {
            f.SetLength(1);
        }

        using (var f = fs.OpenFile(P("new-listed-empty"), FileMode.CreateNew, FileAccess.Write))
        {
            f.Write(0, [5]);
        }

        using (var f = fs.OpenFile(P("new-durable"), FileMode.CreateNew, FileAccess.Write))
        {
            f.Write(0, [6, 6]);
            f.Flush(dataOnly: false);
        }

        fs.DeleteFile(P("deleted-flushed"));
        fs.FlushDirectory(dir);
        using (var f = fs.OpenFile(P("new-unlisted"), FileMode.CreateNew, FileAccess.Write))
        {
            f.Write(0, [5]);
            f.Flush(dataOnly: false);
        }

        fs.ListFiles(dir, "*").Select(Path.GetFileName).Should().NotContain("deleted-flushed").And.OnlyContain(static n => !n!.StartsWith('.'), "buried files are not listed");
        fs.DeleteFile(P("deleted"));
        fs.FileExists(P("deleted")).Should().BeFalse();
        fs.ListFiles(dir, "*").Select(Path.GetFileName).Should().NotContain("deleted").And.OnlyContain(static n => !n!.StartsWith('.'), "buried files are not listed");
        using (var f = fs.OpenFile(P("replaced.tmp"), FileMode.CreateNew, FileAccess.Write))
        {
            f.Write(0, [8]);
            f.Flush(dataOnly: false);
        }

        fs.MoveFile(P("replaced.tmp"), P("replaced"), overwrite: true);
        fs.MoveFile(P("kept-under-rename"), P("renamed"), overwrite: false);
        var sub = Path.Combine(dir, "sub", "deeper");
        fs.CreateDirectory(sub);
        using (var f = fs.OpenFile(Path.Combine(sub, "file"), FileMode.CreateNew, FileAccess.Write))
        {
            f.Write(0, [1]);
            f.Flush(dataOnly: false);
        }

        fs.FlushDirectory(sub);
        File.ReadAllBytes(P("replaced")).Should().Equal(8);
        var refuse = () => fs.SimulateRestart();
        refuse.Should().Throw<InvalidOperationException>("only a crashed process restarts");

        fs.Crash();
        var undone = fs.SimulateRestart();
        File.ReadAllBytes(P("unflushed-write")).Should().Equal(1, 2, 3, 4);
        File.ReadAllBytes(P("flushed-write")).Should().Equal([1, 9, 9, 9, 9], "the flushed write stays, the later one is gone");
        File.ReadAllBytes(P("truncated")).Should().Equal(1, 2, 3, 4);
        File.Exists(P("new-unlisted")).Should().BeFalse("its data was flushed but its directory entry was not");
        File.ReadAllBytes(P("new-listed-empty")).Should().BeEmpty("its directory entry was flushed but its data was not");
        File.ReadAllBytes(P("new-durable")).Should().Equal(6, 6);
        File.Exists(P("new-durable")).Should().BeTrue();
        File.Exists(P("deleted-flushed")).Should().BeFalse();
        File.ReadAllBytes(P("deleted")).Should().Equal(1, 2, 3, 4);
        File.ReadAllBytes(P("replaced")).Should().Equal([1, 2, 3, 4], "the rename over it was not flushed");
        File.Exists(P("replaced.tmp")).Should().BeFalse("the temporary file's own creation was not flushed either");
        File.ReadAllBytes(P("kept-under-rename")).Should().Equal(1, 2, 3, 4);
        File.Exists(P("renamed")).Should().BeFalse();
        Directory.Exists(Path.Combine(dir, "sub")).Should().BeFalse("a directory whose parent was not flushed is gone with its files");
        Directory.GetFiles(dir).Select(Path.GetFileName).Should().BeEquivalentTo(
            ["unflushed-write", "flushed-write", "truncated", "new-listed-empty", "new-durable", "deleted", "replaced", "kept-under-rename"],
            "nothing else is left behind (no buried files)");
        undone.Should().NotBeEmpty();
        var again = () => fs.SimulateRestart();
        again.Should().Throw<InvalidOperationException>();
    }

    [Fact]
    public void FaultInjection_PowerLoss_RenamesAndDirectoryMovesNeedTheirDirectoriesFlushed()
    {
        var a = Path.Combine(_temp.Path, "a");
        var b = Path.Combine(_temp.Path, "b");
        Directory.CreateDirectory(a);
        Directory.CreateDirectory(b);
        File.WriteAllBytes(Path.Combine(a, "half"), [1]);
        File.WriteAllBytes(Path.Combine(a, "whole"), [2]);
        Directory.CreateDirectory(Path.Combine(_temp.Path, "folder"));
        File.WriteAllBytes(Path.Combine(_temp.Path, "folder", "inside"), [3]);

        var fs = new FaultInjectingFileSystem { CrashModel = CrashModel.PowerLoss };
        using (var f = fs.OpenFile(Path.Combine(_temp.Path, "folder", "inside"), FileMode.Open, FileAccess.Write))
        {
            f.Write(0, [4]);
        }

        fs.MoveDirectory(Path.Combine(_temp.Path, "folder"), Path.Combine(b, "folder"));
        File.ReadAllBytes(Path.Combine(b, "folder", "inside")).Should().Equal(4);
        fs.MoveFile(Path.Combine(a, "whole"), Path.Combine(b, "whole"), overwrite: false);
        fs.FlushDirectory(a);
        fs.FlushDirectory(b);
        fs.MoveFile(Path.Combine(a, "half"), Path.Combine(b, "half"), overwrite: false);
        fs.FlushDirectory(a);

        fs.Crash();
        fs.SimulateRestart();
        File.ReadAllBytes(Path.Combine(b, "whole")).Should().Equal([2], "both directories of this rename were flushed after it");
        File.Exists(Path.Combine(a, "whole")).Should().BeFalse();
        File.ReadAllBytes(Path.Combine(a, "half")).Should().Equal([1], "only the source directory was flushed after this rename");
        File.Exists(Path.Combine(b, "half")).Should().BeFalse();
        Directory.Exists(Path.Combine(b, "folder")).Should().BeFalse("the directory's old parent was never flushed");
        File.ReadAllBytes(Path.Combine(_temp.Path, "folder", "inside")).Should().Equal([3], "the unflushed write inside the moved folder is gone too");
    }

    public void Dispose()
    {
        _temp.Dispose();
        GC.SuppressFinalize(this);
    }

    private static IFileSystem Create(string adapter) => adapter switch
    {
        "physical" => PhysicalFileSystem.Instance,
        "fault-injecting-power-loss" => new FaultInjectingFileSystem { CrashModel = CrashModel.PowerLoss },
        _ => new FaultInjectingFileSystem(),
    };
}
