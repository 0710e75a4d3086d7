using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace OrleansAof.Storage.IO;

/// <summary>The writable mapping of <see cref="PhysicalFileSystem"/> (Linux only; see <see cref="IWritableFileMapping"/>).</summary>
public sealed partial class PhysicalFileSystem
{
    /// <summary>
    /// <c>mmap(PROT_READ | PROT_WRITE, MAP_SHARED)</c> of <see cref="Capacity"/> bytes from offset 0. The file grows with
    /// <c>fallocate</c> (mode 0: the size moves and the blocks are allocated, reading as zeros), so a page stored into is
    /// always inside the file and never needs a block the file system might fail to find (both would raise SIGBUS). The
    /// region is a <see cref="SafeHandle"/>: a mapping nobody disposed is unmapped by its finalizer.
    /// </summary>
    private sealed class PhysicalWritableMapping : IWritableFileMapping
    {
        private const int ProtNone = 0;
        private const int ProtRead = 1;
        private const int ProtWrite = 2;
        private const int MapShared = 1;
        private const int MapPrivate = 2;
        private const int MapAnonymous = 0x20;
        private const int MapFixed = 0x10;
        private const int MadvHugePage = 14;
        private const long HugePage = 2 * 1024 * 1024;
        private const int Eintr = 4;
        private const int Einval = 22;
        private const int MadvDontNeed = 4;
        private const int MadvPopulateWrite = 23;

        private static bool _populateUnsupported;

        private readonly SafeFileHandle _file;
        private readonly MappedRegion _region;
        private readonly long _granularity;
        private long _length;

        private PhysicalWritableMapping(SafeFileHandle file, MappedRegion region, long capacity, long length, bool huge)
        {
            _file = file;
            _region = region;
            Address = region.DangerousGetHandle();
            Capacity = capacity;
            _length = length;
            _granularity = huge ? HugePage : Environment.SystemPageSize;
        }

        public nint Address { get; }

        public long Capacity { get; }

        public long Length => _length;

        public long PageSize => _granularity;

        /// <summary>Maps <paramref name="file"/>, or returns null where that is not possible (not Linux, the file is longer than asked, no <c>fallocate</c>, <c>mmap</c> refused).</summary>
        public static PhysicalWritableMapping? TryCreate(SafeFileHandle file, long capacity)
        {
            if (!OperatingSystem.IsLinux() || capacity <= 0 || IntPtr.Size != 8)
            {
                return null;
            }

            var length = RandomAccess.GetLength(file);
            if (length > capacity)
            {
                return null;
            }

            // What the file holds already may be a hole (extended by SetLength, or a file system that reserves lazily):
            // allocate it, so that storing into it cannot fail for want of a block. Where fallocate is not supported the
            // engine writes through the handle.
            if (length > 0 && !Allocate(file, 0, length))
            {
                return null;
            }

            // At an address aligned to 2 MiB, so that the kernel can map the file's page cache in huge pages (below):
            // reserve 2 MiB more address space than needed, map the file over the aligned part of the reservation (MAP_FIXED
            // replaces only what this call reserved), and give back the slack on both sides.
            var span = (nuint)RoundUp(capacity, HugePage);
            var reservedLength = span + (nuint)HugePage;
            var reserved = Native.MMapAnonymous(0, reservedLength, ProtNone, MapPrivate | MapAnonymous, -1, 0);
            if (reserved == -1)
            {
                return null;
            }

            var aligned = (nint)RoundUp((long)reserved, HugePage);
            var address = Native.MMap(aligned, span, ProtRead | ProtWrite, MapShared | MapFixed, file, 0);
            if (address != aligned)
            {
                _ = Native.MUnmap(reserved, reservedLength);
                return null;
            }

            if (aligned > reserved)
            {
                _ = Native.MUnmap(reserved, (nuint)(aligned - reserved));
            }

            var tail = reserved + (nint)reservedLength - (aligned + (nint)span);
            if (tail > 0)
            {
                _ = Native.MUnmap(aligned + (nint)span, (nuint)tail);
            }

            // Huge pages for the segment's page cache: a store into a page the process has not touched yet costs a fault
            // (a trap into the kernel, and in a virtual machine often into the hypervisor too), once per 4 KiB page; with
            // huge pages once per 2 MiB. A failure (transparent huge pages not built into the kernel) or a file too small for
            // one leaves 4 KiB pages.
            var huge = capacity >= HugePage && Native.MAdvise(address, span, MadvHugePage) == 0;
            return new PhysicalWritableMapping(file, new MappedRegion(address, span), capacity, length, huge);
        }

