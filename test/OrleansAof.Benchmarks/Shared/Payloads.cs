using System.Security.Cryptography;

namespace OrleansAof.Benchmarks.Shared;

/// <summary>Record payloads of the benchmarked sizes: random bytes, so nothing below us can compress them.</summary>
internal static class Payloads
{
    public static byte[] Of(int size)
    {
        var bytes = new byte[size];
        RandomNumberGenerator.Fill(bytes);
        return bytes;
    }

    public static string SizeName(int size) => size >= 1024 ? $"{size / 1024} KiB" : $"{size} B";
}
