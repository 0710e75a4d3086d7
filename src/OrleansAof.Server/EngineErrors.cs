using static System.FormattableString;
using Engine = OrleansAof.Storage;

namespace OrleansAof.Server;

/// <summary>
/// The one place where engine errors become the serializable exceptions callers see. The partition grain routes every
/// call through it (a grain call filter), so no engine exception crosses the wire.
/// </summary>
internal static class EngineErrors
{
    /// <summary>The wire exception for <paramref name="error"/>, raised while serving <paramref name="partitionKey"/>.</summary>
    public static AppendLogException ToContract(Engine.AppendLogException error, string partitionKey)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error switch
        {
            Engine.RecordTooLargeException e => new RecordTooLargeException(e.Size, e.Maximum, Invariant($"The record has {e.Size} bytes; the maximum is {e.Maximum} ({Option(e.OptionName)}).")),
            Engine.EmptyBatchException e => new EmptyBatchException(e.Message),
            Engine.BatchTooLargeException e => new BatchTooLargeException(e.Records, e.Bytes, Invariant($"The batch of {e.Records} records needs {e.Bytes} bytes on disk; one segment holds at most {e.Maximum} ({Option(e.OptionName)}).")),
            Engine.InvalidRangeException e => new InvalidRangeException(e.Message),
            Engine.ReadBeyondTailException e => new ReadBeyondTailException(e.FromId, e.NextId, e.Message),
            Engine.RecordTrimmedException e => new RecordTrimmedException(e.FromId, e.FirstId, e.Message),
            Engine.InvalidPartitionNameException e => new InvalidPartitionNameException(e.Name, e.Reason),
            Engine.InvalidLogOptionsException { OptionsClass: nameof(Engine.PartitionLogOptions) } e => new InvalidLogOptionsException(Option(e.Property), $"{Option(e.Property)} {e.Problem}"),
            Engine.InvalidLogOptionsException e => new InvalidLogOptionsException(e.OptionName, e.Message),
            Engine.PartitionLockedException => new PartitionLockedException($"Partition '{partitionKey}' is held by another writer on this silo's disk."),
            Engine.PartitionFaultedException e => new PartitionFaultedException(e.Reason, e.Message),
            Engine.LogBackpressureException e => new LogBackpressureException(e.Reason.ToString(), e.RetryAfter,
                Invariant($"Append refused by backpressure ({e.Reason}): {e.Detail}{Engine.LogBackpressureException.DescribeBounds(e.Bounds, nameof(AppendLogOptions))} Retry after {e.RetryAfter.TotalMilliseconds:0} ms.")),
            Engine.ExpectedLastIdMismatchException e => new ExpectedLastIdMismatchException(e.ExpectedLastId, e.ActualLastId, e.Message),
            Engine.StaleSequenceException e => new StaleSequenceException(e.ProducerId, e.Sequence, e.LastSequence, e.Message),
            Engine.SegmentCorruptedException e => new SegmentCorruptedException(e.BaseId, e.Detail, $"Partition '{partitionKey}': segment {e.BaseId} is damaged: {e.Detail}"),
            Engine.ArchiveIntegrityException e => new ArchiveIntegrityException(e.ObjectKey, e.Message),
            Engine.RecordsMissingException e => new RecordsMissingException(e.FromId, e.FirstMissingId, e.LastMissingId, $"Partition '{partitionKey}': {e.Message}"),
            Engine.PartitionDataLostException e => new PartitionDataLostException(partitionKey, e.HeldThrough, e.Bound, e.Message),
            Engine.ArchiveUnavailableException e => new ArchiveUnavailableException(ToContract(e.Reason), e.Archive, e.Cause, $"Partition '{partitionKey}': {e.Message}"),
            _ => new PartitionFaultedException(error.GetType().Name, $"Partition '{partitionKey}': {error.Message}"),
        };
    }

    /// <summary>
    /// The server's name of an engine option: every bound the engine reports is set through the <see cref="AppendLogOptions"/>
    /// property of the same name, so a caller is told the option it can change.
    /// </summary>
    private static string Option(string engineOptionName) => nameof(AppendLogOptions) + "." + engineOptionName;

    /// <summary>The wire form of an archive's unavailability reason.</summary>
    public static ArchiveUnavailableReason ToContract(Engine.ArchiveUnavailableReason reason) => reason switch
    {
        Engine.ArchiveUnavailableReason.Unreachable => ArchiveUnavailableReason.Unreachable,
        Engine.ArchiveUnavailableReason.AccessDenied => ArchiveUnavailableReason.AccessDenied,
        Engine.ArchiveUnavailableReason.BucketMissing => ArchiveUnavailableReason.BucketMissing,
        Engine.ArchiveUnavailableReason.Throttled => ArchiveUnavailableReason.Throttled,
        _ => ArchiveUnavailableReason.Other,
    };

    /// <summary>The engine form of a wire flush policy.</summary>
    /// <exception cref="InvalidLogOptionsException">The policy's values are out of range.</exception>
    public static Engine.FlushPolicy ToEngine(LogFlushPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        try
        {
            return policy.Kind switch
            {
                LogFlushPolicyKind.Sync => Engine.FlushPolicy.Sync,
                LogFlushPolicyKind.Async => Engine.FlushPolicy.Async,
                LogFlushPolicyKind.Batched => Engine.FlushPolicy.Batched(policy.Records),
                LogFlushPolicyKind.Periodic => Engine.FlushPolicy.Periodic(policy.Interval),
                LogFlushPolicyKind.BatchedOrPeriodic => Engine.FlushPolicy.BatchedOrPeriodic(policy.Records, policy.Interval),
                _ => throw new InvalidLogOptionsException("LogFlushPolicy.Kind", $"LogFlushPolicy.Kind has an unknown value {policy.Kind}."),
            };
        }
        catch (ArgumentOutOfRangeException e)
        {
            // One line: the engine's message without the ArgumentException's "(Parameter ...)" and "Actual value" lines.
            var reason = e.Message.Split('\n', 2)[0].Replace(" (Parameter '" + e.ParamName + "')", "", StringComparison.Ordinal).TrimEnd();
            throw new InvalidLogOptionsException("LogFlushPolicy", string.Create(System.Globalization.CultureInfo.InvariantCulture, $"LogFlushPolicy {reason} Got {policy}."));
        }
    }

    /// <summary>The wire form of an engine flush policy.</summary>
    public static LogFlushPolicy ToContract(Engine.FlushPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return new LogFlushPolicy((LogFlushPolicyKind)(int)policy.Kind, policy.Records, policy.Interval);
    }
}
