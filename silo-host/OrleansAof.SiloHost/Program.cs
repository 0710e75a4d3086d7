using System.Net;
using System.Runtime.Loader;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Serialization;
using OrleansAof;
using OrleansAof.Archive.S3;
using OrleansAof.Server;
using OrleansAof.SiloHost;
using OrleansAof.Storage;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
SiloHostSettings settings;
try
{
    settings = SiloHostSettings.Load(builder.Configuration);
    settings.Validate();
}
catch (SiloHostSettingsException e)
{
    // One line naming the key, exit 1: a bad setting is the operator's to fix, not a crash to debug.
    Console.Error.WriteLine("Invalid configuration: " + e.Message);
    return 1;
}

var otlp = settings.OtlpUri();
var otlpProtocol = Enum.Parse<OtlpExportProtocol>(settings.OtlpProtocol, ignoreCase: true);
builder.WebHost.UseUrls($"http://0.0.0.0:{settings.HttpPort}");
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.ShutdownTimeout);

builder.UseOrleans(silo =>
{
    silo.Configure<ClusterOptions>(o =>
    {
        o.ClusterId = settings.ClusterId;
        o.ServiceId = settings.ServiceId;
    });
    silo.Configure<SiloOptions>(o => o.SiloName = settings.SiloName!);

    // W3C trace context across grain calls: a client's span is the parent of the grain's (docs/observability.md).
    silo.AddActivityPropagation();
    if (settings.Dashboard)
    {
        silo.AddDashboard();
    }

    silo.ConfigureEndpoints(settings.AdvertisedAddress(), settings.SiloPort, settings.GatewayPort, listenOnAnyHostAddress: true);
    silo.Configure<ClusterMembershipOptions>(o =>
    {
        if (settings.ProbeTimeout is { } probeTimeout)
        {
            o.ProbeTimeout = probeTimeout;
        }

        if (settings.MissedProbesLimit is { } missedProbes)
        {
            o.NumMissedProbesLimit = missedProbes;
        }
    });
    if (settings.GatewayShutdownDelay is { } gatewayShutdownDelay)
    {
        silo.Configure<SiloMessagingOptions>(o => o.ClientGatewayShutdownNotificationTimeout = gatewayShutdownDelay);
    }

    switch (settings.Clustering)
    {
        case ClusteringProvider.Localhost:
            var primary = string.IsNullOrWhiteSpace(settings.PrimarySiloEndpoint) ? null : IPEndPoint.Parse(settings.PrimarySiloEndpoint);
            silo.UseDevelopmentClustering(primary ?? new IPEndPoint(settings.AdvertisedAddress(), settings.SiloPort));
            break;
        case ClusteringProvider.Redis:
            silo.UseRedisClustering(Required(settings.ClusteringConnectionString, "Aof:ClusteringConnectionString"));
            break;
        case ClusteringProvider.AdoNet:
            silo.UseAdoNetClustering(o =>
            {
                o.Invariant = settings.AdoNetInvariant;
                o.ConnectionString = Required(settings.ClusteringConnectionString, "Aof:ClusteringConnectionString");
            });
            break;
    }

    var remindersConnection = settings.RemindersConnectionString ?? settings.ClusteringConnectionString;
    switch (settings.Reminders)
    {
        case ReminderProvider.InMemory:
            silo.UseInMemoryReminderService();
            break;
        case ReminderProvider.Redis:
            silo.UseRedisReminderService(o => o.ConfigurationOptions = StackExchange.Redis.ConfigurationOptions.Parse(Required(remindersConnection, "Aof:RemindersConnectionString")));
            break;
        case ReminderProvider.AdoNet:
            silo.UseAdoNetReminderService(o =>
            {
                o.Invariant = settings.AdoNetInvariant;
                o.ConnectionString = Required(remindersConnection, "Aof:RemindersConnectionString");
            });
            break;
    }

    // Grain state (subscriber checkpoints, the run-time ownership table, explicit stream subscriptions) lives where membership does: durable with Redis
    // or ADO.NET clustering, in memory on a development silo.
    switch (settings.Clustering)
    {
        case ClusteringProvider.Redis:
            var redis = StackExchange.Redis.ConfigurationOptions.Parse(Required(settings.ClusteringConnectionString, "Aof:ClusteringConnectionString"));
            silo.AddRedisGrainStorageAsDefault(o => o.ConfigurationOptions = redis);
            silo.AddRedisGrainStorage(AppendLogOptions.OwnershipStorageName, o => o.ConfigurationOptions = redis);
            silo.AddRedisGrainStorage(AppendLogSiloExtensions.PubSubStoreName, o => o.ConfigurationOptions = redis);
            break;
        case ClusteringProvider.AdoNet:
            void AdoNet(Orleans.Configuration.AdoNetGrainStorageOptions o)
            {
                o.Invariant = settings.AdoNetInvariant;
                o.ConnectionString = Required(settings.ClusteringConnectionString, "Aof:ClusteringConnectionString");
            }

            silo.AddAdoNetGrainStorageAsDefault(AdoNet);
            silo.AddAdoNetGrainStorage(AppendLogOptions.OwnershipStorageName, AdoNet);
            silo.AddAdoNetGrainStorage(AppendLogSiloExtensions.PubSubStoreName, AdoNet);
            break;
        default:
            silo.AddMemoryGrainStorageAsDefault();
            break;
    }

    // Every AppendLogOptions property is the key Aof:Name; the host gives DataRoot, SiloName and MemoryPubSubStore their starting values.
    silo.AddAppendLog(o => AppendLogConfiguration.Bind(builder.Configuration, settings, o));
    switch (settings.Archive)
    {
        case ArchiveProvider.FileSystem:
            silo.AddAppendLogFileSystemArchive(o => o.RootPath = Path.GetFullPath(settings.ArchivePath));
            break;
        case ArchiveProvider.S3:
            var compression = Enum.TryParse<S3ArchiveCompression>(settings.S3Compression, ignoreCase: true, out var c) && Enum.IsDefined(c)
                ? c
                : throw new OrleansConfigurationException($"Aof:S3Compression '{settings.S3Compression}' is not one of None, Zstd.");
            silo.Services.AddAppendLogS3Archive(o =>
            {
                o.ServiceUrl = settings.S3ServiceUrl;
                o.Region = settings.S3Region;
                o.Bucket = settings.S3Bucket ?? "";
                o.Prefix = settings.S3Prefix ?? "";
                o.ForcePathStyle = settings.S3ForcePathStyle;
                o.AccessKey = settings.S3AccessKey;
                o.SecretKey = settings.S3SecretKey;
                o.CompatibilityMode = settings.S3CompatibilityMode;
                o.Compression = compression;
            });
            break;
    }


    foreach (var path in (settings.GrainAssemblies ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
    {
        var assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(Path.GetFullPath(path));
        silo.Services.AddSerializer(s => s.AddAssembly(assembly));
    }
});

builder.Services.AddHealthChecks().AddCheck<SiloReadyCheck>("silo-ready", tags: ["ready"]);
var telemetry = builder.Services.AddOpenTelemetry()
    .ConfigureResource(r => r.AddService("orleansaof", serviceInstanceId: settings.SiloName))
    .WithMetrics(metrics =>
    {
        metrics.AddMeter(AppendLogTelemetry.StorageMeterName, AppendLogTelemetry.ServerMeterName, "Microsoft.Orleans").AddPrometheusExporter();
        if (otlp is not null)
        {
            metrics.AddOtlpExporter(o => (o.Endpoint, o.Protocol) = (OtlpSignalUri(otlp, otlpProtocol, "v1/metrics"), otlpProtocol));
        }
    });
if (otlp is not null)
{
    // Traces only when they go somewhere: with no exporter the spans are never created (no listener).
    telemetry.WithTracing(tracing => tracing
        .AddSource(StorageTelemetry.ActivitySourceName, "Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application")
        .AddOtlpExporter(o => (o.Endpoint, o.Protocol) = (OtlpSignalUri(otlp, otlpProtocol, "v1/traces"), otlpProtocol)));
}

var app = builder.Build();
app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = SiloReadyCheck.WriteAsync });
app.MapPrometheusScrapingEndpoint("/metrics");
if (settings.Dashboard)
{
    app.MapOrleansDashboard(routePrefix: settings.DashboardPath);
}

try
{
    await app.RunAsync();
}
catch (Exception e) when (e is Microsoft.Extensions.Options.OptionsValidationException or OrleansConfigurationException)
{
    // An option the hosting extensions validate (AppendLogOptions.FlushPolicy, ...): one line with its key and name, exit 1.
    Console.Error.WriteLine("Invalid configuration: " + AppendLogConfiguration.WithHostKey(e.Message.Split('\n', 2)[0].TrimEnd()));
    return 1;
}

return 0;

// Over HTTP an endpoint set in code is used as is: give each signal its standard path (gRPC takes the base address).
static Uri OtlpSignalUri(Uri endpoint, OtlpExportProtocol protocol, string path) =>
    protocol == OtlpExportProtocol.HttpProtobuf ? new Uri(endpoint.AbsoluteUri.TrimEnd('/') + "/" + path) : endpoint;

static string Required(string? value, string key) =>
    string.IsNullOrWhiteSpace(value) ? throw new InvalidOperationException($"{key} is required by the chosen provider.") : value;
