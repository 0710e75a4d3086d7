using FluentAssertions;
using OrleansAof.TestInfrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OrleansAof.StressHarness.Tests;

[Trait(TestCategories.Name, TestCategories.Stress)]
public sealed class StressHarnessTests(ITestOutputHelper output)
{
    [Fact]
    public async Task InProcessRun_WithSiloKillsArchivalAndChurn_FindsNoViolation()
    {
        var options = new StressOptions
        {
            Duration = TimeSpan.FromSeconds(Stress.Scale(120, 600)),
            KillEvery = TimeSpan.FromSeconds(20),
            ProgressEvery = TimeSpan.Zero,
            Seed = 20261127,
        };

        var summary = await StressRun.RunAsync(options);
        output.WriteLine(summary.ToText());

        summary.Violations.Should().BeEmpty();
        summary.ViolationCount.Should().Be(0);
        summary.SiloKills.Should().BePositive().And.Be(summary.SiloRestarts);
        summary.SegmentsArchived.Should().BePositive();
        summary.SegmentsEvicted.Should().BePositive();
        summary.ReadsFromArchive.Should().BePositive();
        summary.RecordsReadFromArchive.Should().BePositive();
        summary.AppendsAcknowledged.Should().BeGreaterThan(1000);
        summary.RecordsScanned.Should().Be(summary.AppendsAcknowledged, "the final scan read every acknowledged record exactly once");
        summary.RecordsInLog.Should().Be(summary.AppendsAcknowledged);
        summary.SubscriberRecordsDelivered.Should().BePositive();
        summary.SubscriberJoins.Should().BeGreaterThan(options.Subscribers);
        summary.Reads.Should().BePositive();
    }

    [Fact]
    public void Options_ParseTheArgumentsOfTestSh_AndRejectBadOnes()
    {
        var o = StressOptions.Parse(["--duration", "00:30:00", "--in-process"]);
        (o.Duration, o.InProcess, o.Producers, o.Subscribers, o.Partitions, o.KillEvery).Should().Be((TimeSpan.FromMinutes(30), true, 8, 6, 6, TimeSpan.FromSeconds(30)));
        StressOptions.Parse(["--gateway", "10.0.0.5:30000", "--kill-every", "0", "--duration", "90s"]).Should().Match<StressOptions>(x =>
            !x.InProcess && x.Gateway == "10.0.0.5:30000" && x.KillEvery == TimeSpan.Zero && x.Duration == TimeSpan.FromSeconds(90));
        FluentActions.Invoking(() => StressOptions.Parse(["--in-process", "--redis", "localhost"])).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => StressOptions.Parse(["--producers", "0"])).Should().Throw<ArgumentException>().WithMessage("*--producers*");
        FluentActions.Invoking(() => StressOptions.Parse(["--bogus"])).Should().Throw<ArgumentException>().WithMessage("*--bogus*");
        StressOptions.Help.Should().ContainAll("--duration", "--in-process", "--gateway", "--redis", "--cluster-id", "--producers", "--subscribers", "--partitions", "--kill-every", "--seed", "--json", "--max-heap-mb", "--stall-timeout");
    }

    [Fact]
    public void Payloads_VerifyOnlyTheExactBytesWritten()
    {
        var identity = new RecordIdentity(3, 12345);
        var payload = StressPayload.Create(identity, 7, 2, 300);
        StressPayload.Verify(payload, 2, out var read).Should().BeNull();
        read.Should().Be(identity);
        StressPayload.Verify(payload, 1, out _).Should().Contain("partition 2");
        payload[200] ^= 1;
        StressPayload.Verify(payload, 2, out _).Should().Contain("byte 200");
        StressPayload.Verify(payload.AsSpan(0, 299), 2, out _).Should().NotBeNull();
        RecordIdentity.Unpack(identity.Packed).Should().Be(identity);
    }
}
