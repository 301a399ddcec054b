using Microsoft.Win32.SafeHandles;
using System.Runtime.InteropServices;

namespace MovData.Native;

internal static partial class Interop
{
    // statx(2) rather than fstat(2): its struct has one layout on every architecture.
    internal const int AT_EMPTY_PATH = 0x1000;
    internal const uint STATX_BASIC_STATS = 0x07ff;
    internal const uint STATX_BTIME = 0x0800;

    /// <summary>Linux 6.8+: stx_mnt_id is a mount's unique, never reused 64-bit id.</summary>
    internal const uint STATX_MNT_ID_UNIQUE = 0x4000;

    internal const ulong STATX_ATTR_IMMUTABLE = 0x00000010;
    internal const ulong STATX_ATTR_APPEND = 0x00000020;

    internal const int S_IFMT = 0xF000;
    internal const int S_IFREG = 0x8000;
    internal const int S_IFDIR = 0x4000;

    /// <summary>struct statx_timestamp { __s64 tv_sec; __u32 tv_nsec; __s32 __reserved; };</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct StatxTimestamp
    {
        internal long Sec;
        internal uint Nsec;
        internal int Reserved;
    }

    /// <summary>struct statx (256 bytes): the fields MovData reads, then the spare tail.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 256)]
    internal struct Statx
    {
        internal uint Mask;
        internal uint Blksize;
        internal ulong Attributes;
        internal uint Nlink;
        internal uint Uid;
        internal uint Gid;
        internal ushort Mode;
        internal ushort Spare0;
        internal ulong Ino;
        internal ulong Size;
        internal ulong Blocks;
        internal ulong AttributesMask;
        internal StatxTimestamp Atime;
        internal StatxTimestamp Btime;
        internal StatxTimestamp Ctime;
        internal StatxTimestamp Mtime;
        internal uint RdevMajor;
        internal uint RdevMinor;
        internal uint DevMajor;
        internal uint DevMinor;
        internal ulong MntId;
    }

    /// <summary>
    /// struct statfs on 64-bit Linux: __fsword_t f_type, f_bsize; fsblkcnt_t f_blocks, f_bfree,
    /// f_bavail; fsfilcnt_t f_files, f_ffree; fsid_t f_fsid; __fsword_t f_namelen, f_frsize,
    /// f_flags, f_spare[4];
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct StatFs
    {
        internal long Type;
        internal long Bsize;
        internal ulong Blocks;
        internal ulong Bfree;
        internal ulong Bavail;
        internal ulong Files;
        internal ulong Ffree;
        internal ulong Fsid;
        internal long Namelen;
        internal long Frsize;
        internal long Flags;
        internal fixed long Spare[4];
    }

    internal const long ST_RDONLY = 0x0001;

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(SafeFileHandle dirfd, string path, int flags, uint mask, out Statx buf);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx_path(int dirfd, string path, int flags, uint mask, out Statx buf);

    [LibraryImport("libc", EntryPoint = "statfs", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statfs(string path, out StatFs buf);

    [LibraryImport("libc", EntryPoint = "fstatfs", SetLastError = true)]
    private static partial int fstatfs(SafeFileHandle fd, out StatFs buf);

    /// <summary>statx of an open file. Returns 0 or errno.</summary>
    internal static int FStatx(SafeFileHandle fd, out Statx buf) =>
        statx(fd, string.Empty, AT_EMPTY_PATH, STATX_BASIC_STATS | STATX_BTIME | STATX_MNT_ID_UNIQUE, out buf) == 0 ? 0 : LastErrno;

    internal const int AT_FDCWD = -100;

    /// <summary>statx of a path (following symlinks). Returns 0 or errno.</summary>
    internal static int StatxPath(string path, out Statx buf) =>
        statx_path(AT_FDCWD, path, 0, STATX_BASIC_STATS | STATX_BTIME | STATX_MNT_ID_UNIQUE, out buf) == 0 ? 0 : LastErrno;

    /// <summary>statfs(2) of a path. Returns 0 or errno.</summary>
    internal static int StatFsPath(string path, out StatFs buf) =>
        statfs(path, out buf) == 0 ? 0 : LastErrno;

    /// <summary>fstatfs(2). Returns 0 or errno.</summary>
    internal static int FStatFs(SafeFileHandle fd, out StatFs buf) =>
        fstatfs(fd, out buf) == 0 ? 0 : LastErrno;
}
