using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;

namespace OrleansAof.Storage.Archive;

/// <summary>
/// Retries the transient faults of another archive with exponential backoff and jitter (Polly), so the archiver does
/// not have to. Which faults are transient is the inner archive's call (<c>isTransient</c>, for example
/// <see cref="FileSystemArchive.IsTransient"/>); on top of that this decorator retries an
/// <see cref="ArchiveUnavailableException"/> only when it is <see cref="ArchiveUnavailableException.IsTransient"/> (an
/// outage or throttling, never a refused key or a missing bucket), never retries another
/// <see cref="AppendLogException"/> that is not <see cref="AppendLogException.IsRetryable"/> (so never an
/// <see cref="ArchiveIntegrityException"/>) and stops as soon as the caller cancels.
/// </summary>
/// <remarks>
/// <para>After the last attempt the last error is thrown: an <see cref="AppendLogException"/> as it is; any other error
/// of the inner archive (an archive that does not type its errors) as an <see cref="ArchiveUnavailableException"/> with
/// the error as its cause (reason <see cref="ArchiveUnavailableReason.AccessDenied"/> for an
/// <see cref="UnauthorizedAccessException"/>, <see cref="ArchiveUnavailableReason.Unreachable"/> for a timeout,
/// <see cref="ArchiveUnavailableReason.Other"/> otherwise), so that no untyped error of an archive
/// reaches the partition's callers. A cancellation by the caller and an <see cref="ArgumentException"/> (a bug) pass unchanged.</para>
/// <para>Every call of <see cref="ISegmentArchive"/> is idempotent, so a retried call is safe. <see cref="ListAsync"/> is
/// retried as a whole: it reads the complete listing (with retries) before it yields the first object, so a retry can
/// never repeat or skip an object. A streaming download (the archived-segment cache's) is retried only until it
/// announced its first bytes: readers may already have read them, so after that its failure is thrown and the cache
/// starts a fresh download for the next read.</para>
/// </remarks>
public sealed partial class ResilientSegmentArchive : ISegmentArchive, IStreamingSegmentArchive
{
    private static readonly ResiliencePropertyKey<StreamingAttempts> Streaming = new("aof-streaming-download");

    private readonly ISegmentArchive _inner;
    private readonly Func<Exception, bool> _isTransient;
    private readonly ResiliencePipeline _pipeline;
    private readonly ILogger _logger;
    private readonly ArchiveRetryOptions _options;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">The archive whose calls are retried.</param>
    /// <param name="isTransient">Whether an error of <paramref name="inner"/> may go away by itself.</param>
    /// <param name="options">Attempts and delays; validated here and copied.</param>
    /// <param name="timeProvider">The clock the delays run on (tests pass a fake one).</param>
    /// <param name="logger">A logger, or <see langword="null"/> for none.</param>
    /// <exception cref="InvalidLogOptionsException">An option is invalid.</exception>
    public ResilientSegmentArchive(ISegmentArchive inner, Func<Exception, bool> isTransient, ArchiveRetryOptions options, TimeProvider timeProvider, ILogger<ResilientSegmentArchive>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(isTransient);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        options.Validate();
        _inner = inner;
        _isTransient = isTransient;
        _options = options.Clone();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _pipeline = BuildPipeline(timeProvider);
    }

    /// <inheritdoc />
    public string Description => $"{_inner.Description} (up to {_options.MaxAttempts} attempts per call)";

