using System.Diagnostics;
using System.Net;
using FluentAssertions;
using k8s;
using OrleansAof.TestInfrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OrleansAof.IntegrationTests.Kubernetes;

/// <summary>
/// The kustomizations under <c>k8s/</c>: each overlay renders with <c>kubectl kustomize</c>, parses strictly with
/// KubernetesClient, and passes <see cref="ManifestValidator"/>; the checks are shown to fail on doctored manifests.
/// </summary>
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class ManifestTests(ITestOutputHelper output)
{
    public static TheoryData<string> Overlays => [.. Kustomize.Overlays];

    /// <summary>Doctored copies of a rendered overlay: (overlay, text to replace, replacement, what the validator must report).</summary>
    public static TheoryData<string, string, string, string> Doctored => new()
    {
        // A misspelt key in the ConfigMap (it reaches the host through envFrom).
        { "dev", "Aof__FlushPolicy:", "Aof__FlushPolicyy:", "Aof__FlushPolicyy sets Aof:FlushPolicyy, which the silo host does not bind" },
        // A misspelt variable set on the container.
        { "prod", "name: Aof__ClusteringConnectionString", "name: Aof__ClusteringConectionString", "Aof__ClusteringConectionString sets Aof:ClusteringConectionString" },
        // A key that is not even announced.
        { "dev", "Aof__S3ServiceUrl:", "Aof__S3Endpoint:", "Aof__S3Endpoint sets Aof:S3Endpoint, which the silo host does not bind" },
        // Something that is not a silo-host setting at all.
        { "dev", "Logging__Console__FormatterName:", "ASPNETCORE_URLS:", "ASPNETCORE_URLS is not a silo-host setting" },
        // A value the host cannot bind.
        { "dev", "Aof__HttpPort: \"8080\"", "Aof__HttpPort: eighty", "the silo host cannot bind the environment" },
        // A shutdown that does not fit in the grace period.
        { "prod", "Aof__ShutdownTimeout: \"00:00:45\"", "Aof__ShutdownTimeout: \"00:01:30\"", "terminationGracePeriodSeconds 60 is not longer than Aof:ShutdownTimeout 00:01:30" },
        // Owner silos out of step with the replica count.
        { "prod", "Aof__Silos: aof-0,aof-1,aof-2", "Aof__Silos: aof-0,aof-1", "Aof:Silos is 'aof-0,aof-1' but the 3 pods are 'aof-0,aof-1,aof-2'" },
        // A Service whose named target port no container declares.
        { "dev", "targetPort: gateway", "targetPort: gateways", "targets 'gateways', which no container of StatefulSet/aof declares" },
        // A secret that is neither defined nor declared external.
        { "prod", "orleans-aof/external-secrets: aof-redis,aof-s3", "orleans-aof/external-secrets: aof-s3", "Secret/aof-redis does not exist and is not declared external" },
        // A root filesystem that became writable.
        { "prod", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", "the root filesystem is not read-only" },
        // The data volume shared by more than one pod.
        { "prod", "- ReadWriteOncePod", "- ReadWriteMany", "the 'data' claim's access modes are [ReadWriteMany], not [ReadWriteOncePod]" },
    };

    [KubectlTheory]
    [MemberData(nameof(Overlays))]
    public async Task Overlay_renders_parses_strictly_and_passes_every_check(string overlay)
    {
        var yaml = await Kustomize.RenderAsync(Kustomize.OverlayPath(overlay));
        var validator = ManifestValidator.Validate(overlay, yaml, Readme(), SiloHostConfiguration.Instance);

        validator.Problems.Should().BeEmpty("the {0} overlay must be deployable as rendered:{1}{2}", overlay, Environment.NewLine, validator);
        validator.SiloProbes.Should().NotBeEmpty();
        var host = SiloHostConfiguration.Instance;
        output.WriteLine($"{overlay}: {validator.Objects.Count} objects ({string.Join(", ", validator.Objects.GroupBy(o => o.GetType().Name).Select(g => $"{g.Count()} {g.Key}"))})");
        output.WriteLine($"silo environment: {validator.SiloEnvironment.Count} variables, each a key the host binds ({host.ConfigurationKeys.Count} keys), an announced archive key, POD_NAME/POD_IP or Logging__*");
        output.WriteLine(host.ArchiveKeysLanded
            ? "archive keys: bound by the host"
            : $"archive keys: not bound by the host yet; accepted as announced: {string.Join(", ", validator.SiloEnvironment.Keys.Where(k => SiloHostConfiguration.AnnouncedArchiveKeys.Contains(k.Replace("__", ":", StringComparison.Ordinal))))}");
    }

    [KubectlFact]
    public async Task Base_renders_and_parses_strictly()
    {
        var objects = KubernetesYaml.LoadAllFromString(await Kustomize.RenderAsync(Kustomize.BasePath), null, strict: true);
        objects.Select(o => o.GetType().Name).Should().Contain(["V1StatefulSet", "V1Service", "V1PodDisruptionBudget", "V1ConfigMap", "V1ServiceAccount"]);
    }

    [KubectlTheory]
    [MemberData(nameof(Doctored))]
    public async Task A_doctored_manifest_fails_the_check(string overlay, string find, string replace, string expectedProblem)
    {
        var yaml = await Kustomize.RenderAsync(Kustomize.OverlayPath(overlay));
        yaml.Should().Contain(find, "the rendered {0} overlay is the starting point of this case", overlay);

        var doctored = ManifestValidator.Validate(overlay, yaml.Replace(find, replace, StringComparison.Ordinal), Readme(), SiloHostConfiguration.Instance);

        doctored.Problems.Should().Contain(p => p.Contains(expectedProblem, StringComparison.Ordinal), "replacing '{0}' with '{1}' must be caught; found:{2}{3}", find, replace, Environment.NewLine, doctored);
    }

    [KubectlFact]
    public async Task A_field_the_API_does_not_know_fails_the_strict_parse()
    {
        var yaml = await Kustomize.RenderAsync(Kustomize.OverlayPath("prod"));
        var act = () => KubernetesYaml.LoadAllFromString(yaml.Replace("terminationGracePeriodSeconds:", "terminationGracePeriodSecond:", StringComparison.Ordinal), null, strict: true);
        act.Should().Throw<Exception>().Which.Message.Should().Contain("terminationGracePeriodSecond");
    }

    /// <summary>
    /// Starts the silo host with the dev overlay's silo environment (only what needs a cluster service is replaced:
    /// localhost clustering, in-memory reminders, no archive, a temporary data folder and free ports) and calls every
    /// probe path of the StatefulSet and the metrics path on the HTTP port. Then SIGTERM: the host stops within its
    /// grace period.
    /// </summary>
    [KubectlFact]
    public async Task The_probes_of_the_manifests_answer_on_a_silo_host_started_with_their_configuration()
    {
        var validator = ManifestValidator.Validate("dev", await Kustomize.RenderAsync(Kustomize.OverlayPath("dev")), Readme(), SiloHostConfiguration.Instance);
        validator.Problems.Should().BeEmpty();
        var environment = validator.SiloEnvironment
            .Where(kv => kv.Key.StartsWith("Aof__", StringComparison.Ordinal) || kv.Key.StartsWith("Logging__", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        environment["Aof__Clustering"] = "Localhost";
        environment["Aof__Reminders"] = "InMemory";
        environment["Aof__Archive"] = "None";
        environment["Aof__Silos"] = "aof-0";
        environment["Aof__SiloName"] = "aof-0";
        environment.Remove("Aof__ClusteringConnectionString");
        using var data = new TempDirectory("probes");
        await using var silo = new SiloHostProcess(data.Path, environment);
        await silo.StartAsync();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        foreach (var (probe, path, _) in validator.SiloProbes)
        {
            using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{silo.HttpPort}{path}"));
            response.StatusCode.Should().Be(HttpStatusCode.OK, "the {0} probe calls {1}", probe, path);
        }

        using (var metrics = await http.GetAsync(new Uri($"http://127.0.0.1:{silo.HttpPort}/metrics")))
        {
            metrics.StatusCode.Should().Be(HttpStatusCode.OK, "the pods are annotated for scraping /metrics");
        }

        var stop = Stopwatch.StartNew();
        (await silo.TerminateAsync()).Should().Be(0);
        var grace = TimeSpan.FromSeconds(60);
        stop.Elapsed.Should().BeLessThan(grace, "the host stops within terminationGracePeriodSeconds");
        output.WriteLine($"probes {string.Join(", ", validator.SiloProbes.Select(p => $"{p.Probe} {p.Path}"))} answered 200; SIGTERM to exit {stop.Elapsed.TotalSeconds:0.0} s (Aof:GatewayShutdownDelay {environment["Aof__GatewayShutdownDelay"]})");
    }

    /// <summary>
    /// The Job that runs the <c>aof</c> tool on a silo's volume, checked together with the prod overlay it is used with:
    /// the same image as the silos, a claim the StatefulSet creates, the same security rules as every workload.
    /// </summary>
    [KubectlFact]
    public async Task The_aof_tool_job_fits_the_prod_overlay()
    {
        var tool = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "k8s", "tools", "aof-job.yaml"));
        var prod = await Kustomize.RenderAsync(Kustomize.OverlayPath("prod"));

        var validator = ManifestValidator.Validate("prod+tools", prod + "\n---\n" + tool, Readme(), SiloHostConfiguration.Instance);

        validator.Problems.Should().BeEmpty(validator.ToString());
        var job = validator.Objects.OfType<k8s.Models.V1Job>().Single(j => j.Metadata.Name == "aof-tool").Spec.Template.Spec.Containers.Single();
        var silo = validator.Objects.OfType<k8s.Models.V1StatefulSet>().Single().Spec.Template.Spec.Containers.Single(c => c.Name == "silo");
        job.Image.Should().Be(silo.Image, "the tool must be the version of the silos it works on");
        job.Command.Should().Equal("dotnet", "/opt/aof/aof.dll");
        job.Args[0].Should().BeOneOf("inspect", "verify", "repair", "restore");
    }

    private static string Readme() => File.ReadAllText(Path.Combine(RepositoryPaths.Root, "k8s", "README.md"));
}
