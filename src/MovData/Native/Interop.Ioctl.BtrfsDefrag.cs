using Microsoft.Win32.SafeHandles;
using System.Runtime.InteropServices;

namespace MovData.Native;

internal static partial class Interop
{
    internal const nuint BTRFS_IOC_DEFRAG_RANGE = 0x40309410; // _IOW(0x94, 16, struct btrfs_ioctl_defrag_range_args)

    /// <summary>
    /// struct btrfs_ioctl_defrag_range_args { __u64 start; __u64 len; __u64 flags;
    /// __u32 extent_thresh; __u32 compress_type; __u32 unused[4]; }
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct BtrfsDefragRangeArgs
    {
        internal ulong Start;
        internal ulong Len;
        internal ulong Flags;
        internal uint ExtentThresh;
        internal uint CompressType;
        internal fixed uint Unused[4];
    }

    /// <summary>BTRFS_IOC_DEFRAG_RANGE: btrfs rewrites the extents of [start, +length) that
    /// are smaller than <paramref name="extentThreshold"/> bytes into new, larger ones, in the
    /// page cache (written back as any dirty page is, or by a sync). No flags: with
    /// BTRFS_DEFRAG_RANGE_START_IO each range's writeback ran while the next range was read,
    /// and a 1 GiB file took longer than reading it all, then writing it all (bench/defrag.sh).
    /// Returns 0 or errno.</summary>
    internal static unsafe int BtrfsDefragRange(SafeFileHandle file, long start, long length, uint extentThreshold)
    {
        var arg = new BtrfsDefragRangeArgs
        {
            Start = (ulong)start,
            Len = (ulong)length,
            ExtentThresh = extentThreshold,
        };
        return Ioctl(file, BTRFS_IOC_DEFRAG_RANGE, &arg);
    }
}
