using Microsoft.Win32.SafeHandles;
using MovData.Native;

namespace MovData.Operations;

/// <summary>What a full filesystem looks like to the layers above: an error whose errno is
/// ENOSPC (or EDQUOT, a quota's), so that their messages can say to make room.</summary>
internal static class FreeSpace
{
    /// <summary>The bytes an unprivileged writer may still use on the filesystem of
    /// <paramref name="file"/> (statfs f_bavail times f_bsize).</summary>
    internal static long Available(SafeFileHandle file)
    {
        Interop.ThrowIfFailed(Interop.FStatFs(file, out Interop.StatFs fs), "fstatfs of the file");
        return (long)fs.Bavail * fs.Bsize;
    }

    /// <summary>Throws ENOSPC (an IOException) with <paramref name="message"/> of the free
    /// bytes where fewer than <paramref name="needed"/> are free on the file's filesystem.</summary>
    internal static void Require(SafeFileHandle file, long needed, Func<long, string> message)
    {
        long free = Available(file);
        if (free < needed)
        {
            throw new IOException(message(free), Interop.ENOSPC);
        }
    }

    /// <summary>Whether <paramref name="e"/>, or what it wraps, is ENOSPC or EDQUOT.</summary>
    internal static bool Exhausted(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is IOException { HResult: Interop.ENOSPC or Interop.EDQUOT })
            {
                return true;
            }
        }
        return false;
    }
}
