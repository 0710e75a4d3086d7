using OrleansAof.Storage.Format;

namespace OrleansAof.Storage.Offline;

/// <summary>One segment as the inspector saw it, with the scan and recovery plan behind the report (for repairs).</summary>
internal sealed record SegmentAnalysis(SegmentReport Report, SegmentScanResult Scan, RecoveryPlan? Plan);
