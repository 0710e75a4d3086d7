namespace OrleansAof.TestInfrastructure;

/// <summary>Finds files of the repository from a test's output folder.</summary>
public static class RepositoryPaths
{
    /// <summary>The folder holding <c>OrleansAof.sln</c>, found by walking up from the test assembly.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OrleansAof.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"OrleansAof.sln was not found above {AppContext.BaseDirectory}.");
    }
}
