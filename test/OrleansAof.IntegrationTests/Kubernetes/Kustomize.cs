using System.Diagnostics;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.IntegrationTests.Kubernetes;

/// <summary>Renders the kustomizations under <c>k8s/</c> with <c>kubectl kustomize</c> (offline: no cluster needed).</summary>
public static class Kustomize
{
    /// <summary>The kustomization folders: the base and every overlay under <c>k8s/overlays</c>.</summary>
    public static IReadOnlyList<string> Overlays =>
        [.. Directory.GetDirectories(Path.Combine(RepositoryPaths.Root, "k8s", "overlays")).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    public static string OverlayPath(string overlay) => Path.Combine(RepositoryPaths.Root, "k8s", "overlays", overlay);

    public static string BasePath => Path.Combine(RepositoryPaths.Root, "k8s", "base");

    /// <summary>The kubectl on the PATH, or null.</summary>
    public static string? Kubectl { get; } = FindOnPath("kubectl");

    /// <summary>The output of <c>kubectl kustomize {directory}</c>.</summary>
    public static async Task<string> RenderAsync(string directory)
    {
        var kubectl = Kubectl ?? throw new InvalidOperationException("kubectl is not installed.");
        var info = new ProcessStartInfo(kubectl, ["kustomize", directory])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info) ?? throw new InvalidOperationException("kubectl did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await Wait.ForAsync(process.WaitForExitAsync(), $"kubectl kustomize {directory}", TimeSpan.FromSeconds(60));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"kubectl kustomize {directory} failed with exit code {process.ExitCode}: {await stderr}");
        }

        return await stdout;
    }

    private static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}

/// <summary>A fact that needs kubectl: skipped, with the reason, only when kubectl is not installed.</summary>
public sealed class KubectlFactAttribute : FactAttribute
{
    public KubectlFactAttribute()
    {
        if (Kustomize.Kubectl is null)
        {
            Skip = "kubectl is not installed: the manifests cannot be rendered with kubectl kustomize (install kubectl to run this test).";
        }
    }
}

/// <summary>A theory that needs kubectl: skipped, with the reason, only when kubectl is not installed.</summary>
public sealed class KubectlTheoryAttribute : TheoryAttribute
{
    public KubectlTheoryAttribute()
    {
        if (Kustomize.Kubectl is null)
        {
            Skip = "kubectl is not installed: the manifests cannot be rendered with kubectl kustomize (install kubectl to run this test).";
        }
    }
}
