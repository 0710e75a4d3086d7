using Microsoft.Extensions.Logging;
using OrleansAof.Storage;
using OrleansAof.Storage.Archive;

namespace OrleansAof.Archive.S3;

/// <content>Log messages.</content>
public sealed partial class S3SegmentArchive
{
    [LoggerMessage(Level = LogLevel.Debug, Message = "Archive object {Key} already holds the same segment; the put changed nothing.")]
    private static partial void LogPutUnchanged(ILogger logger, ArchiveObjectKey key);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Archive object {Key} holds another segment ({OldSize} bytes, CRC-32C {OldChecksum:x8}); replacing it with {NewSize} bytes, CRC-32C {NewChecksum:x8}.")]
    private static partial void LogReplacingObject(ILogger logger, ArchiveObjectKey key, long oldSize, uint oldChecksum, long newSize, uint newChecksum);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Archive object {Key} is damaged and is replaced by the put: {Detail}")]
    private static partial void LogDamagedObjectReplaced(ILogger logger, ArchiveObjectKey key, string detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "Uploaded archive object {Key}: {OriginalSize} bytes stored as {StoredSize} ({Compression}) in {Parts} part(s), verified, in {ElapsedMs:0} ms.")]
    private static partial void LogUploaded(ILogger logger, ArchiveObjectKey key, long originalSize, long storedSize, string compression, int parts, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "Archive object {Key} failed its check after the upload: {Problem}")]
    private static partial void LogVerificationFailed(ILogger logger, ArchiveObjectKey key, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipped {Key} while listing: {Detail}")]
    private static partial void LogForeignObjectSkipped(ILogger logger, ArchiveObjectKey key, string detail);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Archive object {Key} does not exist.")]
    private static partial void LogNotFound(ILogger logger, ArchiveObjectKey key);

    [LoggerMessage(Level = LogLevel.Debug, Message = "The store is unavailable ({Reason}): {Cause}")]
    private static partial void LogUnavailable(ILogger logger, ArchiveUnavailableReason reason, string cause);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created bucket {Bucket}.")]
    private static partial void LogBucketCreated(ILogger logger, string bucket);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not abort the multipart upload of {ObjectKey}: {Reason}")]
    private static partial void LogAbortFailed(ILogger logger, string objectKey, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove {Target} after a failed archive operation: {Reason}")]
    private static partial void LogCleanupFailed(ILogger logger, string target, string reason);
}
