// Scaffold "client": the snippet is the body of an async method given the client builder `clientBuilder`, a started
// client `client`, a record `payload` and a CancellationToken `ct`.
//#usings
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using OrleansAof;
using OrleansAof.Client;

namespace Consumer.Client;

#pragma warning disable CS1998 // a snippet need not await

internal static partial class ReadmeSnippets
{
    public static async Task $SnippetName$(IClientBuilder clientBuilder, IClusterClient client, byte[] payload, CancellationToken ct)
    {
//#snippet
    }
}
