using System.Globalization;

namespace OrleansAof.Server.Replication;

/// <summary>
/// A place in a partition's replicated log: the epoch of the leader that wrote the entry and the entry's id. Positions
/// are ordered by epoch, then id; along one replica's log they strictly increase. Only the leader of an epoch creates
/// entries of that epoch, so a position names exactly one entry across every replica (the log matching rule).
/// </summary>
/// <remarks>
/// A record entry's id is the record's id. An epoch-start entry carries no record: it sits after the last id of the log
/// its leader adopted and shares that id (epoch <c>E</c>, id <c>L</c>), so record ids stay dense across failovers.
/// </remarks>
[GenerateSerializer]
[Immutable]
[Alias("aof.repl.LogPosition")]
internal readonly record struct LogPosition([property: Id(0)] long Epoch, [property: Id(1)] long Id) : IComparable<LogPosition>
{
    /// <summary>The position before the first entry of every log.</summary>
    public static LogPosition Start => new(0, -1);

    public int CompareTo(LogPosition other)
        => Epoch != other.Epoch ? Epoch.CompareTo(other.Epoch) : Id.CompareTo(other.Id);

    public static bool operator <(LogPosition left, LogPosition right) => left.CompareTo(right) < 0;

    public static bool operator >(LogPosition left, LogPosition right) => left.CompareTo(right) > 0;

    public static bool operator <=(LogPosition left, LogPosition right) => left.CompareTo(right) <= 0;

    public static bool operator >=(LogPosition left, LogPosition right) => left.CompareTo(right) >= 0;

    public static LogPosition Max(LogPosition a, LogPosition b) => a >= b ? a : b;

    public static LogPosition Min(LogPosition a, LogPosition b) => a <= b ? a : b;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"({Epoch},{Id})");
}
