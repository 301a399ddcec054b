using Microsoft.Win32.SafeHandles;
using System.Runtime.InteropServices;

namespace MovData.Native;

internal static partial class Interop
{
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
        while (fcntl_lock(fd, locked ? F_OFD_SETLKW : F_OFD_SETLK, &lk) != 0)
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
