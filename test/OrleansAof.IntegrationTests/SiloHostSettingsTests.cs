using System.Text;
using FluentAssertions;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.IntegrationTests;

/// <summary>
/// The silo-host rows of the bad-input suite (docs/test-plan.md, issue 14): the built silo host, started as a process
/// with one invalid setting, exits with code 1 after one line that names the setting's <c>Aof:</c> key, without a stack
/// trace and without touching its data folder.
/// </summary>
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class SiloHostSettingsTests : IDisposable
{
    private readonly TempDirectory _root = new("silo-settings");

    /// <summary>Setting (environment variable), value (<c>{file}</c>: a path that is a file; <c>{under-file}</c>: a folder below a file), the key the message must name.</summary>
    public static TheoryData<string, string, string> Rows() => new()
    {
        { "Aof__AdvertisedIp", "not-an-ip", "Aof:AdvertisedIp" },
        { "Aof__AdvertisedIp", "999.1.1.1", "Aof:AdvertisedIp" },
        { "Aof__PrimarySiloEndpoint", "localhost", "Aof:PrimarySiloEndpoint" },
        { "Aof__PrimarySiloEndpoint", "127.0.0.1:99999", "Aof:PrimarySiloEndpoint" },
        { "Aof__GatewayPort", "70000", "Aof:GatewayPort" },
        { "Aof__GatewayPort", "abc", "Aof:GatewayPort" },
        { "Aof__HttpPort", "-1", "Aof:HttpPort" },
        { "Aof__HttpPort", "0", "Aof:HttpPort" },
        { "Aof__SiloPort", "65536", "Aof:SiloPort" },
        { "Aof__IdleDeactivationAge", "00:00:10", "Aof:IdleDeactivationAge" },
        { "Aof__IdleDeactivationAge", "soon", "Aof:IdleDeactivationAge" },
        { "Aof__MaxOpenPartitions", "-1", "Aof:MaxOpenPartitions" },
        { "Aof__DataRoot", "{file}", "Aof:DataRoot" },
        { "Aof__DataRoot", "{under-file}", "Aof:DataRoot" },
        { "Aof__ArchivePath", "{file}", "Aof:ArchivePath" },
        { "Aof__Clustering", "Zookeeper", "Aof:Clustering" },
        { "Aof__Clustering", "Redis", "Aof:ClusteringConnectionString" },
        { "Aof__Reminders", "AdoNet", "Aof:RemindersConnectionString" },
        { "Aof__ClusterId", " ", "Aof:ClusterId" },
        { "Aof__MaxRecordBytes", "0", "Aof:MaxRecordBytes" },
        { "Aof__ShutdownTimeout", "00:00:00", "Aof:ShutdownTimeout" },
        { "Aof__SealOnDeactivate", "maybe", "Aof:SealOnDeactivate" },
        { "Aof__FlushPolicy", "Sometimes", "Aof:FlushPolicy" },
        { "Aof__MaxTailListeners", "-1", "Aof:MaxTailListeners" },
        { "Aof__Silos", "aof-0,aof-0", "Aof:Silos" },
        { "Aof__OwnerOverrides", "orders", "Aof:OwnerOverrides" },
        { "Aof__BackpressureMode", "Sometimes", "Aof:BackpressureMode" },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task An_invalid_setting_stops_the_silo_host_at_start_with_exit_code_1_and_one_line_naming_it(string variable, string value, string key)
    {
        var data = Directory.CreateDirectory(Path.Combine(_root.Path, "data")).FullName;
        var archive = Directory.CreateDirectory(Path.Combine(_root.Path, "archive")).FullName;
        var file = Path.Combine(_root.Path, "a-file");
        await File.WriteAllTextAsync(file, "not a folder");
        await using var silo = new SiloHostProcess(data, new Dictionary<string, string> { ["Aof__ArchivePath"] = archive });
        silo.Settings[variable] = value.Replace("{file}", file, StringComparison.Ordinal).Replace("{under-file}", Path.Combine(file, "data"), StringComparison.Ordinal);
        var before = Snapshot();

        var code = await silo.RunUntilExitAsync(TimeSpan.FromSeconds(90));

        code.Should().Be(1, silo.Output);
        var line = silo.Output.Split('\n').Select(l => l.TrimEnd('\r')).SingleOrDefault(l => l.StartsWith("Invalid configuration: ", StringComparison.Ordinal));
        line.Should().NotBeNull(silo.Output);
        line.Should().Contain(key);
        Encoding.UTF8.GetByteCount(line!).Should().BeLessThan(1024);
        silo.Output.Should().NotContain("Unhandled exception").And.NotContain("   at OrleansAof.SiloHost");
        Snapshot().Should().Equal(before, "a refused start changes nothing on disk");
    }

    private List<string> Snapshot() =>
        [.. Directory.EnumerateFileSystemEntries(_root.Path, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(_root.Path, p)).Order(StringComparer.Ordinal)];

    public void Dispose() => _root.Dispose();
}
