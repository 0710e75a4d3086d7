using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Orleans.Runtime.Messaging;
using OrleansAof.Cli.Cluster;
using OrleansAof.Storage.Offline;
using Spectre.Console;
using Engine = OrleansAof.Storage;

namespace OrleansAof.Cli;

/// <summary>
/// Output shared by every command: people get tables on stdout and errors on stderr; with <c>--json</c> stdout holds
/// exactly one JSON document (the result, or an error object) and nothing else. Exceptions become exit codes here.
/// </summary>
internal sealed class CommandOutput
{
    private readonly CliEnvironment _environment;

    public CommandOutput(CliEnvironment environment, bool json)
    {
        _environment = environment;
        Json = json;
        Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new FixedWidthOutput(environment.Out, environment.OutputIsTerminal, environment.Width),
            Ansi = environment.OutputIsTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = environment.OutputIsTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = environment.OutputIsTerminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
    }

    /// <summary>Standard output, for plain lines that must not be wrapped or marked up (records).</summary>
    public TextWriter Out => _environment.Out;

    /// <summary>Whether <c>--json</c> is on.</summary>
    public bool Json { get; }

    /// <summary>The console for people (tables, progress); never used with <c>--json</c>.</summary>
    public IAnsiConsole Console { get; }

    /// <summary>Progress bars only on a terminal and without <c>--json</c>.</summary>
    public bool ShowProgress => !Json && _environment.OutputIsTerminal;

    /// <summary>Writes the one JSON document of this command.</summary>
    public void WriteJson<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        _environment.Out.WriteLine(JsonSerializer.Serialize(value, typeInfo));
        _environment.Out.Flush();
    }

    /// <summary>Writes one JSON object on one line (the <c>--json</c> output of <c>tail -f</c>: one object per record).</summary>
    public void WriteJsonLine<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        _environment.Out.WriteLine(JsonSerializer.Serialize(value, typeInfo));
    }

    /// <summary>Flushes standard output (after each batch of a follow).</summary>
    public Task FlushAsync() => _environment.Out.FlushAsync();

    /// <summary>Reports an error (stderr; with <c>--json</c> also the error document on stdout) and returns <paramref name="exitCode"/>.</summary>
    public int Fail(int exitCode, string kind, string message)
    {
        _environment.Error.WriteLine($"aof: {message}");
        if (Json)
        {
            WriteJson(new ErrorDocument(new ErrorBody(kind, message), exitCode), CliJsonContext.Output.ErrorDocument);
        }

        return exitCode;
    }

    /// <summary>Runs a command body and turns the engine's, the cluster's and the partition's typed errors into exit codes.</summary>
    public async Task<int> RunAsync(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (Exception e) when (Classify(e) is { } failure)
        {
            return Fail(failure.ExitCode, failure.Kind, failure.Message);
        }
    }

    /// <summary>The exit code, kind and message of an error the tool reports; null for a bug (left to crash with its stack).</summary>
    public static Failure? Classify(Exception error) => error switch
    {
        Engine.PartitionLockedException e => new(ExitCodes.Locked, "locked", e.Message + " Stop the writer (close the partition or the silo) and try again."),
        Engine.RepairRefusedException e => new(ExitCodes.Failed, "refused", e.Message),
        ClusterUnreachableException e => new(ExitCodes.Unreachable, "unreachable", e.Message),
        PartitionNotFoundException e => new(ExitCodes.NotFound, "not-found", e.Message),
        _ when IsUsage(error) => new(ExitCodes.Usage, "usage", error.Message),
        OperationCanceledException => new(ExitCodes.Failed, "cancelled", "cancelled"),
        AppendLogException { IsRetryable: true } e => new(ExitCodes.Unavailable, "unavailable", $"{e.Message} ({e.GetType().Name}; retryable)"),
        SiloUnavailableException or OrleansMessageRejectionException or ConnectionFailedException or GatewayTooBusyException or TimeoutException =>
            new(ExitCodes.Unavailable, "unavailable", $"The cluster did not serve the call: {error.Message.Split('\n', 2)[0]} ({error.GetType().Name}; retryable)"),
        Engine.AppendLogException or AppendLogException or IOException or UnauthorizedAccessException or InvalidDataException or Microsoft.Data.Sqlite.SqliteException =>
            new(ExitCodes.Failed, "failed", $"{error.Message} ({error.GetType().Name})"),
        _ => null,
    };

    /// <summary>Bad input: a wrong command line, a missing path, or input the partition refused without changing anything.</summary>
    private static bool IsUsage(Exception e) => e is FileNotFoundException or DirectoryNotFoundException or ArgumentException
        or Engine.InvalidPartitionNameException or Engine.InvalidLogOptionsException
        or InvalidPartitionNameException or InvalidLogOptionsException or InvalidRangeException or ReadBeyondTailException
        or RecordTrimmedException or RecordTooLargeException or BatchTooLargeException or EmptyBatchException;

    /// <summary>Runs synchronous offline work on the thread pool, with a progress bar when <see cref="ShowProgress"/>.</summary>
    public Task<T> WithProgressAsync<T>(string title, Func<IProgress<InspectionProgress>?, T> work, CancellationToken cancellationToken) =>
        WithProgressAsync(title, p => Task.Run(() => work(p), cancellationToken), cancellationToken);

    /// <summary>Runs asynchronous work, with a progress bar when <see cref="ShowProgress"/>.</summary>
    public async Task<T> WithProgressAsync<T>(string title, Func<IProgress<InspectionProgress>?, Task<T>> work, CancellationToken cancellationToken)
    {
        if (!ShowProgress)
        {
            return await work(null);
        }

        return await Console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(title, maxValue: 1);
                var progress = new ImmediateProgress<InspectionProgress>(p =>
                {
                    task.MaxValue = Math.Max(1, p.BytesTotal);
                    task.Value = p.BytesDone;
                    if (p.CurrentFile is { } f)
                    {
                        task.Description = $"{title} {Path.GetFileName(f)}";
                    }
                });
                cancellationToken.ThrowIfCancellationRequested();
                var result = await work(progress);
                task.Value = task.MaxValue;
                return result;
            });
    }

    /// <summary>An <see cref="IProgress{T}"/> that reports on the calling thread, in order (unlike <see cref="Progress{T}"/>).</summary>
    private sealed class ImmediateProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    /// <summary>Console output with a fixed width when it is not a terminal, so captured tables do not depend on the window.</summary>
    private sealed class FixedWidthOutput(TextWriter writer, bool isTerminal, int width) : IAnsiConsoleOutput
    {
        public TextWriter Writer => writer;

        public bool IsTerminal => isTerminal;

        public int Width => width;

        public int Height => 50;

        public void SetEncoding(System.Text.Encoding encoding)
        {
        }
    }
}
