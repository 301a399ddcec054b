using MovData.Native;
using MovData.Tests.Harness;
using System.Runtime.InteropServices;

namespace MovData.Tests.Native;

/// <summary>
/// Pins every ioctl struct, syscall struct and constant of the native layer against the C
/// headers of this machine, compiled with gcc: a wrong offset here would corrupt memory or
/// send the kernel garbage, so it must fail a test, not a user.
/// </summary>
public sealed class NativeLayoutTests
{
    // struct xfs_exchange_range is not in Debian 12's headers (linux-libc-dev 6.1, xfsprogs
    // 6.1); it is declared here as Linux 6.10's <xfs/xfs_fs.h> has it, so at least the ioctl
    // number is computed by the real _IOW macro. Its layout is proven on the xfs-exchange
    // mount, where the ioctl moves real bytes.
    private const string Program = """
        #define _GNU_SOURCE
        #include <stdio.h>
        #include <stddef.h>
        #include <stdint.h>
        #include <fcntl.h>
        #include <errno.h>
        #include <signal.h>
        #include <unistd.h>
        #include <sys/ioctl.h>
        #include <sys/stat.h>
        #include <sys/vfs.h>
        #include <linux/fs.h>
        #include <linux/fiemap.h>
        #include <linux/falloc.h>
        #include <linux/btrfs.h>
        /* Not in any uapi header: fs/ext4/ext4.h's struct, as e2fsprogs' e4defrag declares it. */
        struct move_extent { uint32_t reserved; uint32_t donor_fd; uint64_t orig_start; uint64_t donor_start; uint64_t len; uint64_t moved_len; };
        #define EXT4_IOC_MOVE_EXT _IOWR('f', 15, struct move_extent)
        /* Linux 6.12's <xfs/xfs_fs.h> (Debian 12 has neither it nor xfslibs-dev by default). */
        struct xfs_commit_range { int32_t file1_fd; uint32_t pad; uint64_t file1_offset; uint64_t file2_offset; uint64_t length; uint64_t flags; uint64_t file2_freshness[6]; };
        #define XFS_IOC_START_COMMIT _IOR('X', 130, struct xfs_commit_range)
        #define XFS_IOC_COMMIT_RANGE _IOW('X', 131, struct xfs_commit_range)
        struct xfs_fsop_geom_head { uint32_t blocksize; uint32_t rtextsize; uint32_t agblocks; uint32_t agcount; uint8_t rest[240]; };
        #define XFS_IOC_FSGEOMETRY _IOR('X', 126, struct xfs_fsop_geom_head)
        struct xfs_exchange_range { int32_t file1_fd; uint32_t pad; uint64_t file1_offset; uint64_t file2_offset; uint64_t length; uint64_t flags; };
        #define XFS_IOC_EXCHANGE_RANGE _IOW('X', 129, struct xfs_exchange_range)
        #define XFS_IOC_GOINGDOWN _IOR('X', 125, uint32_t)
        #define P(name, value) printf("%s %lld\n", name, (long long)(value))
        #define S(type) P("sizeof " #type, sizeof(struct type))
        #define O(type, field) P("offsetof " #type "." #field, offsetof(struct type, field))
        int main(void) {
          S(file_clone_range); O(file_clone_range, src_fd); O(file_clone_range, src_offset); O(file_clone_range, src_length); O(file_clone_range, dest_offset);
          S(fiemap); O(fiemap, fm_start); O(fiemap, fm_length); O(fiemap, fm_flags); O(fiemap, fm_mapped_extents); O(fiemap, fm_extent_count); O(fiemap, fm_extents);
          S(fiemap_extent); O(fiemap_extent, fe_logical); O(fiemap_extent, fe_physical); O(fiemap_extent, fe_length); O(fiemap_extent, fe_flags);
          S(xfs_exchange_range); O(xfs_exchange_range, file1_fd); O(xfs_exchange_range, file1_offset); O(xfs_exchange_range, file2_offset); O(xfs_exchange_range, length); O(xfs_exchange_range, flags);
          S(file_dedupe_range); O(file_dedupe_range, src_offset); O(file_dedupe_range, src_length); O(file_dedupe_range, dest_count); O(file_dedupe_range, info);
          S(file_dedupe_range_info); O(file_dedupe_range_info, dest_fd); O(file_dedupe_range_info, dest_offset); O(file_dedupe_range_info, bytes_deduped); O(file_dedupe_range_info, status);
          P("FIDEDUPERANGE", FIDEDUPERANGE); P("FILE_DEDUPE_RANGE_DIFFERS", FILE_DEDUPE_RANGE_DIFFERS);
          S(move_extent); O(move_extent, donor_fd); O(move_extent, orig_start); O(move_extent, donor_start); O(move_extent, len); O(move_extent, moved_len); P("EXT4_IOC_MOVE_EXT", EXT4_IOC_MOVE_EXT);
          S(btrfs_ioctl_defrag_range_args); O(btrfs_ioctl_defrag_range_args, start); O(btrfs_ioctl_defrag_range_args, len); O(btrfs_ioctl_defrag_range_args, flags);
          O(btrfs_ioctl_defrag_range_args, extent_thresh); O(btrfs_ioctl_defrag_range_args, compress_type); P("BTRFS_IOC_DEFRAG_RANGE", BTRFS_IOC_DEFRAG_RANGE);
          S(xfs_commit_range); O(xfs_commit_range, file1_fd); O(xfs_commit_range, file1_offset); O(xfs_commit_range, file2_offset); O(xfs_commit_range, length); O(xfs_commit_range, flags); O(xfs_commit_range, file2_freshness);
          P("XFS_IOC_START_COMMIT", XFS_IOC_START_COMMIT); P("XFS_IOC_COMMIT_RANGE", XFS_IOC_COMMIT_RANGE); P("XFS_IOC_FSGEOMETRY", XFS_IOC_FSGEOMETRY); O(xfs_fsop_geom_head, agblocks);
          P("POSIX_FADV_DONTNEED", POSIX_FADV_DONTNEED); P("ENODATA", ENODATA); P("EBUSY", EBUSY);
          S(statx); O(statx, stx_blksize); O(statx, stx_attributes); O(statx, stx_mode); O(statx, stx_ino); O(statx, stx_size); O(statx, stx_btime); O(statx, stx_ctime); O(statx, stx_dev_major); O(statx, stx_dev_minor); O(statx, stx_mnt_id);
          S(flock); O(flock, l_type); O(flock, l_whence); O(flock, l_start); O(flock, l_len); O(flock, l_pid);
          P("F_OFD_SETLK", F_OFD_SETLK); P("F_OFD_SETLKW", F_OFD_SETLKW); P("F_WRLCK", F_WRLCK); P("F_UNLCK", F_UNLCK);
          P("F_SETFL", F_SETFL); P("F_SETSIG", F_SETSIG); P("F_SETLEASE", F_SETLEASE); P("F_GETLEASE", F_GETLEASE); P("SIGURG", SIGURG);
          S(statfs); O(statfs, f_type); O(statfs, f_bsize); O(statfs, f_fsid); O(statfs, f_flags);
          P("FICLONERANGE", FICLONERANGE); P("FS_IOC_FIEMAP", FS_IOC_FIEMAP); P("FS_IOC_GETFLAGS", FS_IOC_GETFLAGS); P("XFS_IOC_EXCHANGE_RANGE", XFS_IOC_EXCHANGE_RANGE);
          P("FS_IMMUTABLE_FL", FS_IMMUTABLE_FL); P("FS_APPEND_FL", FS_APPEND_FL);
          P("FIEMAP_FLAG_SYNC", FIEMAP_FLAG_SYNC); P("FIEMAP_EXTENT_LAST", FIEMAP_EXTENT_LAST); P("FIEMAP_EXTENT_UNKNOWN", FIEMAP_EXTENT_UNKNOWN);
          P("FIEMAP_EXTENT_DELALLOC", FIEMAP_EXTENT_DELALLOC); P("FIEMAP_EXTENT_UNWRITTEN", FIEMAP_EXTENT_UNWRITTEN); P("FIEMAP_EXTENT_SHARED", FIEMAP_EXTENT_SHARED);
          P("FALLOC_FL_KEEP_SIZE", FALLOC_FL_KEEP_SIZE); P("FALLOC_FL_PUNCH_HOLE", FALLOC_FL_PUNCH_HOLE); P("FALLOC_FL_COLLAPSE_RANGE", FALLOC_FL_COLLAPSE_RANGE);
          P("FALLOC_FL_ZERO_RANGE", FALLOC_FL_ZERO_RANGE); P("FALLOC_FL_INSERT_RANGE", FALLOC_FL_INSERT_RANGE);
          P("SEEK_SET", SEEK_SET); P("SEEK_CUR", SEEK_CUR); P("SEEK_DATA", SEEK_DATA); P("SEEK_HOLE", SEEK_HOLE);
          P("O_ACCMODE", O_ACCMODE); P("O_RDWR", O_RDWR); P("O_WRONLY", O_WRONLY); P("O_APPEND", O_APPEND); P("O_TMPFILE", O_TMPFILE); P("O_CLOEXEC", O_CLOEXEC); P("F_GETFL", F_GETFL);
          P("AT_EMPTY_PATH", AT_EMPTY_PATH); P("AT_FDCWD", AT_FDCWD); P("STATX_BASIC_STATS", STATX_BASIC_STATS); P("STATX_BTIME", STATX_BTIME);
          P("O_CREAT", O_CREAT); P("O_EXCL", O_EXCL); P("O_DIRECTORY", O_DIRECTORY); P("O_DIRECT", O_DIRECT); P("XFS_IOC_GOINGDOWN", XFS_IOC_GOINGDOWN);
          P("SIGKILL", SIGKILL); P("EEXIST", EEXIST); P("ENOENT", ENOENT); P("EAGAIN", EAGAIN);
          P("STATX_ATTR_IMMUTABLE", STATX_ATTR_IMMUTABLE); P("STATX_ATTR_APPEND", STATX_ATTR_APPEND);
          return 0;
        }
        """;

