using Microsoft.Win32.SafeHandles;
using System.Runtime.InteropServices;

namespace MovData.Native;

internal static partial class Interop
{
    internal const nuint FIDEDUPERANGE = 0xC0189436; // _IOWR(0x94, 54, struct file_dedupe_range)

    internal const int FILE_DEDUPE_RANGE_SAME = 0;
    internal const int FILE_DEDUPE_RANGE_DIFFERS = 1;

    /// <summary>
    /// struct file_dedupe_range { __u64 src_offset; __u64 src_length; __u16 dest_count;
    /// __u16 reserved1; __u32 reserved2; struct file_dedupe_range_info info[]; }, with one
    /// struct file_dedupe_range_info { __s64 dest_fd; __u64 dest_offset; __u64 bytes_deduped;
    /// __s32 status; __u32 reserved; } after it.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct FileDedupeRangeOne
    {
        internal ulong SrcOffset;
        internal ulong SrcLength;
        internal ushort DestCount;
        internal ushort Reserved1;
        internal uint Reserved2;
        internal long DestFd;
        internal ulong DestOffset;
        internal ulong BytesDeduped;
        internal int Status;
        internal uint Reserved;
    }

    /// <summary>
    /// FIDEDUPERANGE with one destination: where [srcOffset, +length) of src and
    /// [destOffset, +length) of dest hold the same bytes, dest's range is made to share src's
    /// blocks. The kernel compares under both files' locks, so a range written meanwhile is
    /// left alone (<paramref name="differs"/>) instead of being overwritten. Returns 0 or errno.
    /// </summary>
    internal static unsafe int DedupeRange(SafeFileHandle src, long srcOffset, SafeFileHandle dest, long destOffset, long length, out long deduped, out bool differs)
    {
        deduped = 0;
        differs = false;
        bool added = false;
        dest.DangerousAddRef(ref added);
        try
        {
            var arg = new FileDedupeRangeOne
            {
                SrcOffset = (ulong)srcOffset,
                SrcLength = (ulong)length,
                DestCount = 1,
                DestFd = dest.DangerousGetHandle().ToInt64(),
                DestOffset = (ulong)destOffset,
            };
            int errno = Ioctl(src, FIDEDUPERANGE, &arg);
            if (errno != 0)
            {
                return errno;
            }
            if (arg.Status < 0)
            {
                return -arg.Status;
            }
            differs = arg.Status == FILE_DEDUPE_RANGE_DIFFERS;
            deduped = (long)arg.BytesDeduped;
            return 0;
        }
        finally
        {
            if (added)
            {
                dest.DangerousRelease();
            }
        }
    }
}
