using Microsoft.Win32.SafeHandles;

namespace MovData.Native;

internal static partial class Interop
{
    internal const int F_SETSIG = 10;
    internal const int F_SETLEASE = 1024;
    internal const int F_GETLEASE = 1025;

    /// <summary>Default action: ignored. The signal a lease break is told by, so that no
    /// handler is needed and nothing dies of it (SIGIO, the default, terminates).</summary>
    internal const int SIGURG = 23;

    /// <summary>
    /// F_SETSIG to SIGURG, then F_SETLEASE F_WRLCK: while it is held, any other open of the
    /// file (and truncate by name) waits until the lease is dropped, or until
    /// /proc/sys/fs/lease-break-time seconds pass. Granted only if no other open file
    /// description has the file open at all. Returns 0, EAGAIN (another open), EACCES (not
    /// the owner, no CAP_LEASE) or another errno (EINVAL: leases disabled here).
    /// </summary>
    internal static int TakeWriteLease(SafeFileHandle fd)
    {
        if (fcntl_int(fd, F_SETSIG, SIGURG) < 0)
        {
            return LastErrno;
        }
        return fcntl_int(fd, F_SETLEASE, F_WRLCK) < 0 ? LastErrno : 0;
    }

    /// <summary>F_GETLEASE: F_WRLCK while the write lease is held and unbroken; F_RDLCK (0) or
    /// F_UNLCK once another open is waiting for it (or the kernel took it back). Returns
    /// the type, or -1.</summary>
    internal static int LeaseHeld(SafeFileHandle fd) => fcntl(fd, F_GETLEASE);

    /// <summary>F_SETLEASE F_UNLCK and F_SETSIG back to 0 (SIGIO). Returns 0 or errno.</summary>
    internal static int DropLease(SafeFileHandle fd)
    {
        int errno = fcntl_int(fd, F_SETLEASE, F_UNLCK) < 0 ? LastErrno : 0;
        _ = fcntl_int(fd, F_SETSIG, 0);
        return errno;
    }
}
