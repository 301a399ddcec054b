using Microsoft.Win32.SafeHandles;
using System.Runtime.InteropServices;

namespace MovData.Native;

internal static partial class Interop
{
    internal const nuint EXT4_IOC_MOVE_EXT = 0xC028660F; // _IOWR('f', 15, struct move_extent)

    /// <summary>
    /// struct move_extent { __u32 reserved; __u32 donor_fd; __u64 orig_start;
    /// __u64 donor_start; __u64 len; __u64 moved_len; }, in blocks.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct MoveExtent
    {
        internal uint Reserved;
        internal uint DonorFd;
        internal ulong OrigStart;
        internal ulong DonorStart;
        internal ulong Len;
        internal ulong MovedLen;
    }

    /// <summary>
    /// EXT4_IOC_MOVE_EXT on <paramref name="orig"/> (opened read-write): the kernel copies
    /// blocks [origStart, +blocks) of orig into the donor's blocks at donorStart and swaps the
    /// two files' extents, so orig keeps its bytes on the donor's (fresh) blocks and the donor
    /// gets orig's old ones. <paramref name="movedBlocks"/> is set even when it stops part-way
    /// (EBUSY: a page was dirty). Returns 0 or errno.
    /// </summary>
    internal static unsafe int MoveExtents(SafeFileHandle orig, SafeFileHandle donor, long origStart, long donorStart, long blocks, out long movedBlocks)
    {
        bool added = false;
        donor.DangerousAddRef(ref added);
        try
        {
            var arg = new MoveExtent
            {
                DonorFd = (uint)donor.DangerousGetHandle().ToInt32(),
                OrigStart = (ulong)origStart,
                DonorStart = (ulong)donorStart,
                Len = (ulong)blocks,
            };
            int errno = Ioctl(orig, EXT4_IOC_MOVE_EXT, &arg);
            movedBlocks = (long)arg.MovedLen;
            return errno;
        }
        finally
        {
            if (added)
            {
                donor.DangerousRelease();
            }
        }
    }
}
