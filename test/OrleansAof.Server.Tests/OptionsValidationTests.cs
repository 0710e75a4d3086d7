using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.Server.Tests;

[Trait(TestCategories.Name, TestCategories.Fast)]
public sealed class OptionsValidationTests
{
    private static AppendLogOptions Valid() => new() { DataRoot = "/tmp/aof" };

    [Fact]
    public void Defaults_AreTheEngineDefaults()
    {
        var engine = new Storage.PartitionLogOptions();
        var server = Valid().ToEngineOptions("/tmp/aof");
        server.FlushPolicy.Should().Be(engine.FlushPolicy);
        Storage.FlushPolicy.Parse(Storage.PartitionLogDefaults.FlushPolicy).Should().Be(engine.FlushPolicy);
        (server.MaxSegmentBytes, server.MaxRecordBytes, server.MaxUnflushedBytes).Should().Be((engine.MaxSegmentBytes, engine.MaxRecordBytes, engine.MaxUnflushedBytes));
        (server.MaxSegmentAge, server.BackpressureMode, server.Preallocation).Should().Be((engine.MaxSegmentAge, engine.BackpressureMode, engine.Preallocation));
        (server.KeepLocalSegments, server.KeepLocalBytes, server.KeepLocalAge).Should().Be((engine.KeepLocalSegments, engine.KeepLocalBytes, engine.KeepLocalAge));
        (server.MaxArchiveBacklogSegments, server.MaxArchiveBacklogBytes).Should().Be((engine.MaxArchiveBacklogSegments, engine.MaxArchiveBacklogBytes));
        (server.RetentionAge, server.ArchiveReadCacheBytes, server.PartitionMetricTags).Should().Be((engine.RetentionAge, engine.ArchiveReadCacheBytes, engine.PartitionMetricTags));
        (engine.MaxSegmentBytes, engine.MaxRecordBytes, engine.MaxUnflushedBytes, engine.KeepLocalSegments).Should().Be((64L << 20, 1 << 20, 64L << 20, 2));
        (engine.MaxArchiveBacklogSegments, engine.MaxArchiveBacklogBytes, engine.ArchiveReadCacheBytes).Should().Be((64, 16L << 30, 512L << 20));
    }

    public static TheoryData<string, Action<AppendLogOptions>> Invalid => new()
    {
        { "AppendLogOptions.DataRoot", o => o.DataRoot = " " },
        { "AppendLogOptions.FlushPolicy", o => o.FlushPolicy = "Sometimes" },
        { "AppendLogOptions.FlushPolicy", o => o.FlushPolicy = "Batched:0" },
        { "AppendLogOptions.SiloName", o => o.SiloName = "a/b" },
        { "AppendLogOptions.Silos", o => o.Silos = ["a", "a"] },
        { "AppendLogOptions.Silos", o => o.Silos = ["a", ""] },
        { "AppendLogOptions.OwnerOverrides", o => { o.Silos = ["a"]; o.OwnerOverrides["orders/0"] = "b"; } },
        { "AppendLogOptions.OwnerOverrides", o => { o.Silos = ["a"]; o.OwnerOverrides["../x"] = "a"; } },
        { "AppendLogOptions.OwnerOverrides", o => o.OwnerOverrides["orders"] = "a" },
        { "AppendLogOptions.IdleDeactivationAge", o => o.IdleDeactivationAge = TimeSpan.FromSeconds(5) },
        { "AppendLogOptions.MaxOpenPartitions", o => o.MaxOpenPartitions = -1 },
        { "AppendLogOptions.MemoryStreamPollPeriod", o => o.MemoryStreamPollPeriod = TimeSpan.Zero },
        { "AppendLogOptions.StreamGrainCollectionAge", o => o.StreamGrainCollectionAge = TimeSpan.Zero },
        { "AppendLogOptions.MemoryStreamQueues", o => o.MemoryStreamQueues = 0 },
        { "AppendLogOptions.StreamNotificationInterval", o => o.StreamNotificationInterval = TimeSpan.FromMilliseconds(-1) },
        { "AppendLogOptions.MaxTailListeners", o => o.MaxTailListeners = -1 },
        { "AppendLogOptions.MaxTailWait", o => o.MaxTailWait = TimeSpan.Zero },
        { "AppendLogOptions.MaxSegmentBytes", o => o.MaxSegmentBytes = 100 },
        { "AppendLogOptions.MaxRecordBytes", o => o.MaxRecordBytes = 0 },
        { "AppendLogOptions.MaxUnflushedBytes", o => o.MaxUnflushedBytes = 10 },
        { "AppendLogOptions.MaxSegmentAge", o => o.MaxSegmentAge = TimeSpan.FromSeconds(-1) },
        { "AppendLogOptions.BackpressureMode", o => o.BackpressureMode = (Storage.BackpressureMode)7 },
        { "AppendLogOptions.ArchiveReminderPeriod", o => o.ArchiveReminderPeriod = TimeSpan.FromSeconds(5) },
        { "AppendLogOptions.ArchiveRunRetryDelay", o => o.ArchiveRunRetryDelay = TimeSpan.Zero },
        { "AppendLogOptions.ArchiveRunRetryMaxDelay", o => o.ArchiveRunRetryMaxDelay = TimeSpan.FromMilliseconds(500) },
        { "AppendLogOptions.ArchiveRunRetryMaxDelay", o => o.ArchiveRunRetryMaxDelay = TimeSpan.FromHours(2) },
        { "AppendLogOptions.ReplicationFactor", o => o.ReplicationFactor = 2 },
        { "AppendLogOptions.ReplicationFactor", o => o.ReplicationFactor = 0 },
        { "AppendLogOptions.ReplicationFactor", o => { o.Silos = ["a", "b"]; o.ReplicationFactor = 3; } },
        { "AppendLogOptions.LogReplicationFactors", o => o.LogReplicationFactors["orders"] = 4 },
        { "AppendLogOptions.LogReplicationFactors", o => o.LogReplicationFactors["../x"] = 3 },
        { "AppendLogOptions.ReplicationQuorumTimeout", o => o.ReplicationQuorumTimeout = TimeSpan.FromMilliseconds(10) },
    };

