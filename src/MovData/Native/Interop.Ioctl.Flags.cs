using Microsoft.Win32.SafeHandles;

namespace MovData.Native;

internal static partial class Interop
{
    // The kernel reads and writes an int here, whatever the macro's type says.
    internal const nuint FS_IOC_GETFLAGS = 0x80086601; // _IOR('f', 1, long)

    internal const int FS_IMMUTABLE_FL = 0x00000010;
    internal const int FS_APPEND_FL = 0x00000020;

    /// <summary>FS_IOC_GETFLAGS (the chattr attributes). Returns 0 or errno.</summary>
    internal static unsafe int GetInodeFlags(SafeFileHandle fd, out int flags)
    {
        int value = 0;
        int errno = Ioctl(fd, FS_IOC_GETFLAGS, &value);
        flags = value;
        return errno;
    }
}
