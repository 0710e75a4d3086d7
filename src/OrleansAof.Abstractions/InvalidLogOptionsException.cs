namespace OrleansAof;

/// <summary>An option or argument that configures the log is invalid. The message starts with the option's name.</summary>
[GenerateSerializer]
[Alias("aof.InvalidLogOptionsException")]
public sealed class InvalidLogOptionsException : AppendLogException
{
    /// <summary>Creates the exception.</summary>
    public InvalidLogOptionsException(string optionName, string message)
        : base(message)
    {
        OptionName = optionName;
    }

    /// <summary>The option, as <c>Class.Property</c>.</summary>
    [Id(0)]
    public string OptionName { get; private set; }
}
