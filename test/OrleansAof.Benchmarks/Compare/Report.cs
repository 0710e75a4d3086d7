using System.Globalization;
using System.Text;

namespace OrleansAof.Benchmarks.Compare;

internal enum RateUnit
{
    RecordsPerSecond,
    MiBPerSecond,
}

/// <summary>One side-by-side line: two subjects measured in the same interleaved rounds, and the ratio of their rates.</summary>
internal sealed record RatioRow(
    string Target,
    string Size,
    string Ours,
    List<Sample> OursSamples,
    string Baseline,
    List<Sample> BaselineSamples,
    RateUnit Unit,
    double? Minimum)
{
    public double[] Ratios => Interleave.Ratios(OursSamples, BaselineSamples, Metric);

    public double RatioMedian => Stats.Median(Ratios);

    public bool? Passed => Minimum is { } min ? RatioMedian >= min : null;

    public double Metric(Sample s) => Unit == RateUnit.RecordsPerSecond ? s.RecordsPerSecond : s.MiBPerSecond;

    public string Rate(List<Sample> samples) => Report.FormatRate(Stats.Median(samples.Select(Metric)), Unit);
}

/// <summary>A measured value with an absolute target (lower is better).</summary>
internal sealed record AbsoluteRow(string Target, string What, string Value, string Detail, string Goal, bool? Passed);

/// <summary>Markdown tables for the console and docs/benchmarks.md.</summary>
internal static class Report
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string FormatRate(double value, RateUnit unit) => unit == RateUnit.RecordsPerSecond
        ? value.ToString(value >= 100 ? "N0" : "N1", Inv) + " rec/s"
        : value.ToString(value >= 100 ? "N0" : "N1", Inv) + " MiB/s";

    public static string F(double value, string format) => value.ToString(format, Inv);

    public static string Verdict(bool? passed, double ratio, double? minimum)
    {
        if (passed is null)
        {
            return "info";
        }

        if (passed.Value)
        {
            return "**PASS**";
        }

        return $"**MISS** ({F((1 - (ratio / minimum!.Value)) * 100, "0")}% short)";
    }

    public static string RatioTable(IEnumerable<RatioRow> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| target | size | ours | ours (median) | baseline | baseline (median) | ratio: median (p25–p75, rounds) | goal | result |");
        sb.AppendLine("|---|---|---|---:|---|---:|---|---|---|");
        foreach (var r in rows)
        {
            var ratios = r.Ratios;
            var goal = r.Minimum is { } m ? $"≥ {F(m, "0.0#")}x" : "";
            sb.Append(Inv, $"| {r.Target} | {r.Size} | {r.Ours} | {r.Rate(r.OursSamples)} | {r.Baseline} | {r.Rate(r.BaselineSamples)} | ");
            sb.Append(Inv, $"**{F(r.RatioMedian, "0.00")}x** ({F(Stats.Percentile(ratios, 0.25), "0.00")}–{F(Stats.Percentile(ratios, 0.75), "0.00")}, {ratios.Length}) | {goal} | {Verdict(r.Passed, r.RatioMedian, r.Minimum)} |");
            sb.AppendLine();
        }

        return sb.ToString();
    }

    public static string AbsoluteTable(IEnumerable<AbsoluteRow> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| target | what | value | detail | goal | result |");
        sb.AppendLine("|---|---|---:|---|---|---|");
        foreach (var r in rows)
        {
            var verdict = r.Passed is null ? "info" : r.Passed.Value ? "**PASS**" : "**MISS**";
            sb.AppendLine(Inv, $"| {r.Target} | {r.What} | {r.Value} | {r.Detail} | {r.Goal} | {verdict} |");
        }

        return sb.ToString();
    }
}
