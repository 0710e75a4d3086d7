using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Amazon.S3;

namespace OrleansAof.Archive.S3;

/// <summary>
/// Builds the <see cref="IAmazonS3"/> client that <see cref="S3SegmentArchive"/> uses, from <see cref="S3ArchiveOptions"/>.
/// With <see cref="S3ArchiveOptions.CompatibilityMode"/> the client sends every request unchunked (a handler in its
/// pipeline clears <c>UseChunkEncoding</c> on each request, whoever built it, TransferUtility included) and calculates
/// and validates checksums only where an operation requires them.
/// </summary>
public static class S3ArchiveClientFactory
{
    /// <summary>The SDK configuration for <paramref name="options"/> (validated); callers may adjust it before <see cref="CreateClient(S3ArchiveOptions, AmazonS3Config)"/>.</summary>
    /// <exception cref="Storage.InvalidLogOptionsException">An option is invalid.</exception>
    public static AmazonS3Config CreateConfig(S3ArchiveOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            MaxErrorRetry = options.MaxErrorRetry,
            Timeout = options.RequestTimeout,
        };
        if (!string.IsNullOrWhiteSpace(options.ServiceUrl))
        {
            config.ServiceURL = options.ServiceUrl;
            if (!string.IsNullOrWhiteSpace(options.Region))
            {
                config.AuthenticationRegion = options.Region;
            }
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
        }

        if (options.CompatibilityMode)
        {
            config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
            config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
        }

        return config;
    }

    /// <summary>A client for <paramref name="options"/>.</summary>
    /// <exception cref="Storage.InvalidLogOptionsException">An option is invalid.</exception>
    public static IAmazonS3 CreateClient(S3ArchiveOptions options) => CreateClient(options, CreateConfig(options));

    /// <summary>A client for <paramref name="options"/> with a configuration from <see cref="CreateConfig"/>, possibly adjusted.</summary>
    /// <exception cref="Storage.InvalidLogOptionsException">An option is invalid.</exception>
    public static IAmazonS3 CreateClient(S3ArchiveOptions options, AmazonS3Config config)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(config);
        options.Validate();
        var credentials = string.IsNullOrEmpty(options.AccessKey) ? null : new BasicAWSCredentials(options.AccessKey, options.SecretKey);
        if (options.CompatibilityMode)
        {
            return credentials is null ? new CompatibleS3Client(config) : new CompatibleS3Client(credentials, config);
        }

        return credentials is null ? new AmazonS3Client(config) : new AmazonS3Client(credentials, config);
    }

    /// <summary>An S3 client whose pipeline sends every request without <c>aws-chunked</c> encoding.</summary>
    private sealed class CompatibleS3Client : AmazonS3Client
    {
        public CompatibleS3Client(AmazonS3Config config)
            : base(config)
        {
        }

        public CompatibleS3Client(AWSCredentials credentials, AmazonS3Config config)
            : base(credentials, config)
        {
        }

        protected override void CustomizeRuntimePipeline(RuntimePipeline pipeline)
        {
            base.CustomizeRuntimePipeline(pipeline);

            // Measured with AWSSDK.S3 4.1.0: the flag has to be cleared after the checksum handler and just before the
            // signer; cleared right after the marshaller, a later handler sets it again and the body goes out chunked.
            pipeline.AddHandlerBefore<Signer>(new DisableChunkEncodingHandler());
        }
    }

    private sealed class DisableChunkEncodingHandler : PipelineHandler
    {
        public override void InvokeSync(IExecutionContext executionContext)
        {
            executionContext.RequestContext.Request.UseChunkEncoding = false;
            base.InvokeSync(executionContext);
        }

        public override Task<T> InvokeAsync<T>(IExecutionContext executionContext)
        {
            executionContext.RequestContext.Request.UseChunkEncoding = false;
            return base.InvokeAsync<T>(executionContext);
        }
    }
}
