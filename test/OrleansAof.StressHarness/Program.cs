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

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

Console.Error.WriteLine("stress: " + options.Describe());
var summary = await StressRun.RunAsync(options, cancel.Token);
Console.WriteLine(options.Json ? summary.ToJson() : summary.ToText());
return summary.Passed ? 0 : 1;
