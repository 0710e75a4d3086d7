using System.Text.RegularExpressions;
using System.Xml.Linq;
using FluentAssertions;
using k8s;
using k8s.Models;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.IntegrationTests.Kubernetes;

/// <summary>
/// The silo host's Dockerfile, checked without a Docker engine: a build stage with the SDK and a final stage with the
/// runtime only, a non-root user that is the one the StatefulSet runs as, an entry point that is the built host, and a
/// build context that holds every project the published applications need.
/// </summary>
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed partial class DockerfileTests
{
    private static readonly string DockerfilePath = Path.Combine(RepositoryPaths.Root, "silo-host", "OrleansAof.SiloHost", "Dockerfile");

    [Fact]
    public void The_final_stage_has_no_SDK_runs_as_the_StatefulSets_user_and_starts_the_silo_host()
    {
        var stages = Stages();
        stages.Should().HaveCountGreaterThanOrEqualTo(2, "the image is built in one stage and shipped from another");
        stages[0].Image.Should().StartWith("mcr.microsoft.com/dotnet/sdk:");
        var final = stages[^1];
        final.Image.Should().StartWith("mcr.microsoft.com/dotnet/aspnet:", "the final image holds the ASP.NET Core runtime the host needs, not the SDK");
        final.Lines.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal)).Should().OnlyContain(l => l.StartsWith("COPY --from=", StringComparison.Ordinal), "the final stage takes only published output");

        var user = final.Lines.Single(l => l.StartsWith("USER ", StringComparison.Ordinal))["USER ".Length..].Split(':');
        var uid = long.Parse(user[0], System.Globalization.CultureInfo.InvariantCulture);
        uid.Should().BePositive("the image runs as a non-root user");
        var pod = BaseStatefulSet().Spec.Template.Spec.SecurityContext;
        pod.RunAsUser.Should().Be(uid, "the StatefulSet runs the image's user, who owns nothing on the read-only root filesystem but may write its volumes (fsGroup)");
        pod.RunAsGroup.Should().Be(long.Parse(user[1], System.Globalization.CultureInfo.InvariantCulture));

        var entry = final.Lines.Single(l => l.StartsWith("ENTRYPOINT ", StringComparison.Ordinal));
        entry.Should().Be($"ENTRYPOINT [\"dotnet\", \"/app/{Path.GetFileName(SiloHostProcess.HostAssembly())}\"]");
        final.Lines.Should().Contain(l => l.StartsWith("COPY --from=", StringComparison.Ordinal) && l.EndsWith(" /app/", StringComparison.Ordinal));
        final.Lines.Should().Contain(l => l.StartsWith("COPY --from=", StringComparison.Ordinal) && l.EndsWith(" /opt/aof/", StringComparison.Ordinal), "the aof tool ships at /opt/aof (k8s/tools/aof-job.yaml runs /opt/aof/aof.dll)");

        var exposed = final.Lines.Single(l => l.StartsWith("EXPOSE ", StringComparison.Ordinal))["EXPOSE ".Length..].Split(' ').Select(int.Parse).Order();
        var declared = BaseStatefulSet().Spec.Template.Spec.Containers.Single(c => c.Name == "silo").Ports.Select(p => p.ContainerPort).Order();
        exposed.Should().Equal(declared);
    }

    [Fact]
    public void The_build_context_holds_every_project_the_silo_host_and_the_aof_tool_reference()
    {
        var build = Stages()[0];
        var copied = build.Lines.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal))
            .SelectMany(l => l["COPY ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[..^1])
            .ToList();
        var ignored = File.ReadAllLines(Path.Combine(RepositoryPaths.Root, ".dockerignore"))
            .Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        foreach (var source in copied)
        {
            Path.Exists(Path.Combine(RepositoryPaths.Root, source)).Should().BeTrue("COPY {0} needs it in the repository", source);
            ignored.Should().NotContain(p => source.TrimEnd('/').StartsWith(p.TrimEnd('/'), StringComparison.Ordinal), ".dockerignore must not drop {0}", source);
        }

        var published = build.Lines.Where(l => l.Contains("dotnet publish", StringComparison.Ordinal))
            .SelectMany(l => PublishedProject().Matches(l).Select(m => m.Groups[1].Value))
            .ToList();
        published.Should().BeEquivalentTo(["silo-host/OrleansAof.SiloHost/OrleansAof.SiloHost.csproj", "src/OrleansAof.Cli/OrleansAof.Cli.csproj"]);
        foreach (var project in published.SelectMany(p => ProjectClosure(Path.Combine(RepositoryPaths.Root, p))))
        {
            var relative = Path.GetRelativePath(RepositoryPaths.Root, project).Replace('\\', '/');
            copied.Should().Contain(c => c.EndsWith('/') && relative.StartsWith(c, StringComparison.Ordinal), "the build needs {0}", relative);
        }
    }

    private static V1StatefulSet BaseStatefulSet() =>
        KubernetesYaml.LoadAllFromString(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "k8s", "base", "statefulset.yaml")), null, strict: true).OfType<V1StatefulSet>().Single();

    /// <summary>The stages of the Dockerfile: the image of each FROM (build arguments resolved to their defaults) and its instructions, continuation lines joined.</summary>
    private static List<(string Image, List<string> Lines)> Stages()
    {
        var text = File.ReadAllText(DockerfilePath).Replace("\\\n", " ", StringComparison.Ordinal);
        var arguments = new Dictionary<string, string>(StringComparer.Ordinal);
        var stages = new List<(string Image, List<string> Lines)>();
        foreach (var raw in text.Split('\n'))
        {
            var line = Regex.Replace(raw.Trim(), @"\s+", " ");
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            if (line.StartsWith("ARG ", StringComparison.Ordinal) && line.Contains('=', StringComparison.Ordinal) && stages.Count == 0)
            {
                var (name, value) = (line[4..].Split('=', 2)[0], line[4..].Split('=', 2)[1]);
                arguments[name] = value;
            }
            else if (line.StartsWith("FROM ", StringComparison.Ordinal))
            {
                var image = line.Split(' ')[1];
                foreach (var (name, value) in arguments)
                {
                    image = image.Replace("${" + name + "}", value, StringComparison.Ordinal);
                }

                stages.Add((image, []));
            }
            else if (stages.Count > 0)
            {
                stages[^1].Lines.Add(line);
            }
        }

        return stages;
    }

    /// <summary>The project and every project it references, transitively.</summary>
    private static HashSet<string> ProjectClosure(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([Path.GetFullPath(project)]);
        while (pending.TryPop(out var next))
        {
            if (!seen.Add(next))
            {
                continue;
            }

            foreach (var reference in XDocument.Load(next).Descendants("ProjectReference"))
            {
                var include = reference.Attribute("Include")!.Value.Replace('\\', Path.DirectorySeparatorChar);
                pending.Push(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(next)!, include)));
            }
        }

        return seen;
    }

    [GeneratedRegex(@"dotnet publish (\S+\.csproj)")]
    private static partial Regex PublishedProject();
}
