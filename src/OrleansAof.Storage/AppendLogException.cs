namespace OrleansAof.Storage;

/// <summary>Base class of every error the storage engine reports on purpose.</summary>
public abstract class AppendLogException : Exception
{
    /// <summary>Creates the exception.</summary>
    protected AppendLogException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    /// <summary>Whether the same call may succeed later without any change by the caller (after <see cref="LogBackpressureException.RetryAfter"/>, for example).</summary>
    public virtual bool IsRetryable => false;
}
