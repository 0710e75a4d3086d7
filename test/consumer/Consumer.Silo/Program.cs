using Microsoft.Extensions.Hosting;

// A silo on localhost configured by the README's "silo" snippet.
var builder = Host.CreateApplicationBuilder(args);
builder.UseOrleans(siloBuilder =>
{
    siloBuilder.UseLocalhostClustering();
    Consumer.Silo.ReadmeSnippets.Silo(siloBuilder);
});
await builder.Build().RunAsync();
