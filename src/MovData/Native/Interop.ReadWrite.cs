using Microsoft.Win32.SafeHandles;
using System.Buffers;
using System.Runtime.InteropServices;

namespace MovData.Native;

internal static partial class Interop
{
    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    private static unsafe partial nint pread(SafeFileHandle fd, byte* buf, nuint count, long offset);

    [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    private static unsafe partial nint pwrite(SafeFileHandle fd, byte* buf, nuint count, long offset);

    /// <summary>Buffer of the read/write copy: large enough for full-speed streaming, small
    /// enough that memory does not grow with the range.</summary>
    internal const int CopyBufferSize = 1 << 20;

    /// <summary>
    /// Copies exactly <paramref name="length"/> bytes with pread/pwrite through one bounded
    /// buffer, for where copy_file_range cannot go (across filesystems) or must not (where it
    /// would reflink instead of writing fresh blocks). Short reads and writes and EINTR are
    /// looped; <paramref name="copied"/> counts bytes written even on failure. Returns 0 or errno.
    /// </summary>
    internal static unsafe int CopyByReadWrite(SafeFileHandle src, long srcOffset, SafeFileHandle dest, long destOffset, long length, out long copied)
    {
        copied = 0;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            fixed (byte* p = buffer)
            {
                while (copied < length)
                {
                    int want = (int)Math.Min(length - copied, CopyBufferSize);
                    int got = 0;
                    while (got < want)
                    {
                        (nint at, nuint count, long offset) = ((nint)(p + got), (nuint)(want - got), srcOffset + copied + got);
                        nint n = Retrying(() => pread(src, (byte*)at, count, offset), out int errno);
                        if (errno != 0)
                        {
                            return errno;
                        }
                        if (n == 0)
                        {
                            return EIO; // the source ended before the range did
                        }
                        got += (int)n;
                    }
                    int put = 0;
                    while (put < got)
                    {
                        (nint at, nuint count, long offset) = ((nint)(p + put), (nuint)(got - put), destOffset + copied + put);
                        nint n = Retrying(() => pwrite(dest, (byte*)at, count, offset), out int errno);
                        if (errno != 0)
                        {
                            copied += put;
                            return errno;
                        }
                        put += (int)n;
                    }
                    copied += got;
                }
            }
            return 0;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
