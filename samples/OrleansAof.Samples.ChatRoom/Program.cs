// Chat rooms as Orleans streams over the append log: one silo (and its client) in this process.
// Run: dotnet run --project samples/OrleansAof.Samples.ChatRoom -- [dataFolder=./.chat-data]
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OrleansAof.Samples.ChatRoom;

var data = Path.GetFullPath(args.Length > 0 ? args[0] : "./.chat-data");
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
builder.UseOrleans(silo =>
{
    silo.UseLocalhostClustering();
    silo.AddMemoryGrainStorage("PubSubStore");
    silo.AddAppendLog(o => o.DataRoot = data);
    silo.AddAppendLogStreams(ChatStreams.Provider, o =>
    {
        o.Log = "chat";
        o.Partitions = 2;
    });
});
using var host = builder.Build();
await host.StartAsync();
var client = host.Services.GetRequiredService<IClusterClient>();

// 1. Post ten messages to room "lobby"; each post is one durable record of the "chat" log.
var room = "lobby";
var stream = client.GetStreamProvider(ChatStreams.Provider).GetStream<ChatPosted>(StreamId.Create(ChatStreams.Namespace, room));
for (var i = 1; i <= 10; i++)
{
    await stream.OnNextAsync(new ChatPosted(i % 2 == 0 ? "ada" : "bob", $"message {i}"));
}

// 2. The room's history grain was started by the first message (implicit subscription) and saw all of them.
var history = client.GetGrain<IRoomHistory>(room);
var lines = await WaitAsync(() => history.GetLinesAsync(), 10);
Console.WriteLine($"History of {room}: {lines.Count} messages, record ids {lines[0].RecordId}..{lines[^1].RecordId}.");

// 3. A late reader rewinds to the 6th message by its token (record id) and reads from there on.
var late = client.GetGrain<ILateReader>("late-reader");
await late.JoinAsync(room, lines[5].RecordId);
var fromSixth = await WaitAsync(() => late.GetLinesAsync(), 5);
Console.WriteLine($"The late reader read {fromSixth.Count} messages from \"{fromSixth[0].Text}\" to \"{fromSixth[^1].Text}\".");

await host.StopAsync();

static async Task<List<ChatLine>> WaitAsync(Func<Task<List<ChatLine>>> read, int count)
{
    var deadline = DateTime.UtcNow.AddSeconds(30);
    while (true)
    {
        var lines = await read();
        if (lines.Count >= count)
        {
            return lines;
        }

        if (DateTime.UtcNow > deadline)
        {
            throw new TimeoutException($"Only {lines.Count} of {count} messages arrived within 30 s.");
        }

        await Task.Delay(50);
    }
}