    private static long Off<T>(string field) => Marshal.OffsetOf<T>(field).ToInt64();

    [Fact]
    public void StructsAndConstants_MatchTheCHeaders()
    {
        Dictionary<string, long> c = CProgram.Values(Program);
        var ours = new Dictionary<string, long>
        {
            ["sizeof file_clone_range"] = Marshal.SizeOf<Interop.FileCloneRange>(),
            ["offsetof file_clone_range.src_fd"] = Off<Interop.FileCloneRange>("SrcFd"),
            ["offsetof file_clone_range.src_offset"] = Off<Interop.FileCloneRange>("SrcOffset"),
            ["offsetof file_clone_range.src_length"] = Off<Interop.FileCloneRange>("SrcLength"),
            ["offsetof file_clone_range.dest_offset"] = Off<Interop.FileCloneRange>("DestOffset"),
            ["sizeof fiemap"] = Marshal.SizeOf<Interop.Fiemap>(),
            ["offsetof fiemap.fm_start"] = Off<Interop.Fiemap>("Start"),
            ["offsetof fiemap.fm_length"] = Off<Interop.Fiemap>("Length"),
            ["offsetof fiemap.fm_flags"] = Off<Interop.Fiemap>("Flags"),
            ["offsetof fiemap.fm_mapped_extents"] = Off<Interop.Fiemap>("MappedExtents"),
            ["offsetof fiemap.fm_extent_count"] = Off<Interop.Fiemap>("ExtentCount"),
            ["offsetof fiemap.fm_extents"] = Marshal.SizeOf<Interop.Fiemap>(),
            ["sizeof fiemap_extent"] = Marshal.SizeOf<Interop.FiemapExtent>(),
            ["offsetof fiemap_extent.fe_logical"] = Off<Interop.FiemapExtent>("Logical"),
            ["offsetof fiemap_extent.fe_physical"] = Off<Interop.FiemapExtent>("Physical"),
            ["offsetof fiemap_extent.fe_length"] = Off<Interop.FiemapExtent>("Length"),
            ["offsetof fiemap_extent.fe_flags"] = Off<Interop.FiemapExtent>("Flags"),
            ["sizeof xfs_exchange_range"] = Marshal.SizeOf<Interop.XfsExchangeRange>(),
            ["offsetof xfs_exchange_range.file1_fd"] = Off<Interop.XfsExchangeRange>("File1Fd"),
            ["offsetof xfs_exchange_range.file1_offset"] = Off<Interop.XfsExchangeRange>("File1Offset"),
            ["offsetof xfs_exchange_range.file2_offset"] = Off<Interop.XfsExchangeRange>("File2Offset"),
            ["offsetof xfs_exchange_range.length"] = Off<Interop.XfsExchangeRange>("Length"),
            ["offsetof xfs_exchange_range.flags"] = Off<Interop.XfsExchangeRange>("Flags"),
            ["sizeof file_dedupe_range"] = 24,
            ["offsetof file_dedupe_range.src_offset"] = Off<Interop.FileDedupeRangeOne>("SrcOffset"),
            ["offsetof file_dedupe_range.src_length"] = Off<Interop.FileDedupeRangeOne>("SrcLength"),
            ["offsetof file_dedupe_range.dest_count"] = Off<Interop.FileDedupeRangeOne>("DestCount"),
            ["offsetof file_dedupe_range.info"] = Off<Interop.FileDedupeRangeOne>("DestFd"),
            ["sizeof file_dedupe_range_info"] = Marshal.SizeOf<Interop.FileDedupeRangeOne>() - 24,
            ["offsetof file_dedupe_range_info.dest_fd"] = Off<Interop.FileDedupeRangeOne>("DestFd") - 24,
            ["offsetof file_dedupe_range_info.dest_offset"] = Off<Interop.FileDedupeRangeOne>("DestOffset") - 24,
            ["offsetof file_dedupe_range_info.bytes_deduped"] = Off<Interop.FileDedupeRangeOne>("BytesDeduped") - 24,
            ["offsetof file_dedupe_range_info.status"] = Off<Interop.FileDedupeRangeOne>("Status") - 24,
            ["FIDEDUPERANGE"] = (long)Interop.FIDEDUPERANGE,
            ["FILE_DEDUPE_RANGE_DIFFERS"] = Interop.FILE_DEDUPE_RANGE_DIFFERS,
            ["sizeof move_extent"] = Marshal.SizeOf<Interop.MoveExtent>(),
            ["offsetof move_extent.donor_fd"] = Off<Interop.MoveExtent>("DonorFd"),
            ["offsetof move_extent.orig_start"] = Off<Interop.MoveExtent>("OrigStart"),
            ["offsetof move_extent.donor_start"] = Off<Interop.MoveExtent>("DonorStart"),
            ["offsetof move_extent.len"] = Off<Interop.MoveExtent>("Len"),
            ["offsetof move_extent.moved_len"] = Off<Interop.MoveExtent>("MovedLen"),
            ["EXT4_IOC_MOVE_EXT"] = (long)Interop.EXT4_IOC_MOVE_EXT,
            ["sizeof btrfs_ioctl_defrag_range_args"] = Marshal.SizeOf<Interop.BtrfsDefragRangeArgs>(),
            ["offsetof btrfs_ioctl_defrag_range_args.start"] = Off<Interop.BtrfsDefragRangeArgs>("Start"),
            ["offsetof btrfs_ioctl_defrag_range_args.len"] = Off<Interop.BtrfsDefragRangeArgs>("Len"),
            ["offsetof btrfs_ioctl_defrag_range_args.flags"] = Off<Interop.BtrfsDefragRangeArgs>("Flags"),
            ["offsetof btrfs_ioctl_defrag_range_args.extent_thresh"] = Off<Interop.BtrfsDefragRangeArgs>("ExtentThresh"),
            ["offsetof btrfs_ioctl_defrag_range_args.compress_type"] = Off<Interop.BtrfsDefragRangeArgs>("CompressType"),
            ["BTRFS_IOC_DEFRAG_RANGE"] = (long)Interop.BTRFS_IOC_DEFRAG_RANGE,
            ["sizeof xfs_commit_range"] = Marshal.SizeOf<Interop.XfsCommitRange>(),
            ["offsetof xfs_commit_range.file1_fd"] = Off<Interop.XfsCommitRange>("File1Fd"),
            ["offsetof xfs_commit_range.file1_offset"] = Off<Interop.XfsCommitRange>("File1Offset"),
            ["offsetof xfs_commit_range.file2_offset"] = Off<Interop.XfsCommitRange>("File2Offset"),
            ["offsetof xfs_commit_range.length"] = Off<Interop.XfsCommitRange>("Length"),
            ["offsetof xfs_commit_range.flags"] = Off<Interop.XfsCommitRange>("Flags"),
            ["offsetof xfs_commit_range.file2_freshness"] = Off<Interop.XfsCommitRange>("File2Freshness"),
            ["XFS_IOC_START_COMMIT"] = (long)Interop.XFS_IOC_START_COMMIT,
            ["XFS_IOC_COMMIT_RANGE"] = (long)Interop.XFS_IOC_COMMIT_RANGE,
            ["XFS_IOC_FSGEOMETRY"] = (long)Interop.XFS_IOC_FSGEOMETRY,
            ["offsetof xfs_fsop_geom_head.agblocks"] = Off<Interop.XfsFsopGeom>("AgBlocks"),
            ["POSIX_FADV_DONTNEED"] = Interop.POSIX_FADV_DONTNEED,
            ["ENODATA"] = Interop.ENODATA,
            ["EBUSY"] = Interop.EBUSY,
            ["sizeof statx"] = Marshal.SizeOf<Interop.Statx>(),
            ["offsetof statx.stx_blksize"] = Off<Interop.Statx>("Blksize"),
            ["offsetof statx.stx_attributes"] = Off<Interop.Statx>("Attributes"),
            ["offsetof statx.stx_mode"] = Off<Interop.Statx>("Mode"),
            ["offsetof statx.stx_ino"] = Off<Interop.Statx>("Ino"),
            ["offsetof statx.stx_size"] = Off<Interop.Statx>("Size"),
            ["offsetof statx.stx_btime"] = Off<Interop.Statx>("Btime"),
            ["offsetof statx.stx_ctime"] = Off<Interop.Statx>("Ctime"),
            ["offsetof statx.stx_dev_major"] = Off<Interop.Statx>("DevMajor"),
            ["offsetof statx.stx_dev_minor"] = Off<Interop.Statx>("DevMinor"),
            ["offsetof statx.stx_mnt_id"] = Off<Interop.Statx>("MntId"),
            ["sizeof flock"] = Marshal.SizeOf<Interop.Flock>(),
            ["offsetof flock.l_type"] = Off<Interop.Flock>("Type"),
            ["offsetof flock.l_whence"] = Off<Interop.Flock>("Whence"),
            ["offsetof flock.l_start"] = Off<Interop.Flock>("Start"),
            ["offsetof flock.l_len"] = Off<Interop.Flock>("Len"),
            ["offsetof flock.l_pid"] = Off<Interop.Flock>("Pid"),
            ["F_OFD_SETLK"] = Interop.F_OFD_SETLK,
            ["F_OFD_SETLKW"] = Interop.F_OFD_SETLKW,
            ["F_WRLCK"] = Interop.F_WRLCK,
            ["F_UNLCK"] = Interop.F_UNLCK,
            ["sizeof statfs"] = Marshal.SizeOf<Interop.StatFs>(),
            ["offsetof statfs.f_type"] = Off<Interop.StatFs>("Type"),
            ["offsetof statfs.f_bsize"] = Off<Interop.StatFs>("Bsize"),
            ["offsetof statfs.f_fsid"] = Off<Interop.StatFs>("Fsid"),
            ["offsetof statfs.f_flags"] = Off<Interop.StatFs>("Flags"),
            ["FICLONERANGE"] = (long)Interop.FICLONERANGE,
            ["FS_IOC_FIEMAP"] = (long)Interop.FS_IOC_FIEMAP,
            ["FS_IOC_GETFLAGS"] = (long)Interop.FS_IOC_GETFLAGS,
            ["XFS_IOC_EXCHANGE_RANGE"] = (long)Interop.XFS_IOC_EXCHANGE_RANGE,
            ["FS_IMMUTABLE_FL"] = Interop.FS_IMMUTABLE_FL,
            ["FS_APPEND_FL"] = Interop.FS_APPEND_FL,
            ["FIEMAP_FLAG_SYNC"] = Interop.FIEMAP_FLAG_SYNC,
            ["FIEMAP_EXTENT_LAST"] = Interop.FIEMAP_EXTENT_LAST,
            ["FIEMAP_EXTENT_UNKNOWN"] = Interop.FIEMAP_EXTENT_UNKNOWN,
            ["FIEMAP_EXTENT_DELALLOC"] = Interop.FIEMAP_EXTENT_DELALLOC,
            ["FIEMAP_EXTENT_UNWRITTEN"] = Interop.FIEMAP_EXTENT_UNWRITTEN,
            ["FIEMAP_EXTENT_SHARED"] = Interop.FIEMAP_EXTENT_SHARED,
            ["FALLOC_FL_KEEP_SIZE"] = Interop.FALLOC_FL_KEEP_SIZE,
            ["FALLOC_FL_PUNCH_HOLE"] = Interop.FALLOC_FL_PUNCH_HOLE,
            ["FALLOC_FL_COLLAPSE_RANGE"] = Interop.FALLOC_FL_COLLAPSE_RANGE,
            ["FALLOC_FL_ZERO_RANGE"] = Interop.FALLOC_FL_ZERO_RANGE,
            ["FALLOC_FL_INSERT_RANGE"] = Interop.FALLOC_FL_INSERT_RANGE,
            ["SEEK_SET"] = Interop.SEEK_SET,
            ["SEEK_CUR"] = Interop.SEEK_CUR,
            ["SEEK_DATA"] = Interop.SEEK_DATA,
            ["SEEK_HOLE"] = Interop.SEEK_HOLE,
            ["O_ACCMODE"] = Interop.O_ACCMODE,
            ["O_RDWR"] = Interop.O_RDWR,
            ["O_WRONLY"] = Interop.O_WRONLY,
            ["O_APPEND"] = Interop.O_APPEND,
            ["O_TMPFILE"] = Interop.O_TMPFILE,
            ["O_CLOEXEC"] = Interop.O_CLOEXEC,
            ["F_GETFL"] = Interop.F_GETFL,
            ["F_SETFL"] = Interop.F_SETFL,
            ["F_SETSIG"] = Interop.F_SETSIG,
            ["F_SETLEASE"] = Interop.F_SETLEASE,
            ["F_GETLEASE"] = Interop.F_GETLEASE,
            ["SIGURG"] = Interop.SIGURG,
            ["AT_EMPTY_PATH"] = Interop.AT_EMPTY_PATH,
            ["AT_FDCWD"] = Interop.AT_FDCWD,
            ["STATX_BASIC_STATS"] = Interop.STATX_BASIC_STATS,
            ["STATX_BTIME"] = Interop.STATX_BTIME,
            ["O_CREAT"] = Interop.O_CREAT,
            ["O_EXCL"] = Interop.O_EXCL,
            ["O_DIRECTORY"] = Interop.O_DIRECTORY,
            ["O_DIRECT"] = Interop.O_DIRECT,
            ["XFS_IOC_GOINGDOWN"] = (long)Interop.XFS_IOC_GOINGDOWN,
            ["SIGKILL"] = Interop.SIGKILL,
            ["EEXIST"] = Interop.EEXIST,
            ["ENOENT"] = Interop.ENOENT,
            ["EAGAIN"] = Interop.EAGAIN,
            ["STATX_ATTR_IMMUTABLE"] = (long)Interop.STATX_ATTR_IMMUTABLE,
            ["STATX_ATTR_APPEND"] = (long)Interop.STATX_ATTR_APPEND,
        };
        CProgram.AssertSame(c, ours, "the C headers", "MovData");
    }

