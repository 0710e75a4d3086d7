// Scaffold "silo": the snippet is the body of a method given the silo builder `siloBuilder`.
//#usings
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using OrleansAof;
using OrleansAof.Archive.S3;
using OrleansAof.Server;

namespace Consumer.Silo;

internal static partial class ReadmeSnippets
{
    public static void $SnippetName$(ISiloBuilder siloBuilder)
    {
//#snippet
    }
}
