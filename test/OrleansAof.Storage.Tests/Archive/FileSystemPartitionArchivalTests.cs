using OrleansAof.Storage.Archive;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Storage.Tests.Archive;

[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class FileSystemPartitionArchivalTests : PartitionArchivalSuite
{
    private readonly FileSystemArchive _archive;

    public FileSystemPartitionArchivalTests()
    {
        _archive = new FileSystemArchive(new FileSystemArchiveOptions { RootPath = Temp.Combine("archive") });
    }

    protected override ISegmentArchive Archive => _archive;

    protected override void CorruptStoredObject(ArchiveObjectKey key)
    {
        var path = Path.Combine(_archive.RootPath, key.Log, key.Partition, key.FileName);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(path, bytes);
    }
}
