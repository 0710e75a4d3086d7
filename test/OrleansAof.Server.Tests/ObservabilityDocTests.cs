using System.Diagnostics.Metrics;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using FluentAssertions;
using Microsoft.Extensions.Logging.Abstractions;
using OrleansAof.Storage;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Server.Tests;

/// <summary>
/// docs/observability.md against the code: the instrument table against the instruments the meters register (name,
/// type, unit, Prometheus name), the span table against the span names of the code, and every metric the Grafana
/// dashboard (k8s/grafana) and the alerts query against the table.
/// </summary>
[Trait(TestCategories.Name, TestCategories.Fast)]
public sealed partial class ObservabilityDocTests
{
    private static readonly string DocPath = ObservabilityDoc.Path;
    private static readonly string DashboardPath = Path.Combine(RepositoryPaths.Root, "k8s", "grafana", "orleansaof-dashboard.json");

    [Fact]
    public void InstrumentTable_MatchesTheRegisteredInstruments()
    {
        var documented = DocumentedInstruments();
        var registered = RegisteredInstruments();

        documented.Keys.Should().BeEquivalentTo(registered.Keys, "every registered instrument is documented and every documented one exists");
        foreach (var (name, row) in documented)
        {
            var instrument = registered[name];
            row.Type.Should().Be(KindOf(instrument), $"the type of {name}");
            row.Unit.Should().Be(instrument.Unit, $"the unit of {name}");
            row.Prometheus.Should().Be(PrometheusName(name, row.Type, row.Unit), $"the Prometheus name of {name}");
            row.Seen.Should().BeOneOf(["always", "on backpressure", "on failure", "on refusal"], $"when {name} appears");
        }
    }

    [Fact]
    public void SpanTable_MatchesTheSpanNamesOfTheCode()
    {
        var documented = SpanRow().Matches(File.ReadAllText(DocPath)).Select(m => m.Groups[1].Value).ToList();
        var inCode = SpanConstants(typeof(AppendLogTelemetry)).Concat(SpanConstants(typeof(StorageTelemetry))).ToList();

        documented.Should().OnlyHaveUniqueItems().And.BeEquivalentTo(inCode);
        AppendLogTelemetry.ActivitySourceName.Should().Be(StorageTelemetry.ActivitySourceName, "one activity source name for the whole product");
        AppendLogTelemetry.ServerMeterName.Should().Be(ServerInstruments.MeterName);
    }

    [Fact]
    public void DashboardAndAlerts_QueryOnlyDocumentedInstruments()
    {
        var families = DocumentedInstruments().Values.ToDictionary(r => r.Prometheus, r => r.Type);
        using var dashboard = JsonDocument.Parse(File.ReadAllText(DashboardPath));
        var queries = new List<string>();
        Collect(dashboard.RootElement, queries);
        queries.Should().HaveCountGreaterThan(10, "the dashboard has its panels' queries");

        var alerts = File.ReadAllText(DocPath);
        alerts = alerts[alerts.IndexOf("## Alerts", StringComparison.Ordinal)..];
        foreach (var (source, text) in queries.Select(q => ("dashboard", q)).Append(("alerts", alerts)))
        {
            var names = MetricName().Matches(text).Select(m => m.Value).ToList();
            names.Should().NotBeEmpty($"every {source} query names an instrument: {text}");
            foreach (var name in names)
            {
                Resolve(name, families).Should().NotBeNull($"'{name}' in the {source} ({text}) is a documented instrument");
            }
        }
    }

    /// <summary>A queried series name's family: the name itself, or a histogram's name without _bucket, _sum or _count.</summary>
    private static string? Resolve(string name, Dictionary<string, string> families)
    {
        if (families.ContainsKey(name))
        {
            return name;
        }

        foreach (var suffix in (string[])["_bucket", "_sum", "_count"])
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal) && families.TryGetValue(name[..^suffix.Length], out var type) && type == "histogram")
            {
                return name[..^suffix.Length];
            }
        }

        return null;
    }

    private static void Collect(JsonElement element, List<string> queries)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Name is "expr" or "definition" && property.Value.ValueKind == JsonValueKind.String)
                    {
                        queries.Add(property.Value.GetString()!);
                    }
                    else
                    {
                        Collect(property.Value, queries);
                    }
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    Collect(item, queries);
                }

                break;
        }
    }

    private static Dictionary<string, DocumentedInstrument> DocumentedInstruments()
    {
        var rows = ObservabilityDoc.Instruments();
        rows.Should().NotBeEmpty();
        return rows;
    }

    private static Dictionary<string, Instrument> RegisteredInstruments()
    {
        RuntimeHelpers.RunClassConstructor(typeof(PartitionLog).Assembly.GetType("OrleansAof.Storage.StorageInstruments", throwOnError: true)!.TypeHandle);
        using var server = new ServerInstruments(new OpenPartitions(NullLogger<OpenPartitions>.Instance));
        var found = new Dictionary<string, Instrument>(StringComparer.Ordinal);
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name is AppendLogTelemetry.StorageMeterName or ServerInstruments.MeterName)
                {
                    lock (found)
                    {
                        found.TryAdd(instrument.Name, instrument);
                    }
                }
            },
        };
        listener.Start();
        return found;
    }

    private static string KindOf(Instrument instrument)
    {
        var type = instrument.GetType();
        var definition = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        return definition == typeof(Counter<>) ? "counter"
            : definition == typeof(Histogram<>) ? "histogram"
            : definition == typeof(ObservableGauge<>) ? "gauge"
            : type.Name;
    }

    /// <summary>The name the OpenTelemetry Prometheus exporter gives an instrument (a histogram's family name).</summary>
    private static string PrometheusName(string instrument, string type, string unit)
    {
        var name = instrument.Replace('-', '_');
        var suffix = unit switch
        {
            "By" => "_bytes",
            "ms" => "_milliseconds",
            _ => "",
        };
        if (suffix.Length > 0 && !name.EndsWith(suffix, StringComparison.Ordinal))
        {
            name += suffix;
        }

        return type == "counter" ? name + "_total" : name;
    }

    private static IEnumerable<string> SpanConstants(Type type) =>
        type.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.Name.EndsWith("Span", StringComparison.Ordinal))
            .Select(f => (string)f.GetRawConstantValue()!);

    [GeneratedRegex(@"^\| `(aof\.[a-z_.]+)` \|", RegexOptions.Multiline)]
    private static partial Regex SpanRow();

    [GeneratedRegex(@"\baof_[a-z0-9_]+")]
    private static partial Regex MetricName();
}
