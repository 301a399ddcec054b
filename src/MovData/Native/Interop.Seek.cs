using Microsoft.Win32.SafeHandles;
using System.Runtime.InteropServices;

namespace MovData.Native;

internal static partial class Interop
{
    internal const int SEEK_SET = 0;
    internal const int SEEK_CUR = 1;
    internal const int SEEK_DATA = 3;
    internal const int SEEK_HOLE = 4;

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial long lseek(SafeFileHandle fd, long offset, int whence);

    /// <summary>
    /// lseek(2) with SEEK_DATA or SEEK_HOLE. Returns the offset found, or -1 with errno:
    /// ENXIO means "no more data" (SEEK_DATA) or offset at/after end of file.
    /// The fd's file position moves; MovData never reads or writes through the position.
    /// </summary>
    internal static long Seek(SafeFileHandle fd, long offset, int whence, out int errno)
    {
        long result = lseek(fd, offset, whence);
        errno = result < 0 ? LastErrno : 0;
        return result;
    }
}
