using Amazon.S3;
using Amazon.S3.Model;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Archive.S3.Tests;

/// <summary>One s3rver per test class, with one bucket; archives for tests are built over it.</summary>
public sealed class S3rverFixture : IAsyncLifetime
{
    public const string Bucket = "aof-tests";

    private S3rverServer? _server;

    public S3rverServer Server => _server ?? throw new InvalidOperationException("The fixture has not started.");

    public async Task InitializeAsync()
    {
        _server = await S3rverServer.StartNewAsync();
        using var client = S3ArchiveClientFactory.CreateClient(Options());
        await client.PutBucketAsync(new PutBucketRequest { BucketName = Bucket });
    }

    public Task DisposeAsync()
    {
        _server?.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Options for the server: compatibility mode on, 5 MiB multipart threshold and parts, 7 keys per list page, no SDK retries.</summary>
    public S3ArchiveOptions Options(Action<S3ArchiveOptions>? configure = null)
    {
        var options = new S3ArchiveOptions
        {
            ServiceUrl = Server.ServiceUrl,
            Bucket = Bucket,
            Prefix = "archive",
            ForcePathStyle = true,
            AccessKey = S3rverServer.AccessKey,
            SecretKey = S3rverServer.SecretKey,
            MultipartThresholdBytes = S3ArchiveOptions.MinimumPartSizeBytes,
            PartSizeBytes = S3ArchiveOptions.MinimumPartSizeBytes,
            CompatibilityMode = true,
            ListPageSize = 7,
            MaxErrorRetry = 0,
            RequestTimeout = TimeSpan.FromSeconds(30),
        };
        configure?.Invoke(options);
        return options;
    }

    public S3SegmentArchive CreateArchive(Action<S3ArchiveOptions>? configure = null) => new(Options(configure));

    /// <summary>The file in s3rver's data folder that holds an object's bytes.</summary>
    public string StoredObjectPath(string objectKey) => Server.StoredObjectPath(Bucket, objectKey);

    /// <summary>A raw client, for looking at objects without the archive.</summary>
    public IAmazonS3 CreateClient() => S3ArchiveClientFactory.CreateClient(Options());
}
