using Microsoft.Win32.SafeHandles;
using System.Runtime.InteropServices;

namespace MovData.Native;

internal static partial class Interop
{
    internal const int F_GETFL = 3;
    internal const int F_SETFL = 4;

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

    // fcntl(2) is variadic; with an int third argument it is called as a fixed one.
    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int fcntl_int(SafeFileHandle fd, int cmd, int arg);

    /// <summary>F_SETFL: the handle's status flags (O_APPEND, O_DIRECT, O_NONBLOCK; the access
    /// mode is kept whatever is passed). Returns 0 or errno.</summary>
    internal static int SetStatusFlags(SafeFileHandle fd, int flags) => fcntl_int(fd, F_SETFL, flags) < 0 ? LastErrno : 0;

    // Open file description locks (Linux 3.15+): owned by the open file, not the process, so
    // two handles in one process exclude each other as two processes do.
    internal const int F_OFD_SETLK = 37;
    internal const int F_OFD_SETLKW = 38;

    internal const short F_WRLCK = 1;
    internal const short F_UNLCK = 2;

    /// <summary>struct flock { short l_type; short l_whence; off_t l_start; off_t l_len; pid_t l_pid; };</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Flock
    {
        internal short Type;
        internal short Whence;
        internal long Start;
        internal long Len;
        internal int Pid;
    }

    // fcntl(2) is variadic; with a pointer third argument it is called as a fixed one.
    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static unsafe partial int fcntl_lock(SafeFileHandle fd, int cmd, Flock* lk);

    /// <summary>Takes (waiting) or drops an OFD write lock on [start, start+length). EINTR
    /// retried. Returns 0 or errno.</summary>
    internal static unsafe int LockRange(SafeFileHandle fd, long start, long length, bool locked)
    {
        var lk = new Flock { Type = locked ? F_WRLCK : F_UNLCK, Whence = (short)SEEK_SET, Start = start, Len = length };
        nint at = (nint)(&lk);
        return Retrying(() => fcntl_lock(fd, locked ? F_OFD_SETLKW : F_OFD_SETLK, (Flock*)at));
    }

    /// <summary>Tries to take an OFD write lock on the whole file without waiting. Returns 0,
    /// EAGAIN if another open file description holds a lock on it, or another errno.</summary>
    internal static unsafe int TryLockWholeFile(SafeFileHandle fd)
    {
        var lk = new Flock { Type = F_WRLCK, Whence = (short)SEEK_SET, Start = 0, Len = 0 };
        nint at = (nint)(&lk);
        int errno = Retrying(() => fcntl_lock(fd, F_OFD_SETLK, (Flock*)at));
        return errno == EACCES ? EAGAIN : errno; // POSIX allows either for "held"
    }
}
