using FluentAssertions;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.IntegrationTests;

/// <summary>
/// <see cref="ChildProcess"/> with the built silo host: a start that fails reports the child's own output, a frozen
/// child (SIGSTOP) answers nothing until it is thawed (SIGCONT), and the PID file lives exactly while the child may run.
/// </summary>
[Trait(TestCategories.Name, TestCategories.Integration)]
public sealed class ChildProcessTests : IDisposable
{
    private readonly TempDirectory _data = new("child-process");

    [Fact]
    public async Task A_child_that_exits_before_it_is_ready_fails_the_wait_with_its_exit_code_and_the_tail_of_its_output()
    {
        await using var silo = new SiloHostProcess(_data.Path);
        silo.Settings["Aof__GatewayPort"] = "70000";

        var start = silo.StartAsync;

        var error = (await start.Should().ThrowAsync<InvalidOperationException>()).Which;
        error.Message.Should().Contain("exited with code 1").And.Contain("Invalid configuration: Aof:GatewayPort '70000'", "the message quotes the child's output");
    }

    [Fact]
    public async Task A_stopped_child_answers_nothing_until_it_continues_and_its_pid_file_goes_with_it()
    {
        var silo = new SiloHostProcess(_data.Path);
        string? pidFile;
        int pid;
        await using (silo)
        {
            await silo.StartAsync();
            pid = silo.ProcessId!.Value;
            pidFile = silo.PidFile;
            if (pidFile is not null)
            {
                (await File.ReadAllTextAsync(pidFile)).Should().Be(silo.ProcessId!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), "test.sh stops leftovers by this PID");
            }

            await silo.StopAsync();
            (await silo.IsReadyAsync()).Should().BeFalse("a process frozen by SIGSTOP does not answer /health/ready");
            silo.HasExited.Should().BeFalse();

            await silo.ContinueAsync();
            await silo.WaitReadyAsync();
            (await silo.IsReadyAsync()).Should().BeTrue();
        }

        Directory.Exists($"/proc/{pid}").Should().BeFalse("disposing the child kills it (PID {0})", pid);
        if (pidFile is not null)
        {
            File.Exists(pidFile).Should().BeFalse("disposing the child removes its PID file");
        }
    }

    public void Dispose() => _data.Dispose();
}
