using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using OrleansAof.Cli.Cluster;
using OrleansAof.Cli.Commands;
using OrleansAof.Storage.Offline;

namespace OrleansAof.Cli;

/// <summary>JSON for scripts: camelCase names, enums as strings, indented, paths and quotes left readable.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    WriteIndented = true)]
[JsonSerializable(typeof(InspectionReport))]
[JsonSerializable(typeof(RepairDocument))]
[JsonSerializable(typeof(RestoreDocument))]
[JsonSerializable(typeof(ErrorDocument))]
[JsonSerializable(typeof(StatusDocument))]
[JsonSerializable(typeof(AppendDocument))]
[JsonSerializable(typeof(RecordsDocument))]
[JsonSerializable(typeof(RecordDocument))]
[JsonSerializable(typeof(FlushResultDocument))]
[JsonSerializable(typeof(SealResultDocument))]
[JsonSerializable(typeof(DrainReport))]
internal sealed partial class CliJsonContext : JsonSerializerContext
{
    /// <summary>The context the tool writes with: like <see cref="JsonSerializerContext"/>'s default, without escaping of quotes and non-ASCII text.</summary>
    /// <remarks>Built on first use: the generated <c>Default</c> is initialised after this class's own static fields.</remarks>
    public static CliJsonContext Output => _output ??= new(new JsonSerializerOptions(Default.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    /// <summary>Like <see cref="Output"/> but not indented: one JSON object per line (<c>tail -f --json</c>).</summary>
    public static CliJsonContext Lines => _lines ??= new(new JsonSerializerOptions(Output.Options) { WriteIndented = false });

    private static CliJsonContext? _output;
    private static CliJsonContext? _lines;
}
