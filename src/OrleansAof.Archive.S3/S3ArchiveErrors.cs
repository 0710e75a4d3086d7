using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using OrleansAof.Storage;

namespace OrleansAof.Archive.S3;

/// <summary>Sorts the errors of <see cref="S3SegmentArchive"/> into transient and permanent ones.</summary>
public static class S3ArchiveErrors
{
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

    private static bool IsTransientStatus(HttpStatusCode status) =>
        (int)status >= 500 || status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout;
}
