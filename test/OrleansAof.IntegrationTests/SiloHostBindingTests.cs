using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using FluentAssertions;
using OrleansAof.IntegrationTests.Kubernetes;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.IntegrationTests;

/// <summary>
/// The silo host's configuration path (<c>SiloHostSettings.Load</c>, then <c>AppendLogConfiguration.Bind</c>, as
/// <c>Program</c> runs them) from environment variables: every <c>AppendLogOptions</c> property and every host setting
/// is bound from <c>Aof__Name</c>, every key the docs, manifests and appsettings name is one the host binds, and
/// <c>Silos</c> and <c>OwnerOverrides</c> take their documented text forms and the list and dictionary forms.
/// </summary>
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed partial class SiloHostBindingTests
{
    private static SiloHostConfiguration Host => SiloHostConfiguration.Instance;

    [Fact]
    public void Every_AppendLogOptions_property_is_set_by_its_Aof_key()
    {
        var (environment, expected) = Sample(Host.AppendLogOptionsType);

        var bound = Host.Bind(environment);

        expected.Keys.Should().HaveCount(Host.AppendLogOptionsType.GetProperties().Count(p => p.SetMethod is { IsPublic: true }), "every settable option has a sample value");
        foreach (var (name, value) in expected)
        {
            Actual(bound.Options, name).Should().BeEquivalentTo(value, o => o.WithStrictOrdering(), "Aof__{0} sets AppendLogOptions.{0}", name);
            Host.ConfigurationKeys.Should().Contain("Aof:" + name);
        }
    }

    [Fact]
    public void Every_host_setting_is_set_by_its_Aof_key()
    {
        var (environment, expected) = Sample(Host.SettingsType);

        var bound = Host.Bind(environment);

        expected.Should().NotBeEmpty();
        foreach (var (name, value) in expected)
        {
            Actual(bound.Settings, name).Should().BeEquivalentTo(value, "Aof__{0} sets SiloHostSettings.{0}", name);
        }

        // Keys that both read: the options get the host's value.
        bound.Option<string>("DataRoot").Should().Be((string)expected["DataRoot"]!);
        bound.Option<string>("SiloName").Should().Be((string)expected["SiloName"]!);
    }

    [Fact]
    public void Every_key_the_docs_manifests_and_appsettings_name_is_bound_by_the_host()
    {
        var documented = DocumentedKeys();

        documented.Should().Contain(["Aof:FlushPolicy", "Aof:Silos", "Aof:OwnerOverrides", "Aof:DataRoot", "Aof:MaxOpenPartitions"], "the scan reads the documents");
        documented.Where(k => !Host.ConfigurationKeys.Contains(k)).Should().BeEmpty("each documented key is SiloHostSettings' or AppendLogOptions'");
    }

    [Fact]
    public void Defaults_are_the_host_defaults_and_AppendLogOptions_defaults()
    {
        var bound = Host.Bind(new Dictionary<string, string>());

        bound.Option<string>("DataRoot").Should().Be("./.aof-data");
        bound.Option<string>("SiloName").Should().Be("aof-0");
        bound.Option<bool>("MemoryPubSubStore").Should().BeTrue("a localhost silo keeps subscriptions in memory");
        var defaults = Activator.CreateInstance(Host.AppendLogOptionsType)!;
        foreach (var name in new[] { "FlushPolicy", "MaxSegmentBytes", "MaxRecordBytes", "MaxUnflushedBytes", "IdleDeactivationAge", "MaxOpenPartitions", "KeepLocalSegments", "MaxArchiveBacklogSegments", "ArchiveReminderPeriod", "SealOnDeactivate", "PartitionMetricTags" })
        {
            Actual(bound.Options, name).Should().Be(Actual(defaults, name), name);
        }

        Host.Bind(new Dictionary<string, string> { ["Aof__Clustering"] = "Redis" }).Option<bool>("MemoryPubSubStore").Should().BeFalse("a durable silo keeps subscriptions in its grain storage");
        Host.Bind(new Dictionary<string, string> { ["Aof__Clustering"] = "Redis", ["Aof__MemoryPubSubStore"] = "true" }).Option<bool>("MemoryPubSubStore").Should().BeTrue("a key set wins");
    }

    [Fact]
    public void Silos_and_OwnerOverrides_take_the_text_forms_and_the_list_and_dictionary_forms()
    {
        var text = Host.Bind(new Dictionary<string, string> { ["Aof__Silos"] = "aof-0, aof-1,aof-2", ["Aof__OwnerOverrides"] = "orders=aof-1; payments/3=aof-2" });
        var structured = Host.Bind(new Dictionary<string, string>
        {
            ["Aof__Silos__0"] = "aof-0",
            ["Aof__Silos__1"] = "aof-1",
            ["Aof__Silos__2"] = "aof-2",
            ["Aof__OwnerOverrides__orders"] = "aof-1",
            ["Aof__OwnerOverrides__payments/3"] = "aof-2",
        });

        foreach (var bound in new[] { text, structured })
        {
            bound.SiloList.Should().Equal("aof-0", "aof-1", "aof-2");
            bound.Option<IDictionary<string, string>>("OwnerOverrides").Should().BeEquivalentTo(new Dictionary<string, string> { ["orders"] = "aof-1", ["payments/3"] = "aof-2" });
        }
    }

    [Theory]
    [InlineData("Aof__OwnerOverrides", "orders", "Aof:OwnerOverrides")]
    [InlineData("Aof__OwnerOverrides", "orders=aof-1;=aof-2", "Aof:OwnerOverrides")]
    [InlineData("Aof__MaxTailWait", "soon", "Aof:MaxTailWait")]
    [InlineData("Aof__BackpressureMode", "Sometimes", "Aof:BackpressureMode")]
    [InlineData("Aof__MaxArchiveBacklogBytes", "12GB", "Aof:MaxArchiveBacklogBytes")]
    [InlineData("Aof__GatewayPort", "abc", "Aof:GatewayPort")]
    [InlineData("Aof__IdleDeactivationAge", "00:00:10", "Aof:IdleDeactivationAge")]
    public void A_value_that_cannot_be_read_fails_naming_its_key(string variable, string value, string key)
    {
        var bind = () => Host.Bind(new Dictionary<string, string> { [variable] = value });

        var error = bind.Should().Throw<Exception>().Which;
        error.GetType().Name.Should().Be("SiloHostSettingsException", error.ToString());
        error.GetType().GetProperty("Key")!.GetValue(error).Should().Be(key);
        error.Message.Should().StartWith(key);
    }

    /// <summary>A non-default value for each settable property of <paramref name="type"/>, as an environment variable and as the value expected.</summary>
    private static (Dictionary<string, string> Environment, Dictionary<string, object?> Expected) Sample(Type type)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        var expected = new Dictionary<string, object?>(StringComparer.Ordinal);
        var defaults = Activator.CreateInstance(type)!;
        var i = 0;
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true }))
        {
            i++;
            var kind = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            var current = property.GetValue(defaults);
            (string Text, object? Value) sample = property.Name switch
            {
                "FlushPolicy" => ("Batched:17", "Batched:17"),
                "Silos" => ("s-1,s-2", new[] { "s-1", "s-2" }),
                "OwnerOverrides" => ("orders=s-2", new Dictionary<string, string> { ["orders"] = "s-2" }),
                "LogReplicationFactors" => ("orders=3;audit=5", new Dictionary<string, int> { ["orders"] = 3, ["audit"] = 5 }),
                _ when kind == typeof(string) => ("value-" + property.Name, "value-" + property.Name),
                _ when kind == typeof(bool) => ((!(bool)(current ?? false)).ToString(), !(bool)(current ?? false)),
                _ when kind == typeof(int) => Text((int)(current ?? 0) + i),
                _ when kind == typeof(long) => Text((long)(current ?? 0L) + (1000L * i)),
                _ when kind == typeof(TimeSpan) => ((((TimeSpan?)current ?? TimeSpan.Zero) + TimeSpan.FromSeconds(i)).ToString("c", CultureInfo.InvariantCulture), ((TimeSpan?)current ?? TimeSpan.Zero) + TimeSpan.FromSeconds(i)),
                _ when kind.IsEnum => Other(kind, current),
                _ => throw new InvalidOperationException($"{type.Name}.{property.Name} has a type ({property.PropertyType}) this test has no sample for: add one."),
            };
            environment["Aof__" + property.Name] = sample.Text;
            expected[property.Name] = sample.Value;
        }

        return (environment, expected);
    }

    private static (string, object?) Text<T>(T value)
        where T : IFormattable => (value.ToString(null, CultureInfo.InvariantCulture), value);

    private static (string, object?) Other(Type enumType, object? current)
    {
        var other = Enum.GetValues(enumType).Cast<object>().First(v => !v.Equals(current));
        return (other.ToString()!, other);
    }

    private static object? Actual(object target, string property) => target.GetType().GetProperty(property)!.GetValue(target);

    /// <summary>Every <c>Aof:Name</c> (or <c>Aof__Name</c>) that README.md, docs/operations.md, silo-host/README.md, k8s/ and the host's appsettings*.json name.</summary>
    private static SortedSet<string> DocumentedKeys()
    {
        var root = RepositoryPaths.Root;
        var files = new[] { "README.md", Path.Combine("docs", "operations.md"), Path.Combine("silo-host", "README.md") }
            .Select(f => Path.Combine(root, f))
            .Concat(Directory.EnumerateFiles(Path.Combine(root, "k8s"), "*", SearchOption.AllDirectories))
            .Concat(Directory.EnumerateFiles(Path.Combine(root, "silo-host", "OrleansAof.SiloHost"), "appsettings*.json"));
        var keys = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            foreach (Match match in KeyPattern().Matches(File.ReadAllText(file)))
            {
                keys.Add("Aof:" + match.Groups["name"].Value);
            }
        }

        foreach (var json in Directory.EnumerateFiles(Path.Combine(root, "silo-host", "OrleansAof.SiloHost"), "appsettings*.json"))
        {
            using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
            if (document.RootElement.TryGetProperty("Aof", out var section))
            {
                foreach (var property in section.EnumerateObject())
                {
                    keys.Add("Aof:" + property.Name);
                }
            }
        }

        // Placeholders of the prose ("Aof:Name", "Aof__Key", "the Aof:S3* settings").
        keys.ExceptWith(["Aof:Name", "Aof:Key", "Aof:S3"]);
        return keys;
    }

    [GeneratedRegex(@"\bAof(?:__|:)(?<name>[A-Z][A-Za-z0-9]*)(?![A-Za-z0-9*])")]
    private static partial Regex KeyPattern();
}
