using Microsoft.Win32.SafeHandles;
using System.Runtime.InteropServices;

namespace MovData.Native;

internal static partial class Interop
{
    internal const nuint XFS_IOC_FSGEOMETRY = 0x8100587E; // _IOR('X', 126, struct xfs_fsop_geom)

    /// <summary>The head of struct xfs_fsop_geom (256 bytes in all): __u32 blocksize;
    /// __u32 rtextsize; __u32 agblocks; __u32 agcount; ...</summary>
    [StructLayout(LayoutKind.Sequential, Size = 256)]
    internal struct XfsFsopGeom
    {
        internal uint BlockSize;
        internal uint RtExtSize;
        internal uint AgBlocks;
        internal uint AgCount;
    }

    /// <summary>XFS_IOC_FSGEOMETRY: the bytes in one allocation group, which no extent of a
    /// file can span. Returns 0 or errno.</summary>
    internal static unsafe int XfsAllocationGroupBytes(SafeFileHandle file, out long bytes)
    {
        XfsFsopGeom geom = default;
        int errno = Ioctl(file, XFS_IOC_FSGEOMETRY, &geom);
        bytes = errno == 0 ? (long)geom.AgBlocks * geom.BlockSize : 0;
        return errno;
    }
}
