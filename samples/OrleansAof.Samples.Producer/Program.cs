using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OrleansAof.Client;
using OrleansAof.Samples.Projection;

// Usage: dotnet run --project samples/OrleansAof.Samples.Producer -- [orders=10000] [gatewayPort=30000]
var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
var gatewayPort = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 30000;
const int Partitions = 4;

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
builder.UseOrleansClient(client =>
{
    client.UseLocalhostClustering(gatewayPort, serviceId: "aof", clusterId: "aof");
    client.AddAppendLogClient(o => o.PartitionCounts["orders"] = Partitions);
});
using var host = builder.Build();
await host.StartAsync();

var log = host.Services.GetRequiredService<IAppendLogClient>().GetLog("orders");
var customers = Enumerable.Range(1, 20).Select(i => $"customer-{i:00}").ToArray();
var expected = new Dictionary<string, decimal>();
var json = new JsonSerializerOptions(JsonSerializerDefaults.Web);

// 1. Produce: the batching producer groups records per partition; a customer's orders keep their order.
var watch = Stopwatch.StartNew();
await using (var producer = log.CreateProducer(new LogProducerOptions { Linger = TimeSpan.FromMilliseconds(2) }))
{
    var sends = new List<Task<ProducedRecord>>(count);
    for (var i = 0; i < count; i++)
    {
        var order = new OrderPlaced(customers[i % customers.Length], 1 + (i % 100));
        expected[order.Customer] = expected.GetValueOrDefault(order.Customer) + order.Amount;
        sends.Add(producer.SendAsync(order.Customer, JsonSerializer.SerializeToUtf8Bytes(order, json)));
    }

    await Task.WhenAll(sends);
}

Console.WriteLine($"Produced {count} orders in {watch.ElapsedMilliseconds} ms ({count / watch.Elapsed.TotalSeconds:0} orders/s).");

// 2. Wait until every partition's projection has caught up with the partition's tail.
var grains = host.Services.GetRequiredService<IGrainFactory>();
watch.Restart();
for (var p = 0; p < Partitions; p++)
{
    var partition = log.PartitionName(p);
    var key = $"orders/{partition}";
    var tail = (await log.GetInfoAsync(partition)).NextId;
    var projection = grains.GetGrain<IOrderTotalsProjection>(key);
    while ((await projection.GetCheckpointsAsync()).GetValueOrDefault(key) < tail)
    {
        if (watch.Elapsed > TimeSpan.FromSeconds(60))
        {
            throw new TimeoutException($"The projection of {key} did not reach id {tail} within 60 s.");
        }

        await Task.Delay(20);
    }
}

Console.WriteLine($"Projections caught up {watch.ElapsedMilliseconds} ms after the last acknowledgement.");

// 3. Read the totals: the projection's totals include every order produced so far (this run and earlier runs).
var totals = new Dictionary<string, decimal>();
long folded = 0;
for (var p = 0; p < Partitions; p++)
{
    var t = await grains.GetGrain<IOrderTotalsProjection>($"orders/{log.PartitionName(p)}").GetTotalsAsync();
    folded += t.Orders;
    foreach (var (customer, amount) in t.ByCustomer)
    {
        totals[customer] = totals.GetValueOrDefault(customer) + amount;
    }
}

Console.WriteLine($"The projection has folded {folded} orders in total.");
foreach (var customer in customers.Take(3))
{
    Console.WriteLine($"  {customer}: {totals.GetValueOrDefault(customer)} (this run added {expected.GetValueOrDefault(customer)})");
}

await host.StopAsync();