    /// <summary>Whether this decorator would retry <paramref name="exception"/> (before counting attempts).</summary>
    public bool IsRetried(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            OperationCanceledException when exception.InnerException is not TimeoutException => false,
            ArchiveUnavailableException e => e.IsTransient,
            AppendLogException e when !e.IsRetryable => false,
            _ => _isTransient(exception),
        };
    }

    /// <inheritdoc />
    public Task<ArchivedObjectInfo> PutAsync(ArchiveObjectKey key, string localPath, SegmentFileFacts original, CancellationToken cancellationToken) =>
        Typed(_pipeline.ExecuteAsync(
            static async (state, ct) => await state.Inner.PutAsync(state.Key, state.LocalPath, state.Original, ct),
            (Inner: _inner, Key: key, LocalPath: localPath, Original: original),
            cancellationToken), cancellationToken);

    /// <inheritdoc />
    public Task<ArchivedObjectInfo?> GetInfoAsync(ArchiveObjectKey key, CancellationToken cancellationToken) =>
        Typed(_pipeline.ExecuteAsync(
            static async (state, ct) => await state.Inner.GetInfoAsync(state.Key, ct),
            (Inner: _inner, Key: key),
            cancellationToken), cancellationToken);

    /// <inheritdoc />
    public Task DownloadAsync(ArchiveObjectKey key, string destinationPath, CancellationToken cancellationToken) =>
        Typed(_pipeline.ExecuteAsync(
            static async (state, ct) => await state.Inner.DownloadAsync(state.Key, state.DestinationPath, ct),
            (Inner: _inner, Key: key, DestinationPath: destinationPath),
            cancellationToken), cancellationToken);

    /// <summary>A streaming download, retried until it announced its first bytes (see the remarks).</summary>
    async Task IStreamingSegmentArchive.DownloadAsync(ArchiveObjectKey key, string destinationPath, DownloadedBytes written, CancellationToken cancellationToken)
    {
        if (_inner is not IStreamingSegmentArchive streaming)
        {
            await DownloadAsync(key, destinationPath, cancellationToken).ConfigureAwait(false);
            return;
        }

        var attempts = new StreamingAttempts(written);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            context.Properties.Set(Streaming, attempts);
            await Typed(
                _pipeline.ExecuteAsync(
                    static async (_, state) => await state.Streaming.DownloadAsync(state.Key, state.DestinationPath, state.Attempts.Announce, state.Context.CancellationToken),
                    context,
                    (Streaming: streaming, Key: key, DestinationPath: destinationPath, Attempts: attempts, Context: context)),
                cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ArchivedObjectInfo> ListAsync(string log, string partition, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var all = await Typed(
            _pipeline.ExecuteAsync(
                static async (state, ct) =>
                {
                    var list = new List<ArchivedObjectInfo>();
                    await foreach (var info in state.Inner.ListAsync(state.Log, state.Partition, ct))
                    {
                        list.Add(info);
                    }

                    return list;
                },
                (Inner: _inner, Log: log, Partition: partition),
                cancellationToken),
            cancellationToken);
        foreach (var info in all)
        {
            yield return info;
        }
    }

    /// <inheritdoc />
    public Task DeleteAsync(ArchiveObjectKey key, CancellationToken cancellationToken) =>
        Typed(_pipeline.ExecuteAsync(
            static async (state, ct) => await state.Inner.DeleteAsync(state.Key, ct),
            (Inner: _inner, Key: key),
            cancellationToken), cancellationToken);

    /// <inheritdoc />
    public override string ToString() => Description;

    /// <summary>
    /// The error a caller sees for <paramref name="error"/>, the last error of a call: itself when it is typed (an
    /// <see cref="AppendLogException"/>), a cancellation the caller asked for, or a bug (<see cref="ArgumentException"/>);
    /// otherwise an <see cref="ArchiveUnavailableException"/> that carries it as its cause.
    /// </summary>
    public Exception ToTyped(Exception error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error switch
        {
            AppendLogException or ArgumentException => error,
            OperationCanceledException when cancellationToken.IsCancellationRequested || error.InnerException is not TimeoutException => error,
            _ => new ArchiveUnavailableException(
                error switch
                {
                    OperationCanceledException or TimeoutException => ArchiveUnavailableReason.Unreachable,
                    UnauthorizedAccessException => ArchiveUnavailableReason.AccessDenied,
                    _ => ArchiveUnavailableReason.Other,
                },
                _inner.Description,
                $"{error.GetType().Name}: {error.Message}",
                _isTransient(error),
                error),
        };
    }

    private async Task Typed(ValueTask call, CancellationToken cancellationToken)
    {
        try
        {
            await call;
        }
        catch (Exception e) when (ToTyped(e, cancellationToken) is var typed && !ReferenceEquals(typed, e))
        {
            throw typed;
        }
    }

    private async Task<T> Typed<T>(ValueTask<T> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call;
        }
        catch (Exception e) when (ToTyped(e, cancellationToken) is var typed && !ReferenceEquals(typed, e))
        {
            throw typed;
        }
    }

    private ResiliencePipeline BuildPipeline(TimeProvider timeProvider)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = timeProvider };
        if (_options.MaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = _options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.BaseDelay,
                MaxDelay = _options.MaxDelay,
                ShouldHandle = args => new ValueTask<bool>(
                    args.Outcome.Exception is { } e && !args.Context.CancellationToken.IsCancellationRequested && IsRetried(e)
                    && !(args.Context.Properties.TryGetValue(Streaming, out var streaming) && streaming.Announced)),
                OnRetry = args =>
                {
                    LogRetrying(_logger, args.AttemptNumber + 1, _options.MaxAttempts, args.RetryDelay.TotalMilliseconds, args.Outcome.Exception?.GetType().Name, args.Outcome.Exception?.Message);
                    return default;
                },
            });
        }

        return builder.Build();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Archive call failed with a transient error (attempt {Attempt} of {MaxAttempts}); retrying in {DelayMs:0} ms. {ErrorType}: {ErrorMessage}")]
    private static partial void LogRetrying(ILogger logger, int attempt, int maxAttempts, double delayMs, string? errorType, string? errorMessage);

    /// <summary>Whether a streaming download announced bytes (then it is not retried).</summary>
    private sealed class StreamingAttempts(DownloadedBytes written)
    {
        public bool Announced { get; private set; }

        public void Announce(long offset, ReadOnlySpan<byte> bytes)
        {
            Announced = true;
            written(offset, bytes);
        }
    }
}
