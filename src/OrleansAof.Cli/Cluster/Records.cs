using System.Text;

namespace OrleansAof.Cli.Cluster;

/// <summary>Payload formatting.</summary>
internal static class Records
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    public static string Format(ReadOnlySpan<byte> payload, PayloadFormat format) => format switch
    {
        PayloadFormat.Base64 => Convert.ToBase64String(payload),
        PayloadFormat.Hex => Convert.ToHexStringLower(payload),
        _ => Utf8.GetString(payload),
    };
}
