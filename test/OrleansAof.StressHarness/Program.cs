using System.Runtime.InteropServices;
using OrleansAof.StressHarness;

// Exit codes: 0 no violation, 1 violations (each listed), 2 bad arguments.
if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(StressOptions.Help);
    return 0;
}

StressOptions options;
try
{
    options = StressOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

// Ctrl+C and SIGTERM stop the run at once (without the final checks); the summary of what ran is printed.
using var cancel = new CancellationTokenSource();
void OnSignal(PosixSignalContext context)
{
    context.Cancel = true;
    cancel.Cancel();
}

using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

Console.Error.WriteLine("stress: " + options.Describe());
var summary = await StressRun.RunAsync(options, cancel.Token);
Console.WriteLine(options.Json ? summary.ToJson() : summary.ToText());
return summary.Passed ? 0 : 1;
