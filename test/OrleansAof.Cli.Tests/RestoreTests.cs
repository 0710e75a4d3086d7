using OrleansAof.Storage;
using OrleansAof.Storage.Archive;
using OrleansAof.Storage.IO;
using OrleansAof.TestInfrastructure;

namespace OrleansAof.Cli.Tests;

/// <summary>aof restore from a file-system archive into a lost partition folder.</summary>
public sealed class RestoreTests : CliTestBase
{
    private string ArchiveRoot => Temp.Combine("archive");

    private FileSystemArchive Archive() => new(new FileSystemArchiveOptions { RootPath = ArchiveRoot }, PhysicalFileSystem.Instance, TimeProvider.System, null);

    private Task<PartitionLog> OpenWithArchiveAsync() =>
        PartitionLog.OpenAsync("orders", "0", Options(), new PartitionLogEnvironment { Archive = Archive() });

    [Fact]
    [Trait(TestCategories.Name, TestCategories.Fast)]
    public async Task LostPartitionFolder_RestoreRebuildsFromTheArchive_AndAppendsContinueAfterTheArchivedLastId()
    {
        Directory.CreateDirectory(ArchiveRoot);
        await WriteAsync(40);
        await using (var log = await OpenWithArchiveAsync())
        {
            (await log.ArchiveNextAsync())!.BaseId.Should().Be(0);
            (await log.ArchiveNextAsync())!.BaseId.Should().Be(17);
            (await log.ArchiveNextAsync()).Should().BeNull();
        }

        Directory.Delete(PartitionDir, recursive: true);

        var run = await RunAsync("restore", "--data-root", Temp.Path, "--log", "orders", "--partition", "0", "--archive-path", ArchiveRoot, "--json");

        run.ExitCode.Should().Be(ExitCodes.Ok, run.ToString());
        var json = run.Json;
        json.GetProperty("archivedSegments").GetInt32().Should().Be(2);
        json.GetProperty("downloaded").EnumerateArray().Select(static d => d.GetString()).Should().Equal("00000000000000000017.aofseg");
        json.GetProperty("state").GetString().Should().Be("Open");
        json.GetProperty("lastId").GetInt64().Should().Be(33);
        json.GetProperty("nextId").GetInt64().Should().Be(34);
        json.GetProperty("segments").EnumerateArray().Select(static s => (s.GetProperty("baseId").GetInt64(), s.GetProperty("status").GetString()))
            .Should().Equal((0L, "LocalEvicted"), (17L, "Archived"), (34L, "Active"));

        await using var restored = await OpenWithArchiveAsync();
        restored.LastId.Should().Be(33);
        var records = await ReadAllAsync(restored);
        records.Select(static r => r.Id).Should().Equal(Enumerable.Range(0, 34).Select(static i => (long)i));
        records.Should().AllSatisfy(r => r.Payload.ToArray().Should().Equal(Payload(r.Id)));
        (await restored.AppendAsync(Payload(34))).FirstId.Should().Be(34);
    }

    /// <summary>An id bound store holding one bound (the server keeps it in the cluster's grain storage).</summary>
    private sealed class OneBound(long bound) : IIdBoundStore
    {
        public long Bound { get; private set; } = bound;

        public Task<long?> ReadAsync(string log, string partition, CancellationToken cancellationToken) => Task.FromResult<long?>(Bound);

        public Task WriteAsync(string log, string partition, long bound, CancellationToken cancellationToken)
        {
            Bound = bound;
            return Task.CompletedTask;
        }
    }

