namespace OrleansAof.Cli.Cluster;

/// <summary>How record payloads are printed.</summary>
internal enum PayloadFormat
{
    /// <summary>UTF-8 text as is (bytes that are not valid UTF-8 become U+FFFD: use base64 or hex for exact bytes).</summary>
    Text,

    /// <summary>Base64 (RFC 4648): exact bytes.</summary>
    Base64,

    /// <summary>Lowercase hex: exact bytes.</summary>
    Hex,
}
