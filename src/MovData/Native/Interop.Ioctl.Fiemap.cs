using Microsoft.Win32.SafeHandles;
using System.Runtime.InteropServices;

namespace MovData.Native;

internal static partial class Interop
{
    internal const nuint FS_IOC_FIEMAP = 0xC020660B; // _IOWR('f', 11, struct fiemap)

    internal const uint FIEMAP_FLAG_SYNC = 0x00000001;

    internal const uint FIEMAP_EXTENT_LAST = 0x00000001;
    internal const uint FIEMAP_EXTENT_UNKNOWN = 0x00000002;
    internal const uint FIEMAP_EXTENT_DELALLOC = 0x00000004;
    internal const uint FIEMAP_EXTENT_UNWRITTEN = 0x00000800;
    internal const uint FIEMAP_EXTENT_SHARED = 0x00002000;

    /// <summary>
    /// struct fiemap { __u64 fm_start; __u64 fm_length; __u32 fm_flags; __u32 fm_mapped_extents;
    /// __u32 fm_extent_count; __u32 fm_reserved; struct fiemap_extent fm_extents[]; };
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Fiemap
    {
        internal ulong Start;
        internal ulong Length;
        internal uint Flags;
        internal uint MappedExtents;
        internal uint ExtentCount;
        internal uint Reserved;
    }

    /// <summary>
    /// struct fiemap_extent { __u64 fe_logical; __u64 fe_physical; __u64 fe_length;
    /// __u64 fe_reserved64[2]; __u32 fe_flags; __u32 fe_reserved[3]; };
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct FiemapExtent
    {
        internal ulong Logical;
        internal ulong Physical;
        internal ulong Length;
        internal ulong Reserved64_0;
        internal ulong Reserved64_1;
        internal uint Flags;
        internal uint Reserved_0;
        internal uint Reserved_1;
        internal uint Reserved_2;
    }

    internal readonly record struct RawExtent(long Logical, long Physical, long Length, uint Flags);

    private const int FiemapBatch = 512;

    /// <summary>
    /// Every extent of [start, start+length) in file order, fetched in batches until the kernel
    /// flags the last one (as xfsprogs' io/fiemap.c does). Returns 0 or errno.
    /// </summary>
    internal static unsafe int GetExtents(SafeFileHandle fd, long start, long length, bool sync, List<RawExtent> into)
    {
        nuint size = (nuint)(sizeof(Fiemap) + (FiemapBatch * sizeof(FiemapExtent)));
        byte* buffer = (byte*)NativeMemory.AllocZeroed(size);
        try
        {
            var header = (Fiemap*)buffer;
            var extents = (FiemapExtent*)(buffer + sizeof(Fiemap));
            ulong next = (ulong)start;
            ulong end = length == long.MaxValue ? ulong.MaxValue : (ulong)start + (ulong)length;
            while (next < end)
            {
                *header = new Fiemap
                {
                    Start = next,
                    Length = end - next,
                    Flags = sync ? FIEMAP_FLAG_SYNC : 0,
                    ExtentCount = FiemapBatch,
                };
                int errno = Ioctl(fd, FS_IOC_FIEMAP, buffer);
                if (errno != 0)
                {
                    return errno;
                }
                uint mapped = header->MappedExtents;
                if (mapped == 0)
                {
                    return 0;
                }
                for (uint i = 0; i < mapped; i++)
                {
                    FiemapExtent e = extents[i];
                    into.Add(new RawExtent((long)e.Logical, (long)e.Physical, (long)e.Length, e.Flags));
                }
                FiemapExtent last = extents[mapped - 1];
                if ((last.Flags & FIEMAP_EXTENT_LAST) != 0)
                {
                    return 0;
                }
                next = last.Logical + last.Length;
            }
            return 0;
        }
        finally
        {
            NativeMemory.Free(buffer);
        }
    }
}
