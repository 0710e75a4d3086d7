using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using OrleansAof.Server;
using OrleansAof.StreamSilo;
using StackExchange.Redis;

// Settings come as --Name=value arguments (see StreamSiloSettings); the test starts, SIGKILLs and restarts this process.
var configuration = new ConfigurationBuilder().AddCommandLine(args).Build();
var settings = configuration.Get<StreamSiloSettings>() ?? throw new InvalidOperationException("No settings.");
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Logging.AddFilter("OrleansAof.Streams", LogLevel.Information);
builder.Services.AddSingleton(settings);
builder.UseOrleans(silo =>
{
    var redis = ConfigurationOptions.Parse(settings.Redis);
    silo.Configure<ClusterOptions>(o =>
    {
        o.ClusterId = settings.ClusterId;
        o.ServiceId = settings.ClusterId;
    });
    silo.Configure<SiloOptions>(o => o.SiloName = settings.SiloName);
    silo.ConfigureEndpoints(IPAddress.Loopback, settings.SiloPort, settings.GatewayPort);
    silo.UseRedisClustering(settings.Redis);
    silo.Configure<ClusterMembershipOptions>(o =>
    {
        o.ProbeTimeout = TimeSpan.FromSeconds(1);
        o.NumMissedProbesLimit = 2;
        o.NumVotesForDeathDeclaration = 1;

        // After every silo was SIGKILLed, the table still lists the dead incarnations as active: their I-am-alive times
        // go stale within seconds, so that a restarted silo does not wait for them to answer.
        o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(2);
        o.NumMissedTableIAmAliveLimit = 2;
    });
    silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10));

    // Every piece of grain state in Redis: the ownership table, the agents' checkpoints, the recorders, the subscribers.
    silo.AddRedisGrainStorageAsDefault(o => o.ConfigurationOptions = redis);
    silo.AddRedisGrainStorage(AppendLogOptions.OwnershipStorageName, o => o.ConfigurationOptions = redis);
    silo.AddRedisGrainStorage(OrleansAof.Streams.AppendLogStreamOptions.CheckpointStorageName, o => o.ConfigurationOptions = redis);
    silo.AddRedisGrainStorage(StreamSiloSettings.RecorderStorage, o => o.ConfigurationOptions = redis);
    var durablePubSub = string.Equals(settings.PubSub, "Redis", StringComparison.OrdinalIgnoreCase);
    if (durablePubSub)
    {
        silo.AddRedisGrainStorage(AppendLogSiloExtensions.PubSubStoreName, o => o.ConfigurationOptions = redis);
    }

    silo.AddAppendLog(o =>
    {
        o.DataRoot = settings.DataRoot;
        o.SiloName = settings.SiloName;
        o.Silos = [.. settings.Owners.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
        o.MemoryPubSubStore = !durablePubSub;
        o.Preallocation = OrleansAof.Storage.PreallocationMode.None;
    });
    silo.ConfigureLogSubscribers(o =>
    {
        o.RecheckInterval = TimeSpan.FromMilliseconds(500);
        o.MaxRecordsPerRead = settings.SubscriberBatch;
        o.CheckpointInterval = TimeSpan.Zero;
    });
    var balanceOver = settings.BalanceOver.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    if (balanceOver.Length > 0)
    {
        silo.Configure<StaticClusterDeploymentOptions>(o => o.SiloNames = [.. balanceOver]);
    }

    silo.AddAppendLogStreams(
        StreamSiloSettings.Provider,
        o =>
        {
            o.Log = StreamSiloSettings.Provider;
            o.Partitions = settings.Partitions;
            o.CheckpointInterval = TimeSpan.FromMilliseconds(200);
        },
        balanceOver.Length > 0 ? p => p.UseDynamicClusterConfigDeploymentBalancer(TimeSpan.FromSeconds(5)) : null);
});

using var host = builder.Build();
await host.StartAsync();
Console.WriteLine(StreamSiloSettings.ReadyLine);
await host.WaitForShutdownAsync();
return 0;
