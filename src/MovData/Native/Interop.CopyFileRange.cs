using Microsoft.Win32.SafeHandles;
using System.Runtime.InteropServices;

namespace MovData.Native;

internal static partial class Interop
{
    [LibraryImport("libc", EntryPoint = "copy_file_range", SetLastError = true)]
    private static partial nint copy_file_range(SafeFileHandle fdIn, ref long offIn, SafeFileHandle fdOut, ref long offOut, nuint len, uint flags);

    /// <summary>
    /// copy_file_range(2) of exactly <paramref name="length"/> bytes, looping over short copies
    /// and EINTR. <paramref name="copied"/> counts what was copied even when it fails part-way.
    /// A copy that stops short (source ends early) is an EIO: the caller asked for bytes that
    /// were not there. Returns 0 or errno.
    /// </summary>
    internal static int CopyFileRange(SafeFileHandle src, long srcOffset, SafeFileHandle dest, long destOffset, long length, out long copied)
    {
        copied = 0;
        long inOff = srcOffset;
        long outOff = destOffset;
        while (copied < length)
        {
            // Bounded per call so a signal or an I/O error is noticed within one chunk.
            nuint chunk = (nuint)Math.Min(length - copied, 1L << 30);
            (long from, long to) = (inOff, outOff);
            nint n = Retrying(() => copy_file_range(src, ref from, dest, ref to, chunk, 0), out int errno);
            if (errno != 0)
            {
                return errno;
            }
            (inOff, outOff) = (from, to);
            if (n == 0)
            {
                return EIO;
            }
            copied += n;
        }
        return 0;
    }
}
