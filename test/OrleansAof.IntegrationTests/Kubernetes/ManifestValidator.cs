// Over 600 lines on purpose: one strict reader of the rendered k8s manifests, rule by rule.
using System.Globalization;
using System.Text;
using k8s;
using k8s.Models;

namespace OrleansAof.IntegrationTests.Kubernetes;

/// <summary>
/// Checks a rendered kustomization (the output of <c>kubectl kustomize</c>): it parses strictly with KubernetesClient,
/// and <see cref="Validate"/> lists every semantic problem found, one sentence each (an empty list means none).
/// </summary>
public sealed class ManifestValidator
{
    /// <summary>The pod-template annotation naming Secrets the manifests read but do not create (prod).</summary>
    public const string ExternalSecretsAnnotation = "orleans-aof/external-secrets";

    /// <summary>The StatefulSet that runs the silo host.</summary>
    public const string SiloStatefulSet = "aof";

    /// <summary>Its volume claim template for the data folder.</summary>
    public const string DataVolume = "data";

    /// <summary>Overlays for local clusters whose default storage classes are not CSI: ReadWriteOnce is documented there.</summary>
    public static readonly IReadOnlySet<string> OverlaysAllowedReadWriteOnce = new HashSet<string>(StringComparer.Ordinal) { "dev" };

    private static readonly string[] PodDerivedSettings = ["Aof__SiloName", "Aof__AdvertisedIp"];
    private static readonly string[] RequiredProbes = ["startup", "liveness", "readiness"];
    private readonly List<string> _problems = [];
    private readonly string _overlay;
    private readonly string _readme;
    private readonly SiloHostConfiguration _host;

    private ManifestValidator(string overlay, IReadOnlyList<object> objects, string readme, SiloHostConfiguration host)
    {
        _overlay = overlay;
        Objects = objects;
        _readme = readme;
        _host = host;
    }

    /// <summary>The parsed objects.</summary>
    public IReadOnlyList<object> Objects { get; }

    /// <summary>The problems found by <see cref="Validate"/>.</summary>
    public IReadOnlyList<string> Problems => _problems;

    /// <summary>The environment of the silo container as the pod would see it (ConfigMap values resolved, Secrets and the downward API as placeholders).</summary>
    public Dictionary<string, string> SiloEnvironment { get; } = new(StringComparer.Ordinal);

    /// <summary>Every (path, port) an HTTP probe of the silo container uses, with the port resolved to a number.</summary>
    public List<(string Probe, string Path, int Port)> SiloProbes { get; } = [];

    /// <summary>Parses <paramref name="yaml"/> strictly (an unknown field is an error) and validates it.</summary>
    public static ManifestValidator Validate(string overlay, string yaml, string readme, SiloHostConfiguration host)
    {
        var objects = KubernetesYaml.LoadAllFromString(yaml, null, strict: true);
        var validator = new ManifestValidator(overlay, objects, readme, host);
        validator.Run();
        return validator;
    }

    private IEnumerable<T> All<T>() => Objects.OfType<T>();

    private void Problem(string what) => _problems.Add($"{_overlay}: {what}");

    private void Run()
    {
        CheckUniqueNames();
        var workloads = Workloads().ToList();
        foreach (var workload in workloads)
        {
            CheckWorkload(workload);
        }

        CheckServices(workloads);
        CheckDisruptionBudgets(workloads);
        foreach (var account in All<V1ServiceAccount>())
        {
            if (account.AutomountServiceAccountToken != false)
            {
                Problem($"ServiceAccount/{account.Metadata.Name} mounts a token (automountServiceAccountToken is not false)");
            }
        }

        var silo = All<V1StatefulSet>().FirstOrDefault(s => s.Metadata.Name == SiloStatefulSet);
        if (silo is null)
        {
            Problem($"there is no StatefulSet/{SiloStatefulSet} running the silo host");
        }
        else
        {
            CheckSilo(silo, workloads.Single(w => w.Kind == "StatefulSet" && w.Name == SiloStatefulSet));
        }
    }

