using Microsoft.Win32.SafeHandles;
using System.Runtime.InteropServices;

namespace MovData.Native;

internal static partial class Interop
{
    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int fsync(SafeFileHandle fd);

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int fdatasync(SafeFileHandle fd);

    internal const uint SYNC_FILE_RANGE_WAIT_BEFORE = 1;
    internal const uint SYNC_FILE_RANGE_WRITE = 2;
    internal const uint SYNC_FILE_RANGE_WAIT_AFTER = 4;

    [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static partial int sync_file_range(SafeFileHandle fd, long offset, long nbytes, uint flags);

    /// <summary>
    /// sync_file_range(SYNC_FILE_RANGE_WRITE): start writing back a range without waiting, so
    /// that a later fdatasync finds little left to do. Only a hint for durability (it neither
    /// waits nor flushes metadata); returns 0 or errno.
    /// </summary>
    internal static int StartWriteback(SafeFileHandle fd, long offset, long length) =>
        sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE) == 0 ? 0 : LastErrno;

    /// <summary>
    /// sync_file_range(WAIT_BEFORE | WRITE | WAIT_AFTER): write back a range's dirty pages and
    /// wait until they are written, so that they can be dropped from the cache. Not durability
    /// (no metadata, no device flush); returns 0 or errno.
    /// </summary>
    internal static int WriteBack(SafeFileHandle fd, long offset, long length) =>
        sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER) == 0 ? 0 : LastErrno;

    /// <summary>fsync(2), EINTR retried. Returns 0 or errno.</summary>
    internal static int FSync(SafeFileHandle fd) => Retrying(() => fsync(fd));

    /// <summary>fdatasync(2), EINTR retried. Returns 0 or errno.</summary>
    internal static int FDataSync(SafeFileHandle fd) => Retrying(() => fdatasync(fd));
}
