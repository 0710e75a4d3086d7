using FluentAssertions;
using OrleansAof.Storage;
using OrleansAof.Storage.Archive;
using OrleansAof.TestInfrastructure;
using Xunit;
using EngineNameException = OrleansAof.Storage.InvalidPartitionNameException;

namespace OrleansAof.Server.Tests.BadInput;

/// <summary>
/// The one rule for log and partition names (src/Shared/PartitionNames.cs), at its boundary, through every checker that
/// applies it: grain keys (<see cref="PartitionKey"/>), partition directories of the engine (<see cref="PartitionLog"/>,
/// <see cref="PartitionLayout"/>) and archive keys (<see cref="ArchiveNames"/>). A refused name creates nothing.
/// </summary>
[Trait(TestCategories.Name, TestCategories.Fast)]
public sealed class PartitionNameRuleTests : IDisposable
{
    private readonly TempDirectory _temp = new("names");

    public static TheoryData<string> Refused() =>
    [
        new string('a', 129), "", ".", "..", "a/b", "a\\b", "white space", "zürich", "tab\there", "nul\0", "colon:", "star*",
    ];

    public static TheoryData<string> Accepted() => [new string('a', 128), "a", "...", ".hidden", "A-z_0.9", "-", "_"];

    [Fact]
    public void Limit_IsOneNumberEverywhere()
    {
        (PartitionKey.MaxNameLength, ArchiveNames.MaxLength).Should().Be((128, 128));
    }

    [Theory]
    [MemberData(nameof(Accepted))]
    public async Task ValidName_IsAcceptedByEveryChecker(string name)
    {
        PartitionKey.IsValid(name).Should().BeTrue();
        PartitionKey.Format(name, name).Should().Be($"{name}/{name}");
        ArchiveNames.IsValidName(name).Should().BeTrue();
        ArchiveNames.ValidatePartition(name, name);
        PartitionLayout.PartitionDirectory(_temp.Path, name, name).Should().Be(Path.Combine(_temp.Path, name, name));

        await using var log = await PartitionLog.OpenAsync(name, name, new PartitionLogOptions { DataRoot = _temp.Path });
        (await log.AppendAsync(new byte[] { 1 })).FirstId.Should().Be(0);
        Directory.Exists(PartitionLayout.SegmentsOf(Path.Combine(_temp.Path, name, name))).Should().BeTrue();
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task InvalidName_IsRefusedByEveryCheckerWithTheSameReason(string name)
    {
        PartitionKey.IsValid(name).Should().BeFalse();
        var contract = FluentActions.Invoking(() => PartitionKey.Validate(name)).Should().Throw<InvalidPartitionNameException>().Which;
        var reason = contract.Message[(contract.Message.IndexOf(": ", StringComparison.Ordinal) + 2)..].TrimEnd('.');
        contract.Name.Should().Be(PartitionKey.Shorten(name));

        var engine = (await FluentActions.Awaiting(() => PartitionLog.OpenAsync("log", name, new PartitionLogOptions { DataRoot = _temp.Path }))
            .Should().ThrowAsync<EngineNameException>()).Which;
        engine.Reason.Should().Be(reason, "the engine applies the same rule as the grain key");
        engine.Message.Should().Be(contract.Message);
        FluentActions.Invoking(() => PartitionLayout.PartitionDirectory(_temp.Path, name, "0")).Should().Throw<EngineNameException>().Which.Reason.Should().Be(reason);

        ArchiveNames.IsValidName(name).Should().BeFalse();
        FluentActions.Invoking(() => ArchiveNames.ValidatePartition("log", name)).Should().Throw<EngineNameException>()
            .Which.Reason.Should().Be(reason + " (the partition name)");

        Directory.GetFileSystemEntries(_temp.Path).Should().BeEmpty("a refused name creates nothing");
    }

    [Fact]
    public void Reasons_NameWhatIsWrong()
    {
        Reason("").Should().Be("it is empty");
        Reason(new string('a', 129)).Should().Be("it is longer than 128 characters");
        Reason("..").Should().Be("it would leave the data root");
        Reason("a b").Should().Be("the character ' ' is not allowed (use A-Z, a-z, 0-9, '.', '_' and '-')");
        Reason("a\nb").Should().Be("the character '\\u000a' is not allowed (use A-Z, a-z, 0-9, '.', '_' and '-')");
    }

    public void Dispose() => _temp.Dispose();

    private static string Reason(string name) =>
        FluentActions.Invoking(() => PartitionLayout.PartitionDirectory("/tmp", name, "0")).Should().Throw<EngineNameException>().Which.Reason;
}
