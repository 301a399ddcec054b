using Microsoft.Win32.SafeHandles;
using System.Runtime.InteropServices;

namespace MovData.Native;

internal static partial class Interop
{
    // <linux/falloc.h>
    internal const int FALLOC_FL_KEEP_SIZE = 0x01;
    internal const int FALLOC_FL_PUNCH_HOLE = 0x02;
    internal const int FALLOC_FL_COLLAPSE_RANGE = 0x08;
    internal const int FALLOC_FL_ZERO_RANGE = 0x10;
    internal const int FALLOC_FL_INSERT_RANGE = 0x20;

    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    private static partial int fallocate(SafeFileHandle fd, int mode, long offset, long len);

    /// <summary>fallocate(2), EINTR retried. Returns 0 or errno.</summary>
    internal static int Fallocate(SafeFileHandle fd, int mode, long offset, long length) => Retrying(() => fallocate(fd, mode, offset, length));
}
