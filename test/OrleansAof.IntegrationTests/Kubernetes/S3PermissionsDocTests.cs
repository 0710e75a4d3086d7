using System.Text.RegularExpressions;
using FluentAssertions;
using OrleansAof.TestInfrastructure;
using Xunit;

namespace OrleansAof.IntegrationTests.Kubernetes;

/// <summary>
/// k8s/README.md lists the S3 permissions the archive's principal needs: every S3 call the archive makes must be covered
/// by a listed permission, and every listed permission must be used, so the list cannot drift from the code.
/// </summary>
[Trait(TestCategories.Name, TestCategories.Fast)]
public sealed partial class S3PermissionsDocTests
{
    /// <summary>The IAM action each AWSSDK.S3 call needs.</summary>
    private static readonly Dictionary<string, string> ActionOf = new(StringComparer.Ordinal)
    {
        ["ListObjectsV2Async"] = "s3:ListBucket",
        ["GetObjectAsync"] = "s3:GetObject",
        ["GetObjectMetadataAsync"] = "s3:GetObject",
        ["PutObjectAsync"] = "s3:PutObject",
        ["InitiateMultipartUploadAsync"] = "s3:PutObject",
        ["UploadPartAsync"] = "s3:PutObject",
        ["CompleteMultipartUploadAsync"] = "s3:PutObject",
        ["AbortMultipartUploadAsync"] = "s3:AbortMultipartUpload",
        ["DeleteObjectAsync"] = "s3:DeleteObject",
        ["PutBucketAsync"] = "s3:CreateBucket",
    };

    [Fact]
    public void The_documented_S3_permissions_are_exactly_those_the_archive_uses()
    {
        var code = string.Concat(Directory.GetFiles(Path.Combine(RepositoryPaths.Root, "src", "OrleansAof.Archive.S3"), "*.cs").Select(File.ReadAllText));
        var calls = ClientCall().Matches(code).Select(m => m.Groups[1].Value).Distinct().ToList();
        calls.Should().NotBeEmpty();
        calls.Where(c => !ActionOf.ContainsKey(c)).Should().BeEmpty("every S3 call of the archive has a known permission (add it here and to k8s/README.md)");
        var needed = calls.Select(c => ActionOf[c]).ToHashSet(StringComparer.Ordinal);

        var doc = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "k8s", "README.md"));
        var documented = PermissionRow().Matches(doc).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        documented.Should().BeEquivalentTo(needed, "k8s/README.md lists exactly the permissions the archive uses");
    }

    [GeneratedRegex(@"_client\.([A-Za-z0-9]+Async)\(")]
    private static partial Regex ClientCall();

    [GeneratedRegex(@"^\s*\| `(s3:[A-Za-z]+)` \|", RegexOptions.Multiline)]
    private static partial Regex PermissionRow();
}