    private void CheckUniqueNames()
    {
        foreach (var group in Objects.OfType<IKubernetesObject<V1ObjectMeta>>().GroupBy(o => (o.Kind, o.Metadata?.NamespaceProperty, o.Metadata?.Name)))
        {
            if (group.Key.Name is null)
            {
                Problem($"a {group.Key.Kind} has no name");
            }
            else if (group.Count() > 1)
            {
                Problem($"{group.Key.Kind}/{group.Key.Name} is defined {group.Count()} times");
            }
        }
    }

    private IEnumerable<Workload> Workloads()
    {
        foreach (var s in All<V1StatefulSet>())
        {
            yield return new Workload("StatefulSet", s.Metadata.Name, s.Spec.Selector, s.Spec.Template, s.Spec.VolumeClaimTemplates ?? []);
        }

        foreach (var d in All<V1Deployment>())
        {
            yield return new Workload("Deployment", d.Metadata.Name, d.Spec.Selector, d.Spec.Template, []);
        }

        foreach (var j in All<V1Job>())
        {
            yield return new Workload("Job", j.Metadata.Name, null, j.Spec.Template, []);
        }

        foreach (var d in All<V1DaemonSet>())
        {
            yield return new Workload("DaemonSet", d.Metadata.Name, d.Spec.Selector, d.Spec.Template, []);
        }
    }

    private void CheckWorkload(Workload w)
    {
        var where = $"{w.Kind}/{w.Name}";
        var labels = w.Template.Metadata?.Labels ?? new Dictionary<string, string>();
        if (w.Selector is not null)
        {
            if (w.Selector.MatchLabels is not { Count: > 0 } || !Matches(w.Selector.MatchLabels, labels))
            {
                Problem($"{where}: its selector {Format(w.Selector.MatchLabels)} does not match its pod labels {Format(labels)}");
            }
        }

        var pod = w.Template.Spec;
        if (pod.AutomountServiceAccountToken != false)
        {
            Problem($"{where}: the pod mounts a service account token (automountServiceAccountToken is not false)");
        }

        if (pod.ServiceAccountName is { } account && !All<V1ServiceAccount>().Any(a => a.Metadata.Name == account))
        {
            Problem($"{where}: ServiceAccount/{account} does not exist");
        }

        var podSecurity = pod.SecurityContext;
        if (podSecurity?.RunAsNonRoot != true)
        {
            Problem($"{where}: the pod does not set runAsNonRoot: true");
        }

        var volumes = (pod.Volumes ?? []).ToDictionary(v => v.Name, StringComparer.Ordinal);
        foreach (var volume in volumes.Values)
        {
            CheckVolumeReference(where, volume);
        }

        foreach (var container in (pod.InitContainers ?? []).Concat(pod.Containers))
        {
            var at = $"{where} container {container.Name}";
            var security = container.SecurityContext;
            if ((security?.RunAsUser ?? podSecurity?.RunAsUser) is not > 0)
            {
                Problem($"{at}: runs without a non-zero runAsUser");
            }

            if ((security?.SeccompProfile ?? podSecurity?.SeccompProfile)?.Type != "RuntimeDefault")
            {
                Problem($"{at}: seccomp profile is not RuntimeDefault");
            }

            if (security?.AllowPrivilegeEscalation != false)
            {
                Problem($"{at}: allowPrivilegeEscalation is not false");
            }

            if (security?.Privileged == true)
            {
                Problem($"{at}: is privileged");
            }

            if (security?.ReadOnlyRootFilesystem != true)
            {
                Problem($"{at}: the root filesystem is not read-only");
            }

            if (security?.Capabilities?.Drop?.Contains("ALL") != true)
            {
                Problem($"{at}: does not drop ALL capabilities");
            }

            if (security?.Capabilities?.Add is { Count: > 0 } added)
            {
                Problem($"{at}: adds capabilities {string.Join(',', added)}");
            }

            var requests = container.Resources?.Requests;
            if (requests is null || !requests.ContainsKey("cpu") || !requests.ContainsKey("memory"))
            {
                Problem($"{at}: has no cpu and memory requests");
            }

            if (container.Resources?.Limits?.ContainsKey("memory") != true)
            {
                Problem($"{at}: has no memory limit");
            }

            if (string.IsNullOrEmpty(container.Image) || !container.Image.Contains(':', StringComparison.Ordinal))
            {
                Problem($"{at}: image '{container.Image}' has no tag");
            }

            foreach (var mount in container.VolumeMounts ?? [])
            {
                if (!volumes.ContainsKey(mount.Name) && !w.ClaimTemplates.Any(t => t.Metadata.Name == mount.Name))
                {
                    Problem($"{at}: mounts '{mount.Name}', which is neither a volume nor a volume claim template");
                }
            }

            foreach (var source in container.EnvFrom ?? [])
            {
                if (source.ConfigMapRef is { } map && map.Optional != true && ConfigMap(map.Name) is null)
                {
                    Problem($"{at}: envFrom ConfigMap/{map.Name} does not exist");
                }

                if (source.SecretRef is { } secret && secret.Optional != true)
                {
                    CheckSecret(at, w, secret.Name, key: null);
                }
            }

            foreach (var variable in container.Env ?? [])
            {
                if (variable.ValueFrom?.ConfigMapKeyRef is { } mapKey && mapKey.Optional != true && ConfigMap(mapKey.Name)?.Data?.ContainsKey(mapKey.Key) != true)
                {
                    Problem($"{at}: {variable.Name} reads key {mapKey.Key} of ConfigMap/{mapKey.Name}, which does not exist");
                }

                if (variable.ValueFrom?.SecretKeyRef is { } secretKey && secretKey.Optional != true)
                {
                    CheckSecret(at, w, secretKey.Name, secretKey.Key);
                }
            }

            foreach (var (probeName, probe) in Probes(container))
            {
                if (probe.HttpGet is { } get)
                {
                    ResolvePort(at, container, get.Port, $"{probeName} probe");
                }
                else if (probe.TcpSocket is { } tcp)
                {
                    ResolvePort(at, container, tcp.Port, $"{probeName} probe");
                }
            }
        }
    }