    [Fact]
    [Trait(TestCategories.Name, TestCategories.Fast)]
    public async Task LostPartitionFolder_RestoreWithSkipLostIds_TheNextOpenWithTheBoundContinuesAfterItLeavingAGap()
    {
        Directory.CreateDirectory(ArchiveRoot);
        await WriteAsync(40);
        await using (var log = await OpenWithArchiveAsync())
        {
            while (await log.ArchiveNextAsync() is not null)
            {
            }
        }

        Directory.Delete(PartitionDir, recursive: true);
        var store = new OneBound(500);
        var environment = new PartitionLogEnvironment { Archive = Archive(), IdBounds = store };

        var plain = await RunAsync("restore", "--data-root", Temp.Path, "--log", "orders", "--partition", "0", "--archive-path", ArchiveRoot);
        plain.ExitCode.Should().Be(ExitCodes.Ok, plain.ToString());
        var refused = await FluentActions.Invoking(() => PartitionLog.OpenAsync("orders", "0", Options(), environment)).Should().ThrowAsync<OrleansAof.Storage.PartitionDataLostException>();
        (refused.Which.HeldThrough, refused.Which.Bound).Should().Be((33L, 500L), "a plain restore does not decide about the lost ids");

        var skip = await RunAsync("restore", "--data-root", Temp.Path, "--log", "orders", "--partition", "0", "--archive-path", ArchiveRoot, "--skip-lost-ids");
        skip.ExitCode.Should().Be(ExitCodes.Ok, skip.ToString());
        await using var reopened = await PartitionLog.OpenAsync("orders", "0", Options(), environment);
        reopened.NextId.Should().Be(501);
        reopened.GetInfo().Segments.Should().ContainSingle(static s => s.Status == SegmentStatus.Missing && s.BaseId == 34 && s.LastId == 500);
        (await reopened.AppendAsync(Payload(501))).FirstId.Should().Be(501);
        store.Bound.Should().BeGreaterThan(501);
    }

    [Fact]
    [Trait(TestCategories.Name, TestCategories.Fast)]
    public async Task EmptyArchive_RestoreFails_AndCreatesNoEmptyPartition()
    {
        Directory.CreateDirectory(ArchiveRoot);

        var run = await RunAsync("restore", "--data-root", Temp.Path, "--log", "orders", "--partition", "0", "--archive-path", ArchiveRoot);
        var missingArchive = await RunAsync("restore", "--data-root", Temp.Path, "--log", "orders", "--partition", "0", "--archive-path", Temp.Combine("nope"));
        var missingOption = await RunAsync("restore", "--data-root", Temp.Path, "--log", "orders", "--archive-path", ArchiveRoot);

        run.ExitCode.Should().Be(ExitCodes.Failed, run.ToString());
        run.Stderr.Should().Contain("nothing to restore");
        Directory.Exists(PartitionDir).Should().BeFalse();
        missingArchive.ExitCode.Should().Be(ExitCodes.Usage, missingArchive.ToString());
        missingOption.ExitCode.Should().Be(ExitCodes.Usage, missingOption.ToString());
    }
}

/// <summary>aof restore from an S3 archive on a real S3-compatible server (s3rver).</summary>
public sealed class S3RestoreTests : CliTestBase
{
    [Fact]
    [Trait(TestCategories.Name, TestCategories.Integration)]
    public async Task LostPartitionFolder_RestoreFromS3_ContinuesAfterTheArchivedLastId()
    {
        using var server = await S3rverServer.StartNewAsync();
        var options = new OrleansAof.Archive.S3.S3ArchiveOptions
        {
            ServiceUrl = server.ServiceUrl,
            Bucket = "restore",
            ForcePathStyle = true,
            AccessKey = S3rverServer.AccessKey,
            SecretKey = S3rverServer.SecretKey,
            CompatibilityMode = true,
            CreateBucketIfMissing = true,
        };
        await WriteAsync(40);
        using (var s3 = new OrleansAof.Archive.S3.S3SegmentArchive(options))
        {
            await using var log = await PartitionLog.OpenAsync("orders", "0", Options(), new PartitionLogEnvironment { Archive = s3 });
            while (await log.ArchiveNextAsync() is not null)
            {
            }
        }

        Directory.Delete(PartitionDir, recursive: true);
        var run = await RunAsync(
            "restore", "--data-root", Temp.Path, "--log", "orders", "--partition", "0", "--s3-bucket", "restore",
            "--s3-service-url", server.ServiceUrl, "--s3-path-style", "--s3-compatibility-mode",
            "--s3-access-key", S3rverServer.AccessKey, "--s3-secret-key", S3rverServer.SecretKey, "--json");

        run.ExitCode.Should().Be(ExitCodes.Ok, run.ToString());
        run.Json.GetProperty("archivedSegments").GetInt32().Should().Be(2);
        run.Json.GetProperty("nextId").GetInt64().Should().Be(34);
        run.Stdout.Should().NotContain(S3rverServer.SecretKey + "\"", "credentials are never printed");
        var both = await RunAsync("restore", "--data-root", Temp.Path, "--log", "orders", "--partition", "0", "--s3-bucket", "restore", "--archive-path", Temp.Path);
        both.ExitCode.Should().Be(ExitCodes.Usage, both.ToString());
    }
}
