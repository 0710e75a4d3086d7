using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using OrleansAof.Storage;
using OrleansAof.Storage.Archive;

namespace OrleansAof.Archive.S3;

/// <summary>Types the errors of <see cref="S3SegmentArchive"/> and sorts them into transient and permanent ones.</summary>
public static class S3ArchiveErrors
{
    private static readonly HashSet<string> AccessDeniedErrorCodes = new(StringComparer.Ordinal)
    {
        "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AllAccessDisabled", "AccountProblem", "ExpiredToken",
        "InvalidToken", "TokenRefreshRequired", "InvalidSecurity", "NotSignedUp", "Forbidden", "Unauthorized",
    };

    private static readonly HashSet<string> ThrottlingErrorCodes = new(StringComparer.Ordinal)
    {
        "SlowDown", "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled", "RequestThrottledException",
        "TooManyRequestsException", "RequestLimitExceeded", "BandwidthLimitExceeded",
    };

    private static readonly HashSet<string> TransientErrorCodes = new(StringComparer.Ordinal)
    {
        "SlowDown", "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled", "RequestThrottledException",
        "TooManyRequestsException", "RequestLimitExceeded", "BandwidthLimitExceeded", "RequestTimeout", "RequestTimeoutException",
        "InternalError", "ServiceUnavailable", "PriorRequestNotComplete",
    };

