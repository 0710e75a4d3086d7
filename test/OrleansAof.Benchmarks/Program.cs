using BenchmarkDotNet.Running;
using OrleansAof.Benchmarks.Compare;

namespace OrleansAof.Benchmarks;

/// <summary>
/// <c>compare [--quick]</c> runs the side-by-side comparison (see <see cref="CompareRunner"/>), <c>scale</c> the
/// many-partitions run against the silo host (see <see cref="ScaleBenchmark"/>); anything else is passed
/// to BenchmarkDotNet, e.g. <c>--filter *Append*</c> or <c>--list flat</c>.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "compare")
        {
            return await CompareRunner.RunAsync(args[1..]);
        }

        if (args.Length > 0 && args[0] == "scale")
        {
            return await ScaleBenchmark.RunAsync(args[1..]);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
