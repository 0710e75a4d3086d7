namespace OrleansAof.Benchmarks.Compare;

/// <summary>
/// Runs the subjects of one comparison in interleaved rounds: each round runs one slice of every subject, in an order
/// that rotates from round to round, so that the noise of a shared disk falls on all of them alike.
/// </summary>
internal static class Interleave
{
    public static async Task<Dictionary<ISubject, List<Sample>>> RunAsync(IReadOnlyList<ISubject> subjects, int rounds, bool quiesce)
    {
        // One slice each first, not recorded: JIT, first-touch allocations, files created.
        foreach (var subject in subjects)
        {
            if (quiesce)
            {
                Shared.Disk.Quiesce();
            }

            await WithWatchdogAsync(subject);
        }

        var samples = new Dictionary<ISubject, List<Sample>>();
        foreach (var subject in subjects)
        {
            samples[subject] = [];
        }

        for (var round = 0; round < rounds; round++)
        {
            for (var k = 0; k < subjects.Count; k++)
            {
                var subject = subjects[(round + k) % subjects.Count];
                Shared.Disk.EnsureFreeSpace(Path.GetTempPath());
                if (quiesce)
                {
                    Shared.Disk.Quiesce();
                }

                samples[subject].Add(await WithWatchdogAsync(subject));
            }
        }

        return samples;
    }

    /// <summary>A slice that has not finished after two minutes stops the run with the subject's name instead of hanging it.</summary>
    private static async Task<Sample> WithWatchdogAsync(ISubject subject)
    {
        var slice = subject.RunSliceAsync();
        if (await Task.WhenAny(slice, Task.Delay(TimeSpan.FromMinutes(2))) != slice)
        {
            throw new TimeoutException($"A slice of '{subject.Name}' did not finish within two minutes.");
        }

        return await slice;
    }

    /// <summary>The per-round ratios <paramref name="numerator"/> / <paramref name="denominator"/> of a metric.</summary>
    public static double[] Ratios(List<Sample> numerator, List<Sample> denominator, Func<Sample, double> metric)
    {
        var ratios = new double[Math.Min(numerator.Count, denominator.Count)];
        for (var i = 0; i < ratios.Length; i++)
        {
            ratios[i] = metric(numerator[i]) / metric(denominator[i]);
        }

        return ratios;
    }
}

/// <summary>Order statistics.</summary>
internal static class Stats
{
    public static double Median(IEnumerable<double> values) => Percentile(values, 0.5);

    /// <summary>Linear interpolation between the closest ranks.</summary>
    public static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = p * (sorted.Length - 1);
        var lo = (int)Math.Floor(rank);
        var hi = (int)Math.Ceiling(rank);
        return sorted[lo] + ((sorted[hi] - sorted[lo]) * (rank - lo));
    }
}
