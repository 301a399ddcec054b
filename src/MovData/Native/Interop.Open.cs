using Microsoft.Win32.SafeHandles;
using System.Runtime.InteropServices;

namespace MovData.Native;

internal static partial class Interop
{
    internal const int O_CLOEXEC = 0x80000;
    internal const int O_TMPFILE = 0x410000; // __O_TMPFILE | O_DIRECTORY

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags, int mode);

    /// <summary>
    /// An unnamed read-write file in <paramref name="directory"/> (O_TMPFILE): it lives on that
    /// filesystem and vanishes when closed, whatever happens to the process. Returns 0 or errno.
    /// </summary>
    internal static int OpenTempFile(string directory, out SafeFileHandle handle)
    {
        while (true)
        {
            int fd = open(directory, O_TMPFILE | O_RDWR | O_CLOEXEC, Convert.ToInt32("600", 8));
            if (fd >= 0)
            {
                handle = new SafeFileHandle(fd, ownsHandle: true);
                return 0;
            }
            int errno = LastErrno;
            if (errno != EINTR)
            {
                handle = new SafeFileHandle();
                return errno;
            }
        }
    }
}
