namespace OrleansAof.Storage;

/// <summary>An option has an invalid value. The message starts with the option's name.</summary>
public sealed class InvalidLogOptionsException(string optionName, string message)
    : AppendLogException($"{optionName} {message}")
{
    /// <summary>The option, as <c>Class.Property</c>.</summary>
    public string OptionName { get; } = optionName;

    /// <summary>The options class of <see cref="OptionName"/> (<c>PartitionLogOptions</c>, for example); empty when the name has no class.</summary>
    public string OptionsClass => OptionName.LastIndexOf('.') is var dot and > 0 ? OptionName[..dot] : "";

    /// <summary>The property of <see cref="OptionName"/> without its class (<c>MaxSegmentBytes</c>, for example).</summary>
    public string Property => OptionName[(OptionName.LastIndexOf('.') + 1)..];

    /// <summary>What is wrong with the value, without the option's name (the message is <see cref="OptionName"/> followed by it).</summary>
    public string Problem { get; } = message;
}