    /// <summary>
    /// Whether <paramref name="exception"/> may go away by itself, so the call may be retried (by
    /// <c>ResilientSegmentArchive</c>): server errors (5xx), throttling (429, SlowDown), request timeouts, refused or
    /// broken connections and other network I/O errors are transient. Client errors (403 access denied, 404 no such
    /// bucket or key, 400 bad request), integrity failures (<see cref="ArchiveIntegrityException"/>), invalid names and
    /// other <see cref="AppendLogException"/>s that are not <see cref="AppendLogException.IsRetryable"/> are permanent.
    /// A cancellation is transient only when it is a timeout (its inner exception is a <see cref="TimeoutException"/>).
    /// </summary>
    public static bool IsTransient(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var sawIo = false;
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case ArchiveUnavailableException unavailable:
                    return unavailable.IsTransient;
                case AppendLogException appendLog:
                    return appendLog.IsRetryable;
                case AmazonServiceException service when service.StatusCode != 0:
                    return IsTransientStatus(service.StatusCode) || (service.ErrorCode is { } statusErrorCode && TransientErrorCodes.Contains(statusErrorCode));
                case AmazonServiceException service when service.ErrorCode is { } errorCode && TransientErrorCodes.Contains(errorCode):
                    return true;
                case HttpRequestException http when http.StatusCode is { } status:
                    return IsTransientStatus(status);
                case HttpRequestException:
                case SocketException:
                case TimeoutException:
                    return true;
                case OperationCanceledException:
                    return e.InnerException is TimeoutException;
                case UnauthorizedAccessException:
                case FileNotFoundException:
                case DirectoryNotFoundException:
                case PathTooLongException:
                    return false;
                case IOException:
                    sawIo = true; // a network stream error; its inner exception may say more
                    break;
                default:
                    break;
            }
        }

        return sawIo;
    }

    /// <summary>
    /// The typed form of an error of <paramref name="archive"/>: an <see cref="ArchiveUnavailableException"/> whose reason
    /// says what went wrong and whose cause carries the error as text, or <see langword="null"/> for an error that keeps
    /// its type (an <see cref="AppendLogException"/>, a cancellation the caller asked for, a misuse such as an
    /// <see cref="ArgumentException"/> or <see cref="InvalidOperationException"/>, a missing local file).
    /// 401/403 and the access error codes (AccessDenied, InvalidAccessKeyId, SignatureDoesNotMatch, ...) are
    /// <see cref="ArchiveUnavailableReason.AccessDenied"/>; NoSuchBucket is <see cref="ArchiveUnavailableReason.BucketMissing"/>;
    /// 429 and SlowDown-like codes <see cref="ArchiveUnavailableReason.Throttled"/>; 5xx, refused or broken connections,
    /// socket errors and timeouts <see cref="ArchiveUnavailableReason.Unreachable"/>; anything else
    /// <see cref="ArchiveUnavailableReason.Other"/>. <see cref="ArchiveUnavailableException.IsTransient"/> follows <see cref="IsTransient"/>.
    /// </summary>
    /// <param name="exception">The error.</param>
    /// <param name="archive">The archive's description (<see cref="BlobSegmentArchive.Description"/> of an <see cref="S3SegmentArchive"/>).</param>
    /// <param name="cancellationToken">The caller's token: a cancellation it asked for keeps its type.</param>
    public static ArchiveUnavailableException? ToUnavailable(Exception exception, string archive, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(exception);
        switch (exception)
        {
            case AppendLogException or ArgumentException or InvalidOperationException:
                return null; // typed already, or a misuse (a byte range of a compressed object, a disposed archive)
            case FileNotFoundException or DirectoryNotFoundException or PathTooLongException:
                return null; // the local segment or staging folder, not the store
            case OperationCanceledException when cancellationToken.IsCancellationRequested || !IsTimeout(exception):
                return null;
        }

        var reason = ReasonOf(exception);
        var transient = reason switch
        {
            ArchiveUnavailableReason.AccessDenied or ArchiveUnavailableReason.BucketMissing => false,
            ArchiveUnavailableReason.Unreachable or ArchiveUnavailableReason.Throttled => true,
            _ => IsTransient(exception),
        };
        return new ArchiveUnavailableException(reason, archive, CauseOf(exception), transient, exception);
    }

    /// <summary>What kind of unavailability <paramref name="exception"/> is (see <see cref="ToUnavailable"/>).</summary>
    public static ArchiveUnavailableReason ReasonOf(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case AmazonServiceException service when service.ErrorCode is "NoSuchBucket":
                    return ArchiveUnavailableReason.BucketMissing;
                case AmazonServiceException service when (service.ErrorCode is { } code && AccessDeniedErrorCodes.Contains(code))
                        || service.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized:
                    return ArchiveUnavailableReason.AccessDenied;
                case AmazonServiceException service when (service.ErrorCode is { } code && ThrottlingErrorCodes.Contains(code))
                        || service.StatusCode == HttpStatusCode.TooManyRequests:
                    return ArchiveUnavailableReason.Throttled;
                case AmazonServiceException service when (int)service.StatusCode >= 500
                        || service.ErrorCode is "RequestTimeout" or "RequestTimeoutException" or "InternalError" or "ServiceUnavailable":
                    return ArchiveUnavailableReason.Unreachable;
                case AmazonServiceException service when service.StatusCode != 0:
                    return ArchiveUnavailableReason.Other;
                case HttpRequestException { StatusCode: HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized }:
                    return ArchiveUnavailableReason.AccessDenied;
                case HttpRequestException { StatusCode: HttpStatusCode.TooManyRequests }:
                    return ArchiveUnavailableReason.Throttled;
                case HttpRequestException { StatusCode: { } status } when (int)status < 500:
                    return ArchiveUnavailableReason.Other;
                case HttpRequestException or SocketException or TimeoutException:
                    return ArchiveUnavailableReason.Unreachable;
                case OperationCanceledException when e.InnerException is TimeoutException:
                    return ArchiveUnavailableReason.Unreachable;
                default:
                    break;
            }
        }

        // An I/O error of the response stream is a broken connection; a local file error is something else.
        return exception is IOException and not (FileNotFoundException or DirectoryNotFoundException or PathTooLongException)
            ? ArchiveUnavailableReason.Unreachable
            : ArchiveUnavailableReason.Other;
    }

    /// <summary>The error as one line of text: type, status and error code where S3 gave them, and the message of the innermost informative error.</summary>
    private static string CauseOf(Exception exception)
    {
        var text = new System.Text.StringBuilder();
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (text.Length > 0 && e.GetType().Namespace is { } ns && ns.StartsWith("Amazon.Runtime.Internal", StringComparison.Ordinal))
            {
                continue; // the SDK's HTTP plumbing: nothing to add to the service error it wraps
            }

            if (text.Length > 0)
            {
                text.Append(" <- ");
            }

            text.Append(e.GetType().Name);
            if (e is AmazonServiceException { StatusCode: not 0 } service)
            {
                text.Append(' ').Append((int)service.StatusCode);
            }

            if (e is AmazonServiceException { ErrorCode: { Length: > 0 } code })
            {
                text.Append(' ').Append(code);
            }

            if (e is SocketException socket)
            {
                text.Append(' ').Append(socket.SocketErrorCode);
            }

            if (!string.IsNullOrWhiteSpace(e.Message))
            {
                text.Append(": ").Append(e.Message.ReplaceLineEndings(" ").Trim());
            }

            if (text.Length > 600)
            {
                break;
            }
        }

        return text.ToString();
    }

    private static bool IsTimeout(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is TimeoutException)
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsTransientStatus(HttpStatusCode status) =>
        (int)status >= 500 || status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout;
}
