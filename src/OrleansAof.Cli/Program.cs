using System.Runtime.InteropServices;
using OrleansAof.Cli;

// Ctrl+C and SIGTERM cancel the running command (tail -f ends with exit 0); a second one ends the process. The source
// is never disposed: a signal may arrive while the process is already on its way out.
var cancel = new CancellationTokenSource();
void OnSignal(PosixSignalContext context)
{
    if (!cancel.IsCancellationRequested)
    {
        context.Cancel = true;
        cancel.Cancel();
    }
}

using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

return await AofCli.RunAsync(args, CliEnvironment.FromConsole(), cancel.Token);
