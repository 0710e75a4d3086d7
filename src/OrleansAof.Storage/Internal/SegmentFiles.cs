using System.Buffers;
using System.Buffers.Binary;
using OrleansAof.Storage.Archive;
using OrleansAof.Storage.Format;
using OrleansAof.Storage.IO;

namespace OrleansAof.Storage.Internal;

/// <summary>
/// The file operations on segment files that recovery, rollover and archival share: create an active segment, seal one,
/// cut a torn tail, move a damaged file aside, fetch an archived copy. Each one is ordered so that a crash after any of
/// its steps leaves files that the next open understands (see docs/durability.md, "Crash-safe background work").
/// </summary>
internal static class SegmentFiles
{
    /// <summary>
    /// Creates the segment file for <paramref name="header"/> (from <paramref name="preallocated"/> when given), writes
    /// its header and makes both the header and the directory entry durable before it returns: the catalog may then
    /// record the segment, and a segment the catalog records is never an all-zero file that recovery would delete. A new
    /// file reserves <see cref="PartitionLogOptions.ReservationFor"/> of <paramref name="localBytes"/> (the bytes of the
    /// partition's local sealed segments).
    /// </summary>
    public static ActiveSegment CreateActive(IFileSystem fs, PartitionDirectory dir, SegmentHeader header, PartitionLogOptions options, string? preallocated, long localBytes)
    {
        var path = dir.SegmentPath(header.BaseId);
        IStorageFile file;
        if (preallocated is not null)
        {
            fs.MoveFile(preallocated, path, overwrite: false);
            file = fs.OpenFile(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        }
        else
        {
            var reserve = options.Preallocation is PreallocationMode.Reserve or PreallocationMode.Auto ? options.ReservationFor(localBytes) : 0;
            file = fs.OpenFile(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, reserve);
        }

        try
        {
            Span<byte> bytes = stackalloc byte[SegmentHeader.Size];
            header.WriteTo(bytes);
            file.Write(0, bytes);
            file.Flush(dataOnly: true);
            fs.FlushDirectory(dir.Segments);
            return new ActiveSegment(file, header, SegmentFormat.FromUnixMicroseconds(header.CreatedAtMicros));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Writes metadata, producer table, index and footer after the data of <paramref name="segment"/>, trims the file and fsyncs it.</summary>
    public static SealedSegment Seal(ActiveSegment segment, long sealedAtMicros, string path, Dictionary<long, ProducerEntry> producers)
    {
        var count = segment.Count;
        var dataEnd = segment.WriteOffset;
        var metadata = new SegmentMetadata(segment.BaseId, segment.LastId, count, segment.FirstTimestampMicros, segment.LastTimestampMicros, sealedAtMicros, segment.Rolling);
        var tableLength = ProducerTable.TotalSize(producers.Count);
        var indexLength = BinaryIndexHeader.TotalSize(count);
        var total = SegmentMetadata.Size + tableLength + indexLength + SegmentFooter.Size;
        var buffer = new byte[total];
        metadata.WriteTo(buffer);
        var tableCrc = ProducerTable.Write(buffer.AsSpan(SegmentMetadata.Size), producers.Values);
        var indexStart = (int)(SegmentMetadata.Size + tableLength);
        var index = buffer.AsSpan(indexStart, (int)indexLength);
        for (var i = 0; i < count; i++)
        {
            BinaryIndexHeader.WriteEntry(index[(BinaryIndexHeader.Size + (i * BinaryIndexHeader.EntrySize))..], segment.BaseId + i, segment.Offsets[i]);
        }

        var indexCrc = BinaryIndexHeader.Complete(index, count);
        var footer = new SegmentFooter(
            dataEnd, dataEnd, dataEnd + SegmentMetadata.Size, tableLength, dataEnd + indexStart, indexLength,
            BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(4, 4)), tableCrc, indexCrc, segment.BaseId, SegmentFormat.Version);
        footer.WriteTo(buffer.AsSpan(indexStart + (int)indexLength));
        segment.File.Write(dataEnd, buffer);
        segment.File.SetLength(dataEnd + total);
        segment.File.Flush(dataOnly: false);
        return new SealedSegment(path, segment.Header, footer, metadata, dataEnd + total);
    }

    /// <summary>Writes zeros over <paramref name="from"/>..<paramref name="to"/> (a torn tail recovery cut off).</summary>
    public static void ZeroRange(IStorageFile file, long from, long to)
    {
        var zeros = new byte[(int)Math.Min(1024 * 1024, to - from)];
        for (var pos = from; pos < to; pos += zeros.Length)
        {
            file.Write(pos, zeros.AsSpan(0, (int)Math.Min(zeros.Length, to - pos)));
        }
    }

    /// <summary>
    /// Moves a damaged segment file into <c>quarantine/</c> (under a name that never overwrites an earlier quarantined
    /// copy) and makes the move durable. Returns the new path.
    /// </summary>
    public static string Quarantine(IFileSystem fs, PartitionDirectory dir, string path)
    {
        fs.CreateDirectory(dir.Quarantine);
        var name = Path.GetFileName(path);
        var target = Path.Combine(dir.Quarantine, name);
        for (var n = 1; fs.FileExists(target); n++)
        {
            target = Path.Combine(dir.Quarantine, FormattableString.Invariant($"{name}.{n}"));
        }

        fs.MoveFile(path, target, overwrite: false);
        fs.FlushDirectory(dir.Quarantine);
        fs.FlushDirectory(dir.Segments);
        return target;
    }

    /// <summary>Builds the in-memory state of an active segment from the first <paramref name="keep"/> records of a scan.</summary>
    public static ActiveSegment ActiveFromScan(IStorageFile file, SegmentHeader header, SegmentScanResult scan, int keep, long end)
    {
        var active = new ActiveSegment(file, header, SegmentFormat.FromUnixMicroseconds(header.CreatedAtMicros)) { WriteOffset = end };
        var rolling = RollingChecksum.Empty;
        for (var i = 0; i < keep; i++)
        {
            var r = scan.Records[i];
            active.Offsets.Add(r.Offset);
            rolling = RollingChecksum.Next(rolling, r.Checksum);
            if (i == 0)
            {
                active.FirstTimestampMicros = r.TimestampMicros;
            }

            active.LastTimestampMicros = r.TimestampMicros;
            active.LastRecordStart = r.Offset;
            active.LastRecordEnd = r.End;
        }

        active.Rolling = rolling;
        return active;
    }

    /// <summary>Applies the producer stamps of the first <paramref name="keep"/> records of a scan to <paramref name="producers"/>.</summary>
    public static void ApplyStamps(SegmentScanResult scan, int keep, Dictionary<long, ProducerEntry> producers)
    {
        var baseId = scan.Header!.Value.BaseId;
        foreach (var (stamp, _) in scan.Stamps)
        {
            var first = (int)(stamp.FirstId - baseId);
            if (first >= keep)
            {
                break;
            }

            var last = first;
            while (last < keep && (scan.Records[last].Flags & RecordFlags.BatchContinues) != 0)
            {
                last++;
            }

            producers[stamp.ProducerId] = new ProducerEntry(stamp.ProducerId, stamp.Sequence, stamp.FirstId, baseId + last);
        }
    }

    /// <summary>
    /// Downloads an archived segment to <paramref name="destination"/> through a temporary name, so a partial file never
    /// carries a segment name. With <paramref name="durable"/> the file and the rename are flushed to stable storage (a
    /// restored segment); without, they are left to the OS (a read cache, which only this process trusts: 64 MiB of
    /// fsync would otherwise cost as much as the download itself).
    /// </summary>
    public static async Task DownloadVerifiedAsync(ISegmentArchive archive, ArchiveObjectKey key, string destination, IFileSystem fs, bool durable, CancellationToken cancellationToken)
    {
        var temp = destination + ".download";
        fs.DeleteFile(temp);
        await archive.DownloadAsync(key, temp, cancellationToken).ConfigureAwait(false);
        using (var file = fs.OpenFile(temp, FileMode.Open, FileAccess.ReadWrite))
        {
            var scan = SegmentScanner.ReadSealed(file, validateIndex: true);
            if (!scan.IsSealed)
            {
                throw new ArchiveIntegrityException(key.RelativeKey, "the downloaded object is not a sealed segment: " + (scan.HeaderError ?? scan.FooterError));
            }

            if (durable)
            {
                file.Flush(dataOnly: false);
            }
        }

        fs.MoveFile(temp, destination, overwrite: true);
        if (durable)
        {
            fs.FlushDirectory(Path.GetDirectoryName(destination)!);
        }
    }

    /// <summary>
    /// Reads a sealed segment completely (header, every frame, the rolling checksum against the metadata, footer, metadata
    /// and index checksums) and returns the size and CRC-32C of the file: before it is archived, and before a replica
    /// installs a segment it received (docs/replication.md, "Catch-up").
    /// </summary>
    /// <exception cref="SegmentCorruptedException">The file is not a valid sealed segment.</exception>
    public static SegmentFileFacts VerifySealed(IFileSystem fs, string path, long baseId, int maxRecordBytes)
    {
        using var file = fs.OpenFile(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var scan = SegmentScanner.ScanForward(file, maxRecordBytes, collectRecords: false);
        var problem = !scan.IsSealed ? scan.FooterError ?? scan.HeaderError ?? "not sealed"
            : scan.Stop != ScanStop.CleanEnd || scan.ValidEnd != scan.Footer!.Value.DataEnd ? $"invalid data at offset {scan.ValidEnd}: {scan.StopDetail}"
            : scan.RollingChecksum != scan.Metadata!.Value.DataChecksum ? "the records do not match the segment's rolling checksum"
            : null;
        if (problem is not null)
        {
            throw new SegmentCorruptedException(path, baseId, problem);
        }

        var length = file.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(1024 * 1024);
        try
        {
            uint crc = 0;
            for (long pos = 0; pos < length;)
            {
                var n = file.Read(pos, buffer.AsSpan(0, (int)Math.Min(buffer.Length, length - pos)));
                if (n <= 0)
                {
                    throw new SegmentCorruptedException(path, baseId, $"the file ended at {pos} of {length} bytes");
                }

                crc = Crc32C.Append(crc, buffer.AsSpan(0, n));
                pos += n;
            }

            return new SegmentFileFacts(length, crc);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The segment files of a partition's <c>segments/</c> folder, by base id.</summary>
    public static List<(long BaseId, string Path)> List(IFileSystem fs, PartitionDirectory dir)
    {
        var files = new List<(long BaseId, string Path)>();
        foreach (var path in fs.ListFiles(dir.Segments, PartitionLayout.SegmentFilePattern))
        {
            if (PartitionLayout.TryParseSegmentFileName(path, out var baseId))
            {
                files.Add((baseId, path));
            }
        }

        files.Sort(static (a, b) => a.BaseId.CompareTo(b.BaseId));
        return files;
    }
}