    private void CheckVolumeReference(string where, V1Volume volume)
    {
        if (volume.ConfigMap is { } map && map.Optional != true && ConfigMap(map.Name) is null)
        {
            Problem($"{where}: volume {volume.Name} uses ConfigMap/{map.Name}, which does not exist");
        }

        if (volume.Secret is { } secret && secret.Optional != true && !All<V1Secret>().Any(s => s.Metadata.Name == secret.SecretName))
        {
            Problem($"{where}: volume {volume.Name} uses Secret/{secret.SecretName}, which does not exist");
        }

        if (volume.PersistentVolumeClaim is { } claim && !All<V1PersistentVolumeClaim>().Any(c => c.Metadata.Name == claim.ClaimName) && !IsStatefulSetClaim(claim.ClaimName))
        {
            Problem($"{where}: volume {volume.Name} uses PersistentVolumeClaim/{claim.ClaimName}, which does not exist");
        }
    }

    /// <summary>A Secret must exist in the output, or be declared external on the pod template and documented in k8s/README.md with its key.</summary>
    private void CheckSecret(string at, Workload w, string name, string? key)
    {
        var secret = All<V1Secret>().FirstOrDefault(s => s.Metadata.Name == name);
        if (secret is not null)
        {
            if (key is not null && secret.Data?.ContainsKey(key) != true && secret.StringData?.ContainsKey(key) != true)
            {
                Problem($"{at}: reads key {key} of Secret/{name}, which has no such key");
            }

            return;
        }

        var external = (Lookup(w.Template.Metadata?.Annotations, ExternalSecretsAnnotation) ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (!external.Contains(name))
        {
            Problem($"{at}: Secret/{name} does not exist and is not declared external (annotation {ExternalSecretsAnnotation})");
            return;
        }

        if (!_readme.Contains($"`{name}`", StringComparison.Ordinal) || (key is not null && !_readme.Contains($"`{key}`", StringComparison.Ordinal)))
        {
            Problem($"{at}: the external Secret/{name}{(key is null ? "" : " key " + key)} is not documented in k8s/README.md (as `{name}` and `{key}`)");
        }
    }

    private void CheckServices(List<Workload> workloads)
    {
        foreach (var service in All<V1Service>())
        {
            var where = $"Service/{service.Metadata.Name}";
            var selector = service.Spec.Selector;
            if (selector is not { Count: > 0 })
            {
                Problem($"{where}: has no selector");
                continue;
            }

            var targets = workloads.Where(w => Matches(selector, w.Template.Metadata?.Labels)).ToList();
            if (targets.Count == 0)
            {
                Problem($"{where}: its selector {Format(selector)} matches no pod template");
                continue;
            }

            foreach (var port in service.Spec.Ports ?? [])
            {
                foreach (var target in targets)
                {
                    var targetPort = port.TargetPort?.Value ?? port.Port.ToString(CultureInfo.InvariantCulture);
                    var containers = target.Template.Spec.Containers;
                    var found = int.TryParse(targetPort, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
                        ? containers.Any(c => (c.Ports ?? []).Any(p => p.ContainerPort == number))
                        : containers.Any(c => (c.Ports ?? []).Any(p => p.Name == targetPort));
                    if (!found)
                    {
                        Problem($"{where}: port {port.Name} targets '{targetPort}', which no container of {target.Kind}/{target.Name} declares");
                    }
                }
            }
        }

        foreach (var set in All<V1StatefulSet>())
        {
            var governing = All<V1Service>().FirstOrDefault(s => s.Metadata.Name == set.Spec.ServiceName);
            if (governing is null)
            {
                Problem($"StatefulSet/{set.Metadata.Name}: its serviceName {set.Spec.ServiceName} is not a Service");
            }
            else if (governing.Spec.ClusterIP != "None" || !Matches(governing.Spec.Selector, set.Spec.Template.Metadata?.Labels))
            {
                Problem($"StatefulSet/{set.Metadata.Name}: Service/{governing.Metadata.Name} is not headless or does not select its pods");
            }
        }
    }

    private void CheckDisruptionBudgets(List<Workload> workloads)
    {
        foreach (var budget in All<V1PodDisruptionBudget>())
        {
            if (budget.Spec.Selector?.MatchLabels is not { Count: > 0 } labels || !workloads.Any(w => Matches(labels, w.Template.Metadata?.Labels)))
            {
                Problem($"PodDisruptionBudget/{budget.Metadata.Name}: its selector matches no pod template");
            }
        }

        var silo = workloads.FirstOrDefault(w => w.Kind == "StatefulSet" && w.Name == SiloStatefulSet);
        if (silo is not null && !All<V1PodDisruptionBudget>().Any(b => b.Spec.Selector?.MatchLabels is { } l && Matches(l, silo.Template.Metadata?.Labels) && b.Spec.MaxUnavailable?.Value == "1"))
        {
            Problem($"StatefulSet/{SiloStatefulSet}: no PodDisruptionBudget with maxUnavailable 1 covers its pods");
        }
    }

    private void CheckSilo(V1StatefulSet set, Workload w)
    {
        var where = $"StatefulSet/{SiloStatefulSet}";
        var pod = set.Spec.Template.Spec;
        var container = pod.Containers.FirstOrDefault(c => c.Name == "silo");
        if (container is null)
        {
            Problem($"{where}: has no container named silo");
            return;
        }

        // The environment: ConfigMaps through envFrom (every key is a variable), then env.
        foreach (var source in container.EnvFrom ?? [])
        {
            if (source.Prefix is { Length: > 0 })
            {
                Problem($"{where}: envFrom with a prefix ({source.Prefix}) hides which keys reach the host");
            }

            if (source.ConfigMapRef is { } map && ConfigMap(map.Name)?.Data is { } data)
            {
                foreach (var (key, value) in data)
                {
                    SiloEnvironment[key] = value;
                }
            }

            if (source.SecretRef is { } secretRef)
            {
                var secret = All<V1Secret>().FirstOrDefault(s => s.Metadata.Name == secretRef.Name);
                if (secret is null)
                {
                    Problem($"{where}: envFrom Secret/{secretRef.Name} cannot be checked: its keys are unknown (use secretKeyRef per variable)");
                }
                else
                {
                    foreach (var key in (secret.Data?.Keys ?? []).Concat(secret.StringData?.Keys ?? []))
                    {
                        SiloEnvironment[key] = "secret";
                    }
                }
            }
        }

        foreach (var variable in container.Env ?? [])
        {
            SiloEnvironment[variable.Name] = variable.Value ?? variable.ValueFrom switch
            {
                { FieldRef.FieldPath: "metadata.name" } => SiloStatefulSet + "-0",
                { FieldRef.FieldPath: "status.podIP" } => "10.0.0.10",
                { SecretKeyRef: not null } => "secret-value",
                { ConfigMapKeyRef: { } r } => Lookup(ConfigMap(r.Name)?.Data, r.Key) ?? "",
                _ => "",
            };
        }

        foreach (var name in SiloEnvironment.Keys.Order(StringComparer.Ordinal))
        {
            if (_host.Reject(name) is { } reason)
            {
                Problem($"{where}: {reason}");
            }
        }

        var env = container.Env ?? [];
        if (env.FirstOrDefault(e => e.Name == "POD_NAME")?.ValueFrom?.FieldRef?.FieldPath != "metadata.name")
        {
            Problem($"{where}: POD_NAME does not come from the downward API (metadata.name)");
        }

        if (env.FirstOrDefault(e => e.Name == "POD_IP")?.ValueFrom?.FieldRef?.FieldPath != "status.podIP")
        {
            Problem($"{where}: POD_IP does not come from the downward API (status.podIP)");
        }

        foreach (var overridden in PodDerivedSettings.Where(SiloEnvironment.ContainsKey))
        {
            Problem($"{where}: {overridden} is set, so the silo name or address would not follow the pod");
        }

        BoundSettings settings;
        try
        {
            settings = _host.Bind(SiloEnvironment);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException || e.GetType().Name == "SiloHostSettingsException")
        {
            Problem($"{where}: the silo host cannot bind the environment: {e.Message}");
            return;
        }

        var replicas = set.Spec.Replicas ?? 1;
        var podNames = Enumerable.Range(0, replicas).Select(i => $"{set.Metadata.Name}-{i}").ToArray();
        if (!settings.SiloList.SequenceEqual(podNames))
        {
            Problem($"{where}: Aof:Silos is '{string.Join(',', settings.SiloList)}' but the {replicas} pods are '{string.Join(',', podNames)}'");
        }

        var ports = (container.Ports ?? []).ToDictionary(p => p.Name ?? "", p => p.ContainerPort, StringComparer.Ordinal);
        foreach (var (name, expected) in new[] { ("silo", settings.SiloPort), ("gateway", settings.GatewayPort), ("http", settings.HttpPort) })
        {
            if (!ports.TryGetValue(name, out var port) || port != expected)
            {
                Problem($"{where}: container port '{name}' is {(ports.TryGetValue(name, out var p) ? p : "missing")} but the host listens on {expected}");
            }
        }

        foreach (var (probeName, probe) in Probes(container))
        {
            if (probe.HttpGet is not { } get)
            {
                Problem($"{where}: the {probeName} probe is not an HTTP probe of the host's health endpoints");
                continue;
            }

            var port = ResolvePort(where, container, get.Port, $"{probeName} probe");
            SiloProbes.Add((probeName, get.Path, port));
            if (port != settings.HttpPort)
            {
                Problem($"{where}: the {probeName} probe uses port {port} but the host serves HTTP on {settings.HttpPort}");
            }
        }

        foreach (var required in RequiredProbes.Where(r => !Probes(container).Any(p => p.Name == r)))
        {
            Problem($"{where}: has no {required} probe");
        }

        if (container.ReadinessProbe?.HttpGet?.Path != "/health/ready")
        {
            Problem($"{where}: the readiness probe does not use /health/ready");
        }

        if (container.LivenessProbe?.HttpGet?.Path != "/health/live")
        {
            Problem($"{where}: the liveness probe does not use /health/live");
        }

        var grace = pod.TerminationGracePeriodSeconds ?? 30;
        if (TimeSpan.FromSeconds(grace) <= settings.ShutdownTimeout)
        {
            Problem($"{where}: terminationGracePeriodSeconds {grace} is not longer than Aof:ShutdownTimeout {settings.ShutdownTimeout}");
        }

        var claim = w.ClaimTemplates.FirstOrDefault(t => t.Metadata.Name == DataVolume);
        if (claim is null)
        {
            Problem($"{where}: has no volume claim template '{DataVolume}'");
        }
        else
        {
            var modes = claim.Spec.AccessModes ?? [];
            var allowed = OverlaysAllowedReadWriteOnce.Contains(_overlay) ? new[] { "ReadWriteOncePod", "ReadWriteOnce" } : ["ReadWriteOncePod"];
            if (modes.Count != 1 || !allowed.Contains(modes[0]))
            {
                Problem($"{where}: the '{DataVolume}' claim's access modes are [{string.Join(',', modes)}], not [{string.Join(" or ", allowed)}]");
            }

            if (claim.Spec.Resources?.Requests?.ContainsKey("storage") != true)
            {
                Problem($"{where}: the '{DataVolume}' claim requests no storage");
            }

            var mount = container.VolumeMounts?.FirstOrDefault(m => m.Name == DataVolume);
            if (mount is null || !string.Equals(mount.MountPath.TrimEnd('/'), settings.DataRoot.TrimEnd('/'), StringComparison.Ordinal))
            {
                Problem($"{where}: Aof:DataRoot {settings.DataRoot} is not where the '{DataVolume}' volume is mounted ({mount?.MountPath ?? "not mounted"})");
            }
        }

        if (set.Spec.PersistentVolumeClaimRetentionPolicy is not { WhenDeleted: "Retain", WhenScaled: "Retain" })
        {
            Problem($"{where}: the data volumes are not retained when the StatefulSet is deleted or scaled in");
        }

        if (container.SecurityContext?.ReadOnlyRootFilesystem == true && container.VolumeMounts?.Any(m => m.MountPath == "/tmp") != true)
        {
            Problem($"{where}: the root filesystem is read-only but /tmp is not a volume");
        }

        var anti = pod.Affinity?.PodAntiAffinity;
        var terms = (anti?.RequiredDuringSchedulingIgnoredDuringExecution ?? [])
            .Concat((anti?.PreferredDuringSchedulingIgnoredDuringExecution ?? []).Select(t => t.PodAffinityTerm));
        if (!terms.Any(t => t.TopologyKey == "kubernetes.io/hostname" && t.LabelSelector?.MatchLabels is { } l && Matches(l, set.Spec.Template.Metadata?.Labels)))
        {
            Problem($"{where}: no pod anti-affinity keeps its silos on different nodes");
        }
    }

    private int ResolvePort(string at, V1Container container, IntOrString port, string what)
    {
        var value = port.Value;
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return number;
        }

        var named = (container.Ports ?? []).FirstOrDefault(p => p.Name == value);
        if (named is null)
        {
            Problem($"{at}: the {what} uses port '{value}', which the container does not declare");
            return -1;
        }

        return named.ContainerPort;
    }

    private static IEnumerable<(string Name, V1Probe Probe)> Probes(V1Container container)
    {
        if (container.StartupProbe is { } startup)
        {
            yield return ("startup", startup);
        }

        if (container.LivenessProbe is { } liveness)
        {
            yield return ("liveness", liveness);
        }

        if (container.ReadinessProbe is { } readiness)
        {
            yield return ("readiness", readiness);
        }
    }

    private static string? Lookup(IDictionary<string, string>? map, string key) => map is not null && map.TryGetValue(key, out var value) ? value : null;

    /// <summary>Whether <paramref name="claim"/> is the claim <c>{template}-{statefulset}-{ordinal}</c> a StatefulSet of the output creates.</summary>
    private bool IsStatefulSetClaim(string claim) => All<V1StatefulSet>().Any(set =>
        (set.Spec.VolumeClaimTemplates ?? []).Any(t => Enumerable.Range(0, set.Spec.Replicas ?? 1).Any(i => claim == $"{t.Metadata.Name}-{set.Metadata.Name}-{i}")));

    private V1ConfigMap? ConfigMap(string name) => All<V1ConfigMap>().FirstOrDefault(m => m.Metadata.Name == name);

    private static bool Matches(IDictionary<string, string>? selector, IDictionary<string, string>? labels) =>
        selector is { Count: > 0 } && labels is not null && selector.All(kv => labels.TryGetValue(kv.Key, out var v) && v == kv.Value);

    private static string Format(IDictionary<string, string>? labels) =>
        labels is null ? "{}" : "{" + string.Join(", ", labels.Select(kv => $"{kv.Key}={kv.Value}")) + "}";

    /// <summary>All the problems, one per line.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var problem in _problems)
        {
            text.AppendLine(problem);
        }

        return text.ToString();
    }

    private sealed record Workload(string Kind, string Name, V1LabelSelector? Selector, V1PodTemplateSpec Template, IList<V1PersistentVolumeClaim> ClaimTemplates);
}
