using Microsoft.Extensions.Diagnostics.HealthChecks;
using OrleansAof.Server;

namespace OrleansAof.SiloHost;

/// <summary>
/// Ready once the silo has started (partitions open and recover on first use); not ready again once it stops (503).
/// Degraded (still 200: the silo serves reads and appends) while archiving fails or a partition refuses appends for its
/// archive backlog; the body says which partitions and why.
/// </summary>
internal sealed class SiloReadyCheck(AppendLogHealth health) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var report = health.Check();
        return Task.FromResult(
            !report.IsReady ? HealthCheckResult.Unhealthy("the silo is starting or stopping")
            : report.IsDegraded ? HealthCheckResult.Degraded(report.Describe())
            : HealthCheckResult.Healthy(report.Describe()));
    }

    /// <summary>Plain text: the status on the first line, then the reason of each check (one problem per line).</summary>
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        var text = new System.Text.StringBuilder(report.Status.ToString()).Append('\n');
        foreach (var entry in report.Entries.Values)
        {
            if (entry.Description is { Length: > 0 } description)
            {
                text.Append(description).Append('\n');
            }
        }

        return context.Response.WriteAsync(text.ToString(), context.RequestAborted);
    }
}
