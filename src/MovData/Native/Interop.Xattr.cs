using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace MovData.Native;

internal static partial class Interop
{
    internal const int ENODATA = 61;
    internal const int ERANGE = 34;

    [LibraryImport("libc", EntryPoint = "fsetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int fsetxattr(SafeFileHandle fd, string name, byte* value, nuint size, int flags);

    [LibraryImport("libc", EntryPoint = "fgetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial nint fgetxattr(SafeFileHandle fd, string name, byte* value, nuint size);

    /// <summary>Sets extended attribute <paramref name="name"/> (create or replace). Returns 0 or errno.</summary>
    internal static unsafe int SetXattr(SafeFileHandle fd, string name, ReadOnlySpan<byte> value)
    {
        fixed (byte* p = value)
        {
            return fsetxattr(fd, name, p, (nuint)value.Length, 0) == 0 ? 0 : LastErrno;
        }
    }

    /// <summary>Reads extended attribute <paramref name="name"/>. Returns 0, ENODATA when it is
    /// not there, or another errno.</summary>
    internal static unsafe int GetXattr(SafeFileHandle fd, string name, out byte[] value)
    {
        value = [];
        for (int size = 4096; size <= 1 << 16; size *= 4)
        {
            byte[] buffer = new byte[size];
            fixed (byte* p = buffer)
            {
                nint n = fgetxattr(fd, name, p, (nuint)size);
                if (n >= 0)
                {
                    value = buffer[..(int)n];
                    return 0;
                }
            }
            int errno = LastErrno;
            if (errno != ERANGE)
            {
                return errno;
            }
        }
        return ERANGE;
    }
}
