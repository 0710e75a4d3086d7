namespace OrleansAof;

/// <summary>
/// Base class of every error the append log reports on purpose. Each derived type says what happened and what the
/// caller should do; <see cref="IsRetryable"/> tells whether the same call may succeed later without any change.
/// </summary>
[GenerateSerializer]
[Alias("aof.AppendLogException")]
public abstract class AppendLogException : Exception
{
    /// <summary>Creates the exception.</summary>
    protected AppendLogException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    /// <summary>Whether the same call may succeed later without any change by the caller.</summary>
    public virtual bool IsRetryable => false;
}
