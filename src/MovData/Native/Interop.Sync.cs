using Microsoft.Win32.SafeHandles;
using System.Runtime.InteropServices;

namespace MovData.Native;

internal static partial class Interop
{
    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int fsync(SafeFileHandle fd);

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int fdatasync(SafeFileHandle fd);

    /// <summary>fsync(2), EINTR retried. Returns 0 or errno.</summary>
    internal static int FSync(SafeFileHandle fd)
    {
        while (fsync(fd) != 0)
        {
            int errno = LastErrno;
            if (errno != EINTR)
            {
                return errno;
            }
        }
        return 0;
    }

    /// <summary>fdatasync(2), EINTR retried. Returns 0 or errno.</summary>
    internal static int FDataSync(SafeFileHandle fd)
    {
        while (fdatasync(fd) != 0)
        {
            int errno = LastErrno;
            if (errno != EINTR)
            {
                return errno;
            }
        }
        return 0;
    }
}
