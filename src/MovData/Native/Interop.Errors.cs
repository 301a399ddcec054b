using System.Runtime.InteropServices;

namespace MovData.Native;

/// <summary>
/// The one place where an errno becomes an exception (modelled on dotnet/runtime's
/// Interop.GetExceptionForIoErrno). Every native call captures errno immediately after the
/// call, before anything else can overwrite it, and hands it here.
/// </summary>
internal static partial class Interop
{
    internal const int EPERM = 1;
    internal const int ENOENT = 2;
    internal const int EINTR = 4;
    internal const int EIO = 5;
    internal const int ENXIO = 6;
    internal const int EBADF = 9;
    internal const int EAGAIN = 11;
    internal const int EACCES = 13;
    internal const int EBUSY = 16;
    internal const int EEXIST = 17;
    internal const int EXDEV = 18;
    internal const int EISDIR = 21;
    internal const int EINVAL = 22;
    internal const int ETXTBSY = 26;
    internal const int ENOTTY = 25;
    internal const int EFBIG = 27;
    internal const int ENOSPC = 28;
    internal const int ESPIPE = 29;
    internal const int EROFS = 30;
    internal const int ENOSYS = 38;
    internal const int EOVERFLOW = 75;
    internal const int EOPNOTSUPP = 95;
    internal const int EDQUOT = 122;
    internal const int ECANCELED = 125;

    /// <summary>errno of the last P/Invoke on this thread; read it right after the call.</summary>
    internal static int LastErrno => Marshal.GetLastPInvokeError();

    /// <summary>True for the answers that mean "this filesystem (or pair of files) cannot do
    /// that", as opposed to a real failure: the only answers a mechanism may fall back on.</summary>
    internal static bool IsNotSupported(int errno) =>
        errno is EOPNOTSUPP or ENOTTY or EXDEV or ENOSYS;

    internal static string ErrnoName(int errno) => errno switch
    {
        EPERM => "EPERM",
        ENOENT => "ENOENT",
        EINTR => "EINTR",
        EIO => "EIO",
        ENXIO => "ENXIO",
        EBADF => "EBADF",
        EAGAIN => "EAGAIN",
        EACCES => "EACCES",
        EBUSY => "EBUSY",
        EEXIST => "EEXIST",
        EXDEV => "EXDEV",
        EISDIR => "EISDIR",
        EINVAL => "EINVAL",
        ETXTBSY => "ETXTBSY",
        ENOTTY => "ENOTTY",
        EFBIG => "EFBIG",
        ENOSPC => "ENOSPC",
        ESPIPE => "ESPIPE",
        EROFS => "EROFS",
        ENOSYS => "ENOSYS",
        ENODATA => "ENODATA",
        EOVERFLOW => "EOVERFLOW",
        EOPNOTSUPP => "EOPNOTSUPP",
        ECANCELED => "ECANCELED",
        EDQUOT => "EDQUOT",
        _ => $"errno {errno}",
    };

    /// <summary>Maps errno to the exception a .NET caller expects; <paramref name="what"/>
    /// names the call and the file so the message alone says what failed.</summary>
    internal static Exception GetExceptionForErrno(int errno, string what)
    {
        string message = $"{what}: {ErrnoName(errno)} ({Marshal.GetPInvokeErrorMessage(errno)})";
        return errno switch
        {
            EACCES or EPERM or EROFS => new UnauthorizedAccessException(message, new IOException(message, errno)),
            ENOENT => new FileNotFoundException(message),
            EOPNOTSUPP or ENOTTY or EXDEV or ENOSYS => new FileSystemNotSupportedException(message, errno),
            _ => new IOException(message, errno),
        };
    }

    internal static Exception LastError(string what) => GetExceptionForErrno(LastErrno, what);

    /// <summary>The one errno check: nothing for 0, else the mapped exception.</summary>
    internal static void ThrowIfFailed(int errno, string what)
    {
        if (errno != 0)
        {
            throw GetExceptionForErrno(errno, what);
        }
    }

    /// <summary>
    /// The one EINTR rule: makes <paramref name="call"/>, a syscall that returns -1 and sets
    /// errno when it fails, again for as long as a signal interrupts it. Returns its result;
    /// <paramref name="errno"/> is 0, or why it failed. (The marshaller saved errno when the
    /// syscall returned, so the managed code between it and here cannot overwrite it.)
    /// </summary>
    internal static nint Retrying(Func<nint> call, out int errno)
    {
        while (true)
        {
            nint result = call();
            errno = result < 0 ? LastErrno : 0;
            if (errno != EINTR)
            {
                return result;
            }
        }
    }

    /// <summary><see cref="Retrying(Func{nint}, out int)"/> for a call that only succeeds or
    /// fails: returns 0 or errno.</summary>
    internal static int Retrying(Func<int> call)
    {
        Retrying(() => call(), out int errno);
        return errno;
    }
}