    [Fact]
    public void Validator_ArchiveReminderPeriodBelowTheReminderServiceMinimum_FailsOnOneLineNamingBoth()
    {
        var options = Valid();
        options.ArchiveReminderPeriod = TimeSpan.FromSeconds(5);

        var error = FluentActions.Invoking(() => AppendLogOptionsValidator.Validate(options, TimeSpan.FromMinutes(1)))
            .Should().Throw<OrleansConfigurationException>().Which;

        error.Message.Should().Be(
            "AppendLogOptions.ArchiveReminderPeriod must be at least the reminder service's minimum period (ReminderOptions.MinimumReminderPeriod, 00:01:00); it is 00:00:05.");
        AppendLogOptionsValidator.Validate(options, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Validator_AtSiloStart_UsesTheConfiguredReminderMinimum()
    {
        var options = Valid();
        options.ArchiveReminderPeriod = TimeSpan.FromSeconds(2);
        var lowered = new Orleans.Hosting.ReminderOptions { MinimumReminderPeriod = TimeSpan.FromSeconds(1) };

        new AppendLogOptionsValidator(Microsoft.Extensions.Options.Options.Create(options), Microsoft.Extensions.Options.Options.Create(lowered)).ValidateConfiguration();
        var atDefault = () => new AppendLogOptionsValidator(Microsoft.Extensions.Options.Options.Create(options), Microsoft.Extensions.Options.Options.Create(new Orleans.Hosting.ReminderOptions())).ValidateConfiguration();

        atDefault.Should().Throw<OrleansConfigurationException>().Which.Message.Should().StartWith("AppendLogOptions.ArchiveReminderPeriod ");
    }

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Validator_names_the_invalid_option(string option, Action<AppendLogOptions> spoil)
    {
        ArgumentNullException.ThrowIfNull(spoil);
        var options = Valid();
        spoil(options);
        FluentActions.Invoking(() => AppendLogOptionsValidator.Validate(options))
            .Should().Throw<OrleansConfigurationException>().Which.Message.Should().StartWith(option + " ");
    }

    public static TheoryData<string, Action<LogSubscriberOptions>> InvalidSubscriber => new()
    {
        { "LogSubscriberOptions.RecheckInterval", o => o.RecheckInterval = TimeSpan.FromMilliseconds(1) },
        { "LogSubscriberOptions.MaxRecordsPerRead", o => o.MaxRecordsPerRead = 0 },
        { "LogSubscriberOptions.MaxBytesPerRead", o => o.MaxBytesPerRead = 0 },
        { "LogSubscriberOptions.CheckpointInterval", o => o.CheckpointInterval = TimeSpan.FromSeconds(-1) },
    };

    [Theory]
    [MemberData(nameof(InvalidSubscriber))]
    public void Subscriber_validator_names_the_invalid_option(string option, Action<LogSubscriberOptions> spoil)
    {
        ArgumentNullException.ThrowIfNull(spoil);
        var options = new LogSubscriberOptions();
        LogSubscriberOptionsValidator.Validate(options);
        spoil(options);
        FluentActions.Invoking(() => LogSubscriberOptionsValidator.Validate(options))
            .Should().Throw<OrleansConfigurationException>().Which.Message.Should().StartWith(option + " ");
    }

    [Fact]
    public void Validator_accepts_the_defaults_with_a_data_root_and_an_override_table()
    {
        var options = Valid();
        options.Silos = ["a", "b"];
        options.OwnerOverrides["orders"] = "b";
        options.OwnerOverrides["orders/7"] = "a";
        AppendLogOptionsValidator.Validate(options);
        var ownership = new Ownership.PartitionOwnership(Microsoft.Extensions.Options.Options.Create(options));
        ownership.OwnerOf("orders", "7").Should().Be("a", "an exact partition key wins");
        ownership.OwnerOf("orders", "3").Should().Be("b", "a log override covers its partitions");
        ownership.OwnerOf("payments", "0").Should().Be(Ownership.PartitionOwnership.Rendezvous("payments/0", ["a", "b"]));
    }

    [Fact]
    public void Rendezvous_ownership_moves_only_the_partitions_of_a_removed_silo()
    {
        string[] three = ["s0", "s1", "s2"];
        string[] two = ["s0", "s2"];
        var moved = 0;
        for (var p = 0; p < 300; p++)
        {
            var key = $"orders/{p}";
            var before = Ownership.PartitionOwnership.Rendezvous(key, three);
            var after = Ownership.PartitionOwnership.Rendezvous(key, two);
            if (before != "s1")
            {
                after.Should().Be(before);
            }
            else
            {
                moved++;
            }
        }

        moved.Should().BeInRange(60, 140, "about a third of the partitions belonged to s1");
    }

    [Fact]
    public async Task Silo_refuses_to_start_with_invalid_options_and_names_the_option()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(siloPort: 22111, gatewayPort: 30111);
            silo.AddAppendLog(o => o.DataRoot = "");
        });
        using var host = builder.Build();
        var error = await FluentActions.Awaiting(() => host.StartAsync()).Should().ThrowAsync<Exception>();
        error.Which.ToString().Should().Contain("AppendLogOptions.DataRoot is required");
    }

    [Fact]
    public async Task Durable_silo_without_a_PubSubStore_refuses_to_start_and_says_what_to_register()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(siloPort: 22112, gatewayPort: 30112);
            silo.AddAppendLog(o =>
            {
                o.DataRoot = Path.Combine(Path.GetTempPath(), $"aof-pubsub-{Guid.NewGuid():N}");
                o.MemoryPubSubStore = false;
            });
        });
        using var host = builder.Build();
        host.Services.GetKeyedService<Orleans.Storage.IGrainStorage>(Orleans.Hosting.AppendLogSiloExtensions.PubSubStoreName).Should().BeNull("no memory PubSubStore is added behind a durable silo");
        var error = await FluentActions.Awaiting(() => host.StartAsync()).Should().ThrowAsync<Exception>();
        error.Which.ToString().Should().Contain("AppendLogOptions.MemoryPubSubStore is false but no grain storage named 'PubSubStore' is registered");
    }

    [Fact]
    public void Durable_silo_keeps_the_PubSubStore_it_registered_and_a_development_silo_gets_a_memory_one()
    {
        var durable = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        durable.UseOrleans(silo =>
        {
            silo.AddAppendLog(o => { o.DataRoot = "/tmp/aof"; o.MemoryPubSubStore = false; });
            silo.AddMemoryGrainStorage("PubSubStore");
        });
        durable.Services.Count(d => d.IsKeyedService && Equals(d.ServiceKey, "PubSubStore") && d.ServiceType == typeof(Orleans.Storage.IGrainStorage)).Should().Be(1, "only the silo's own PubSubStore is registered");

        var development = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        development.UseOrleans(silo => silo.AddAppendLog(o => o.DataRoot = "/tmp/aof"));
        development.Services.Count(d => d.IsKeyedService && Equals(d.ServiceKey, "PubSubStore") && d.ServiceType == typeof(Orleans.Storage.IGrainStorage)).Should().Be(1, "a development silo gets a memory PubSubStore");
    }

    /// <summary>
    /// A cluster whose membership outlives its silos (here a membership table that is neither Orleans' development one
    /// nor the in-process test one, as with Redis or ADO.NET clustering) must not keep its ownership table, and with it
    /// every partition's upper bound of acknowledged ids, in memory: the silo refuses to start and names the storage.
    /// </summary>
    [Fact]
    public async Task Silo_with_durable_membership_and_an_in_memory_ownership_table_refuses_to_start_naming_the_storage()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleans(silo =>
        {
            silo.Configure<Orleans.Configuration.EndpointOptions>(o => (o.SiloPort, o.GatewayPort) = (22113, 30113));
            silo.Services.AddSingleton<IMembershipTable, DurableMembershipStandIn>();
            silo.AddAppendLog(o => o.DataRoot = Path.Combine(Path.GetTempPath(), $"aof-ownership-{Guid.NewGuid():N}"));
        });
        using var host = builder.Build();
        var error = await FluentActions.Awaiting(() => host.StartAsync()).Should().ThrowAsync<Exception>();
        error.Which.ToString().Should().Contain("The cluster keeps its membership durably (DurableMembershipStandIn) but the grain storage 'AofOwnership'")
            .And.Contain("AddRedisGrainStorage(\"AofOwnership\"");
        DurableMembershipStandIn.Used.Should().BeFalse("the silo stops before it joins the cluster");
    }

    [Fact]
    public void Ownership_table_check_accepts_a_durable_store_registered_after_AddAppendLog_and_memory_on_development_clustering()
    {
        var durable = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        durable.UseOrleans(silo =>
        {
            silo.Services.AddSingleton<IMembershipTable, DurableMembershipStandIn>();
            silo.AddAppendLog(o => o.DataRoot = "/tmp/aof");
            silo.Services.AddKeyedSingleton<Orleans.Storage.IGrainStorage, DurableStorageStandIn>(AppendLogOptions.OwnershipStorageName);
        });
        using (var host = durable.Build())
        {
            FluentActions.Invoking(() => OwnershipCheck(host).ValidateConfiguration()).Should().NotThrow("the host's own storage, registered last, is the one grains get");
        }

        var development = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        development.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(siloPort: 22114, gatewayPort: 30114);
            silo.AddAppendLog(o => o.DataRoot = "/tmp/aof");
        });
        using (var host = development.Build())
        {
            host.Services.GetKeyedService<Orleans.Storage.IGrainStorage>(AppendLogOptions.OwnershipStorageName).Should().BeOfType<Orleans.Storage.MemoryGrainStorage>();
            FluentActions.Invoking(() => OwnershipCheck(host).ValidateConfiguration()).Should().NotThrow("a development cluster ends with its silos anyway");
        }
    }

    private static OwnershipStoreValidator OwnershipCheck(IHost host) =>
        host.Services.GetServices<IConfigurationValidator>().OfType<OwnershipStoreValidator>().Single();

    /// <summary>Stands for a durable membership table (Redis, ADO.NET): only its type matters; it must never be used.</summary>
    private sealed class DurableMembershipStandIn : IMembershipTable
    {
        public static bool Used { get; private set; }

        public Task InitializeMembershipTable(bool tryInitTableVersion) => Fail();

        public Task DeleteMembershipTableEntries(string clusterId) => Fail();

        public Task CleanupDefunctSiloEntries(DateTimeOffset beforeDate) => Fail();

        public Task<MembershipTableData> ReadRow(SiloAddress key) => Fail<MembershipTableData>();

        public Task<MembershipTableData> ReadAll() => Fail<MembershipTableData>();

        public Task<bool> InsertRow(MembershipEntry entry, TableVersion tableVersion) => Fail<bool>();

        public Task<bool> UpdateRow(MembershipEntry entry, string etag, TableVersion tableVersion) => Fail<bool>();

        public Task UpdateIAmAlive(MembershipEntry entry) => Fail();

        private static Task<bool> Fail() => Fail<bool>();

        private static Task<T> Fail<T>()
        {
            Used = true;
            return Task.FromException<T>(new NotSupportedException("a stand-in membership table"));
        }
    }

    /// <summary>Stands for a durable grain storage: only its type matters.</summary>
    private sealed class DurableStorageStandIn : Orleans.Storage.IGrainStorage
    {
        public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => throw new NotSupportedException();

        public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => throw new NotSupportedException();

        public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => throw new NotSupportedException();
    }
}
