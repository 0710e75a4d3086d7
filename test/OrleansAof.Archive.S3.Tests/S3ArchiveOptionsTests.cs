using System.Net;
using System.Net.Sockets;
using Amazon.S3;
using FluentAssertions;
using OrleansAof.Storage;
using OrleansAof.Storage.Archive;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Archive.S3.Tests;

[Trait(TestCategories.Name, TestCategories.Fast)]
public sealed class S3ArchiveOptionsTests
{
    private static S3ArchiveOptions Valid() => new()
    {
        ServiceUrl = "http://127.0.0.1:9",
        Bucket = "aof-archive",
        AccessKey = "AKIDEXAMPLE",
        SecretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    };

    public static TheoryData<Action<S3ArchiveOptions>, string, string> InvalidOptions => new()
    {
        { o => { o.ServiceUrl = null; o.Region = null; }, "S3ArchiveOptions.ServiceUrl", "S3ArchiveOptions.ServiceUrl or S3ArchiveOptions.Region is required." },
        { o => o.ServiceUrl = "localhost:9000", "S3ArchiveOptions.ServiceUrl", "S3ArchiveOptions.ServiceUrl must be an absolute http or https URL; it is 'localhost:9000'." },
        { o => o.Bucket = "", "S3ArchiveOptions.Bucket", "S3ArchiveOptions.Bucket is required." },
        { o => o.Bucket = "Upper_Case", "S3ArchiveOptions.Bucket", "S3ArchiveOptions.Bucket must be 3-63 characters*" },
        { o => o.Prefix = "/leading", "S3ArchiveOptions.Prefix", "S3ArchiveOptions.Prefix must be empty or names*" },
        { o => o.Prefix = "a//b", "S3ArchiveOptions.Prefix", "S3ArchiveOptions.Prefix must be empty or names*" },
        { o => o.Prefix = "a/../b", "S3ArchiveOptions.Prefix", "S3ArchiveOptions.Prefix must be empty or names*" },
        { o => o.SecretKey = null, "S3ArchiveOptions.SecretKey", "S3ArchiveOptions.SecretKey is required when AccessKey is set*" },
        { o => o.AccessKey = null, "S3ArchiveOptions.AccessKey", "S3ArchiveOptions.AccessKey is required when SecretKey is set*" },
        { o => o.MultipartThresholdBytes = 1024, "S3ArchiveOptions.MultipartThresholdBytes", "S3ArchiveOptions.MultipartThresholdBytes must be between 5 MiB and 5 GiB; it is 1024." },
        { o => o.PartSizeBytes = 1024 * 1024, "S3ArchiveOptions.PartSizeBytes", "S3ArchiveOptions.PartSizeBytes must be between 5 MiB and 512 MiB; it is 1048576." },
        { o => o.Compression = (S3ArchiveCompression)7, "S3ArchiveOptions.Compression", "S3ArchiveOptions.Compression has an unknown value 7." },
        { o => o.ZstdLevel = 0, "S3ArchiveOptions.ZstdLevel", "S3ArchiveOptions.ZstdLevel must be between 1 and 22; it is 0." },
        { o => o.MaxErrorRetry = -1, "S3ArchiveOptions.MaxErrorRetry", "S3ArchiveOptions.MaxErrorRetry must be between 0 and 10; it is -1." },
        { o => o.RequestTimeout = TimeSpan.Zero, "S3ArchiveOptions.RequestTimeout", "S3ArchiveOptions.RequestTimeout must be positive; it is 00:00:00." },
        { o => o.ListPageSize = 1001, "S3ArchiveOptions.ListPageSize", "S3ArchiveOptions.ListPageSize must be between 1 and 1000; it is 1001." },
        { o => o.StagingDirectory = "tmp", "S3ArchiveOptions.StagingDirectory", "S3ArchiveOptions.StagingDirectory must be an absolute path when set; it is 'tmp'." },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void Constructor_InvalidOption_ThrowsNamingTheOption(Action<S3ArchiveOptions> change, string optionName, string message)
    {
        var options = Valid();
        change(options);

        var create = () => new S3SegmentArchive(options);

        var error = create.Should().Throw<InvalidLogOptionsException>().WithMessage(message).Which;
        error.OptionName.Should().Be(optionName);
    }

    [Fact]
    public void Validate_RegionWithoutServiceUrlAndNoCredentials_IsValid()
    {
        var options = new S3ArchiveOptions { Region = "eu-west-1", Bucket = "aof-archive", Prefix = "prod/archive/" };

        options.Validate();
        using var archive = new S3SegmentArchive(options);

        archive.ObjectKeyOf(new ArchiveObjectKey("orders", "p0", "00000000000000000000.aofseg")).Should().Be("prod/archive/orders/p0/00000000000000000000.aofseg");
        archive.Description.Should().Be("S3 archive s3://aof-archive/prod/archive at region eu-west-1, compression none");
    }

    [Fact]
    public void DescriptionAndToString_NeverContainCredentials()
    {
        var options = Valid();
        options.Compression = S3ArchiveCompression.Zstd;
        options.CompatibilityMode = true;
        using var archive = new S3SegmentArchive(options);

        foreach (var text in new[] { archive.Description, archive.ToString(), options.ToString() })
        {
            text.Should().NotContain("AKIDEXAMPLE").And.NotContain("wJalrXUtnFEMI");
        }

        archive.Description.Should().Be("S3 archive s3://aof-archive/ at http://127.0.0.1:9, compression zstd, compatibility mode");
        options.ToString().Should().Contain("Credentials = explicit (hidden)");
    }

    [Fact]
    public void ObjectKey_EmptyPrefix_HasNoLeadingSlash()
    {
        using var archive = new S3SegmentArchive(Valid());

        archive.ObjectKeyOf(new ArchiveObjectKey("orders", "p3", "00000000000000000100.aofseg")).Should().Be("orders/p3/00000000000000000100.aofseg");
    }

    [Fact]
    public void ClientFactory_CompatibilityMode_ChecksumsOnlyWhenRequired()
    {
        var options = Valid();
        options.CompatibilityMode = true;
        options.ForcePathStyle = true;

        var config = S3ArchiveClientFactory.CreateConfig(options);

        config.RequestChecksumCalculation.Should().Be(Amazon.Runtime.RequestChecksumCalculation.WHEN_REQUIRED);
        config.ResponseChecksumValidation.Should().Be(Amazon.Runtime.ResponseChecksumValidation.WHEN_REQUIRED);
        config.ForcePathStyle.Should().BeTrue();
        config.ServiceURL.Should().StartWith("http://127.0.0.1:9");
    }

    [Fact]
    public void IsTransient_ClassifiesErrors()
    {
        S3ArchiveErrors.IsTransient(new AmazonS3Exception("boom") { StatusCode = HttpStatusCode.InternalServerError }).Should().BeTrue();
        S3ArchiveErrors.IsTransient(new AmazonS3Exception("busy") { StatusCode = HttpStatusCode.ServiceUnavailable, ErrorCode = "SlowDown" }).Should().BeTrue();
        S3ArchiveErrors.IsTransient(new AmazonS3Exception("slow") { StatusCode = HttpStatusCode.TooManyRequests }).Should().BeTrue();
        S3ArchiveErrors.IsTransient(new AmazonS3Exception("timeout") { StatusCode = HttpStatusCode.BadRequest, ErrorCode = "RequestTimeout" }).Should().BeTrue();
        S3ArchiveErrors.IsTransient(new HttpRequestException("refused", new SocketException((int)SocketError.ConnectionRefused))).Should().BeTrue();
        S3ArchiveErrors.IsTransient(new TaskCanceledException("timed out", new TimeoutException())).Should().BeTrue();
        S3ArchiveErrors.IsTransient(new IOException("reset", new SocketException((int)SocketError.ConnectionReset))).Should().BeTrue();

        S3ArchiveErrors.IsTransient(new AmazonS3Exception("denied") { StatusCode = HttpStatusCode.Forbidden, ErrorCode = "AccessDenied" }).Should().BeFalse();
        S3ArchiveErrors.IsTransient(new AmazonS3Exception("gone") { StatusCode = HttpStatusCode.NotFound, ErrorCode = "NoSuchBucket" }).Should().BeFalse();
        S3ArchiveErrors.IsTransient(new ArchiveIntegrityException("k", "mismatch")).Should().BeFalse();
        S3ArchiveErrors.IsTransient(new ArchiveObjectNotFoundException("k")).Should().BeFalse();
        S3ArchiveErrors.IsTransient(new OperationCanceledException()).Should().BeFalse();
        S3ArchiveErrors.IsTransient(new FileNotFoundException("local")).Should().BeFalse();
        S3ArchiveErrors.IsTransient(new UnauthorizedAccessException()).Should().BeFalse();
    }

    public static TheoryData<Exception, ArchiveUnavailableReason, bool> Unavailable => new()
    {
        { new AmazonS3Exception("denied") { StatusCode = HttpStatusCode.Forbidden, ErrorCode = "AccessDenied" }, ArchiveUnavailableReason.AccessDenied, false },
        { new AmazonS3Exception("key") { StatusCode = HttpStatusCode.Forbidden, ErrorCode = "InvalidAccessKeyId" }, ArchiveUnavailableReason.AccessDenied, false },
        { new AmazonS3Exception("signature") { StatusCode = HttpStatusCode.Forbidden, ErrorCode = "SignatureDoesNotMatch" }, ArchiveUnavailableReason.AccessDenied, false },
        { new AmazonS3Exception("head") { StatusCode = HttpStatusCode.Forbidden }, ArchiveUnavailableReason.AccessDenied, false },
        { new AmazonS3Exception("gone") { StatusCode = HttpStatusCode.NotFound, ErrorCode = "NoSuchBucket" }, ArchiveUnavailableReason.BucketMissing, false },
        { new AmazonS3Exception("busy") { StatusCode = HttpStatusCode.ServiceUnavailable, ErrorCode = "SlowDown" }, ArchiveUnavailableReason.Throttled, true },
        { new AmazonS3Exception("slow") { StatusCode = HttpStatusCode.TooManyRequests }, ArchiveUnavailableReason.Throttled, true },
        { new AmazonS3Exception("boom") { StatusCode = HttpStatusCode.InternalServerError, ErrorCode = "InternalError" }, ArchiveUnavailableReason.Unreachable, true },
        { new AmazonS3Exception("gateway") { StatusCode = HttpStatusCode.BadGateway }, ArchiveUnavailableReason.Unreachable, true },
        { new AmazonS3Exception("bad") { StatusCode = HttpStatusCode.BadRequest, ErrorCode = "InvalidArgument" }, ArchiveUnavailableReason.Other, false },
        { new HttpRequestException("refused", new SocketException((int)SocketError.ConnectionRefused)), ArchiveUnavailableReason.Unreachable, true },
        { new Amazon.Runtime.AmazonServiceException("wrapped", new HttpRequestException("refused", new SocketException((int)SocketError.ConnectionRefused))), ArchiveUnavailableReason.Unreachable, true },
        { new SocketException((int)SocketError.HostNotFound), ArchiveUnavailableReason.Unreachable, true },
        { new TaskCanceledException("timed out", new TimeoutException()), ArchiveUnavailableReason.Unreachable, true },
        { new IOException("reset", new SocketException((int)SocketError.ConnectionReset)), ArchiveUnavailableReason.Unreachable, true },
    };

    [Theory]
    [MemberData(nameof(Unavailable))]
    public void ToUnavailable_TypesStoreErrors(Exception error, ArchiveUnavailableReason reason, bool transient)
    {
        ArgumentNullException.ThrowIfNull(error);

        var typed = S3ArchiveErrors.ToUnavailable(error, "s3://bucket");

        typed.Should().NotBeNull();
        typed!.Reason.Should().Be(reason);
        typed.IsTransient.Should().Be(transient);
        typed.IsRetryable.Should().BeTrue("the same call may succeed later, once the archive answers or the operator fixed it");
        typed.InnerException.Should().BeSameAs(error);
        typed.Cause.Should().StartWith(error.GetType().Name);
        typed.Archive.Should().Be("s3://bucket");
        typed.Message.Should().NotContain("\n");
    }

    [Fact]
    public void ToUnavailable_KeepsTypedErrorsCallerCancellationsAndLocalFileErrors()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        S3ArchiveErrors.ToUnavailable(new ArchiveIntegrityException("k", "mismatch"), "a").Should().BeNull();
        S3ArchiveErrors.ToUnavailable(new ArchiveObjectNotFoundException("k"), "a").Should().BeNull();
        S3ArchiveErrors.ToUnavailable(new OperationCanceledException(), "a").Should().BeNull();
        S3ArchiveErrors.ToUnavailable(new TaskCanceledException("timed out", new TimeoutException()), "a", cancelled.Token).Should().BeNull("the caller cancelled");
        S3ArchiveErrors.ToUnavailable(new FileNotFoundException("local"), "a").Should().BeNull();
        S3ArchiveErrors.ToUnavailable(new ArgumentException("bug"), "a").Should().BeNull();
    }
}
