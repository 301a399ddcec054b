using Microsoft.Win32.SafeHandles;
using System.Runtime.InteropServices;

namespace MovData.Native;

internal static partial class Interop
{
    // Linux 6.10+, XFS only (<xfs/xfs_fs.h>; Debian 12's headers predate it). Needs the
    // filesystem's exchange-range feature (XFS_SB_FEAT_INCOMPAT_EXCHRANGE); without it XFS
    // answers EOPNOTSUPP, other filesystems ENOTTY.
    internal const nuint XFS_IOC_EXCHANGE_RANGE = 0x40285881; // _IOW('X', 129, struct xfs_exchange_range)

    internal const ulong XFS_EXCHANGE_RANGE_TO_EOF = 1UL << 0;
    internal const ulong XFS_EXCHANGE_RANGE_DSYNC = 1UL << 1;
    internal const ulong XFS_EXCHANGE_RANGE_DRY_RUN = 1UL << 2;

    /// <summary>
    /// struct xfs_exchange_range { __s32 file1_fd; __u32 pad; __u64 file1_offset;
    /// __u64 file2_offset; __u64 length; __u64 flags; };
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct XfsExchangeRange
    {
        internal int File1Fd;
        internal uint Pad;
        internal ulong File1Offset;
        internal ulong File2Offset;
        internal ulong Length;
        internal ulong Flags;
    }

    /// <summary>XFS_IOC_EXCHANGE_RANGE: atomically swap [offset1, +length) of file1 with
    /// [offset2, +length) of file2 (the file the ioctl is issued on). Returns 0 or errno.</summary>
    internal static unsafe int ExchangeRange(SafeFileHandle file1, long offset1, SafeFileHandle file2, long offset2, long length, ulong flags)
    {
        bool added = false;
        file1.DangerousAddRef(ref added);
        try
        {
            var arg = new XfsExchangeRange
            {
                File1Fd = (int)file1.DangerousGetHandle(),
                File1Offset = (ulong)offset1,
                File2Offset = (ulong)offset2,
                Length = (ulong)length,
                Flags = flags,
            };
            return Ioctl(file2, XFS_IOC_EXCHANGE_RANGE, &arg);
        }
        finally
        {
            if (added)
            {
                file1.DangerousRelease();
            }
        }
    }
    // Linux 6.13+: the exchange happens only if file2 did not change since START_COMMIT.
    internal const nuint XFS_IOC_START_COMMIT = 0x80585882; // _IOR('X', 130, struct xfs_commit_range)
    internal const nuint XFS_IOC_COMMIT_RANGE = 0x40585883; // _IOW('X', 131, struct xfs_commit_range)

    /// <summary>
    /// struct xfs_commit_range { __s32 file1_fd; __u32 pad; __u64 file1_offset;
    /// __u64 file2_offset; __u64 length; __u64 flags; __u64 file2_freshness[6]; };
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct XfsCommitRange
    {
        internal int File1Fd;
        internal uint Pad;
        internal ulong File1Offset;
        internal ulong File2Offset;
        internal ulong Length;
        internal ulong Flags;
        internal fixed ulong File2Freshness[6];
    }

    /// <summary>XFS_IOC_START_COMMIT on <paramref name="file2"/>: remembers what file2 is now
    /// (its freshness), for <see cref="CommitRange"/>. Returns 0 or errno.</summary>
    internal static unsafe int StartCommit(SafeFileHandle file2, out XfsCommitRange commit)
    {
        XfsCommitRange arg = default;
        int errno = Ioctl(file2, XFS_IOC_START_COMMIT, &arg);
        commit = arg;
        return errno;
    }

    /// <summary>XFS_IOC_COMMIT_RANGE on <paramref name="file2"/>: exchanges [offset1, +length)
    /// of file1 with [offset2, +length) of file2 atomically, but only if file2 is unchanged
    /// since <see cref="StartCommit"/> (EBUSY otherwise, nothing exchanged). Returns 0 or errno.</summary>
    internal static unsafe int CommitRange(SafeFileHandle file1, long offset1, SafeFileHandle file2, long offset2, long length, ulong flags, XfsCommitRange started)
    {
        bool added = false;
        file1.DangerousAddRef(ref added);
        try
        {
            XfsCommitRange arg = started;
            arg.File1Fd = (int)file1.DangerousGetHandle();
            arg.File1Offset = (ulong)offset1;
            arg.File2Offset = (ulong)offset2;
            arg.Length = (ulong)length;
            arg.Flags = flags;
            return Ioctl(file2, XFS_IOC_COMMIT_RANGE, &arg);
        }
        finally
        {
            if (added)
            {
                file1.DangerousRelease();
            }
        }
    }
}
