using Microsoft.Win32.SafeHandles;
using System.Runtime.InteropServices;

namespace MovData.Native;

internal static partial class Interop
{
    internal const int F_GETFL = 3;

    internal const int O_ACCMODE = 0x3;
    internal const int O_RDONLY = 0x0;
    internal const int O_WRONLY = 0x1;
    internal const int O_RDWR = 0x2;
    internal const int O_APPEND = 0x400;

    // fcntl(2) is variadic; F_GETFL takes no third argument.
    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int fcntl(SafeFileHandle fd, int cmd);

    /// <summary>The open flags of a handle (access mode, O_APPEND). Returns 0 or errno.</summary>
    internal static int GetStatusFlags(SafeFileHandle fd, out int flags)
    {
        flags = fcntl(fd, F_GETFL);
        return flags < 0 ? LastErrno : 0;
    }
}
