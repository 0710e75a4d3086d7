using Xunit;

// The tests start silo-host processes (up to three at once) and time their failover on a 2-core machine: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