        public bool TryGrow(long length)
        {
            if (length <= _length)
            {
                return true;
            }

            if (length > Capacity || _region.IsClosed)
            {
                return false;
            }

            // Whole huge pages where the mapping has them: the page cache maps a huge page only when the file holds all of it.
            var target = Math.Min(Capacity, RoundUp(length, _granularity));
            if (!Allocate(_file, _length, target - _length))
            {
                return false;
            }

            _length = target;
            return true;
        }

        public bool TryPrepareWrite(long offset, long length)
        {
            if (offset < 0 || length < 0 || offset > _length - length || _region.IsClosed)
            {
                return false;
            }

            if (length == 0 || _populateUnsupported)
            {
                return true;
            }

            var (at, bytes) = Pages(offset, length);
            if (Native.MAdvise(at, bytes, MadvPopulateWrite) == 0)
            {
                return true;
            }

            // EINVAL: a kernel before 5.14; stores then fault page by page, as they would without this call.
            if (Marshal.GetLastPInvokeError() == Einval)
            {
                _populateUnsupported = true;
                return true;
            }

            return false;
        }

        public void Release(long offset, long length)
        {
            if (offset < 0 || length <= 0 || offset > Capacity - length || _region.IsClosed)
            {
                return;
            }

            // Whole pages only (whole huge pages where the mapping has them: releasing part of one would split it).
            var from = RoundUp(offset, _granularity);
            var to = (offset + length) & ~(_granularity - 1);
            if (to > from)
            {
                _ = Native.MAdvise(Address + (nint)from, (nuint)(to - from), MadvDontNeed);
            }
        }

        public void Dispose() => _region.Dispose();

        private static long RoundUp(long value, long multiple) => (value + multiple - 1) & ~(multiple - 1);

        private (nint Address, nuint Length) Pages(long offset, long length)
        {
            var pageSize = (nint)Environment.SystemPageSize;
            var at = (Address + (nint)offset) & ~(pageSize - 1);
            var end = Address + (nint)(offset + length);
            return (at, (nuint)(end - at));
        }

        private static bool Allocate(SafeFileHandle file, long offset, long length)
        {
            try
            {
                int rc;
                while ((rc = Native.FAllocate(file, 0, offset, length)) != 0 && Marshal.GetLastPInvokeError() == Eintr)
                {
                }

                return rc == 0;
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
        }
    }

    /// <summary>An <c>mmap</c>ped region, unmapped when released.</summary>
    private sealed class MappedRegion : SafeHandleZeroOrMinusOneIsInvalid
    {
        private readonly nuint _length;

        public MappedRegion(nint address, nuint length)
            : base(ownsHandle: true)
        {
            SetHandle(address);
            _length = length;
        }

        protected override bool ReleaseHandle() => Native.MUnmap(handle, _length) == 0;
    }

    private static partial class Native
    {
        [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
        internal static partial nint MMap(nint address, nuint length, int protection, int flags, SafeFileHandle fd, long offset);

        [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
        internal static partial nint MMapAnonymous(nint address, nuint length, int protection, int flags, int fd, long offset);

        [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
        internal static partial int MUnmap(nint address, nuint length);

        [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
        internal static partial int FAllocate(SafeFileHandle fd, int mode, long offset, long length);
    }
}
