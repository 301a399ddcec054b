using Microsoft.Win32.SafeHandles;
using System.Runtime.InteropServices;

namespace MovData.Native;

internal static partial class Interop
{
    // ioctl(2) is variadic in C; on Linux x86-64 and arm64 a pointer third argument is passed
    // exactly as in a fixed-argument call, so one non-variadic declaration serves every request.
    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static unsafe partial int ioctl(SafeFileHandle fd, nuint request, void* arg);

    /// <summary>ioctl(2) with a pointer argument, EINTR retried. Returns 0 or errno.</summary>
    internal static unsafe int Ioctl(SafeFileHandle fd, nuint request, void* arg)
    {
        nint at = (nint)arg;
        return Retrying(() => ioctl(fd, request, (void*)at));
    }
}
