using Microsoft.Win32.SafeHandles;
using MovData.Native;

namespace MovData.Operations;

/// <summary>Copying a range's bytes from one file into another (or within one), for the edits
/// layer's steps that cannot clone.</summary>
internal static class RangeCopy
{
    /// <summary>A copy is told to the progress this often.</summary>
    private const long ReportEvery = 32L << 20;

    /// <summary>copy_file_range, or read/write where the kernel cannot (across filesystems,
    /// overlapping ranges of one file), in pieces of <see cref="ReportEvery"/>, each told to
    /// <paramref name="copiedSoFar"/>. Returns the bytes copied.</summary>
    internal static long Copy(SafeFileHandle src, long srcOffset, SafeFileHandle dst, long dstOffset, long length, Action<long>? copiedSoFar = null)
    {
        bool kernelCopy = true;
        for (long done = 0; done < length;)
        {
            long n = Math.Min(ReportEvery, length - done);
            long copied = 0;
            int errno = kernelCopy ? Interop.CopyFileRange(src, srcOffset + done, dst, dstOffset + done, n, out copied) : 0;
            if (kernelCopy && errno != 0 && copied == 0 && (Interop.IsNotSupported(errno) || errno == Interop.EINVAL))
            {
                kernelCopy = false;
            }
            if (!kernelCopy)
            {
                errno = Interop.CopyByReadWrite(src, srcOffset + done, dst, dstOffset + done, n, out _);
            }
            Interop.ThrowIfFailed(errno, "copying");
            done += n;
            copiedSoFar?.Invoke(done);
        }
        return length;
    }
}
