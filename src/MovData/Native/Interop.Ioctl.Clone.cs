using Microsoft.Win32.SafeHandles;
using System.Runtime.InteropServices;

namespace MovData.Native;

internal static partial class Interop
{
    internal const nuint FICLONERANGE = 0x4020940D; // _IOW(0x94, 13, struct file_clone_range)

    /// <summary>
    /// struct file_clone_range { __s64 src_fd; __u64 src_offset; __u64 src_length; __u64 dest_offset; };
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct FileCloneRange
    {
        internal long SrcFd;
        internal ulong SrcOffset;
        internal ulong SrcLength;
        internal ulong DestOffset;
    }

    /// <summary>FICLONERANGE: share [srcOffset, srcOffset+length) of src into dest at destOffset.
    /// Returns 0 or errno.</summary>
    internal static unsafe int CloneRange(SafeFileHandle src, long srcOffset, SafeFileHandle dest, long destOffset, long length)
    {
        bool added = false;
        src.DangerousAddRef(ref added);
        try
        {
            var arg = new FileCloneRange
            {
                SrcFd = src.DangerousGetHandle().ToInt64(),
                SrcOffset = (ulong)srcOffset,
                SrcLength = (ulong)length,
                DestOffset = (ulong)destOffset,
            };
            return Ioctl(dest, FICLONERANGE, &arg);
        }
        finally
        {
            if (added)
            {
                src.DangerousRelease();
            }
        }
    }
}
