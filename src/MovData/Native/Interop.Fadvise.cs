using Microsoft.Win32.SafeHandles;
using System.Runtime.InteropServices;

namespace MovData.Native;

internal static partial class Interop
{
    internal const int POSIX_FADV_WILLNEED = 3;
    internal const int POSIX_FADV_DONTNEED = 4;

    [LibraryImport("libc", EntryPoint = "posix_fadvise")]
    private static partial int posix_fadvise(SafeFileHandle fd, long offset, long length, int advice);

    /// <summary>posix_fadvise(POSIX_FADV_DONTNEED) over the whole file: drop its clean cached
    /// pages. Returns 0 or errno (posix_fadvise returns it; it does not set errno).</summary>
    internal static int DropCachedPages(SafeFileHandle fd) => posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);

    /// <summary>posix_fadvise(POSIX_FADV_DONTNEED) over [offset, +length): drop the range's
    /// clean cached pages. Returns 0 or errno.</summary>
    internal static int DropCachedPages(SafeFileHandle fd, long offset, long length) => posix_fadvise(fd, offset, length, POSIX_FADV_DONTNEED);

    /// <summary>Bytes asked of one WILLNEED: the kernel reads no more than the device's
    /// readahead window a call (read_ahead_kb, 128 KiB to a few MiB), whatever the length.</summary>
    private const long PrefetchStep = 1L << 20;

    /// <summary>posix_fadvise(POSIX_FADV_WILLNEED): start reading [offset, +length) into the
    /// page cache now, without waiting, one <see cref="PrefetchStep"/> a call so that all of
    /// it is read. Only a hint; returns 0 or the first errno.</summary>
    internal static int Prefetch(SafeFileHandle fd, long offset, long length)
    {
        for (long at = offset; at < offset + length; at += PrefetchStep)
        {
            int errno = posix_fadvise(fd, at, Math.Min(PrefetchStep, offset + length - at), POSIX_FADV_WILLNEED);
            if (errno != 0)
            {
                return errno;
            }
        }
        return 0;
    }
}