    [Fact]
    public void Errno_MapsToTheDocumentedExceptions()
    {
        Assert.IsType<UnauthorizedAccessException>(Interop.GetExceptionForErrno(Interop.EPERM, "x"));
        Assert.IsType<UnauthorizedAccessException>(Interop.GetExceptionForErrno(Interop.EACCES, "x"));
        Assert.IsType<FileNotFoundException>(Interop.GetExceptionForErrno(Interop.ENOENT, "x"));
        Assert.IsType<FileSystemNotSupportedException>(Interop.GetExceptionForErrno(Interop.EOPNOTSUPP, "x"));
        Assert.IsType<FileSystemNotSupportedException>(Interop.GetExceptionForErrno(Interop.ENOTTY, "x"));
        Assert.IsType<FileSystemNotSupportedException>(Interop.GetExceptionForErrno(Interop.EXDEV, "x"));
        Exception nospc = Interop.GetExceptionForErrno(Interop.ENOSPC, "copy_file_range");
        Assert.IsType<IOException>(nospc);
        Assert.Equal(Interop.ENOSPC, nospc.HResult);
        Assert.Contains("ENOSPC", nospc.Message, StringComparison.Ordinal);
        Assert.Contains("copy_file_range", nospc.Message, StringComparison.Ordinal);
    }
}
