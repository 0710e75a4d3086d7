using Microsoft.Extensions.Logging;

namespace OrleansAof.Storage.Archive;

/// <content>Log messages of the archive protocol.</content>
public partial class BlobSegmentArchive
{
    [LoggerMessage(Level = LogLevel.Debug, Message = "Archive object {Key} already holds the same segment; the put changed nothing.")]
    private static partial void LogPutUnchanged(ILogger logger, ArchiveObjectKey key);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Archive object {Key} holds other content ({OldSize} bytes, CRC-32C {OldChecksum:x8}); replacing it with {NewSize} bytes, CRC-32C {NewChecksum:x8}.")]
    private static partial void LogReplacingObject(ILogger logger, ArchiveObjectKey key, long oldSize, uint oldChecksum, long newSize, uint newChecksum);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Archive object {Key} is damaged and is replaced by the put: {Detail}")]
    private static partial void LogDamagedObjectReplaced(ILogger logger, ArchiveObjectKey key, string detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stored archive object {Key}: {OriginalSize} bytes stored as {StoredSize} ({Compression}), verified, in {ElapsedMs:0} ms.")]
    private static partial void LogStored(ILogger logger, ArchiveObjectKey key, long originalSize, long storedSize, string compression, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "Archive object {Key} failed its check after the put: {Problem}")]
    private static partial void LogVerificationFailed(ILogger logger, ArchiveObjectKey key, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipped {Key} while listing: {Detail}")]
    private static partial void LogForeignObjectSkipped(ILogger logger, ArchiveObjectKey key, string detail);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Skipped {Key} while listing: it has no metadata (an interrupted put).")]
    private static partial void LogIncompleteObjectSkipped(ILogger logger, ArchiveObjectKey key);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove {Target} after a failed archive operation: {Reason}")]
    private static partial void LogCleanupFailed(ILogger logger, string target, string reason);
}
