using Microsoft.Win32.SafeHandles;
using MovData.Native;

namespace MovData.Operations;

/// <summary>XFS_IOC_EXCHANGE_RANGE: two ranges swapped atomically.</summary>
internal static class ExchangeOperation
{
    /// <summary><see cref="FileRange.Exchange(SafeFileHandle, long, SafeFileHandle, long, long)"/>: the contract's checks, then one call.</summary>
    internal static RangeResult Run(SafeFileHandle file1, long offset1, SafeFileHandle file2, long offset2, long length)
    {
        FileFacts a = FileFacts.Of(file1, "file1");
        FileFacts b = FileFacts.Of(file2, "file2");
        Validate.Writable(a);
        Validate.Writable(b);
        long bs = Validate.Pair(a, offset1, "offset1", b, offset2, "offset2", length);
        Validate.WithinSize(a, offset1, length, "offset1", bs);
        Validate.WithinSize(b, offset2, length, "offset2", bs);
        int errno = Interop.ExchangeRange(file1, offset1, file2, offset2, length, 0);
        if (Interop.IsNotSupported(errno))
        {
            throw new FileSystemNotSupportedException(
                $"exchange is not supported on {b.FsType}: XFS_IOC_EXCHANGE_RANGE needs both files on one XFS filesystem with the exchange-range feature ({Interop.ErrnoName(errno)})", errno);
        }
        Interop.ThrowIfFailed(errno, "XFS_IOC_EXCHANGE_RANGE");
        return new RangeResult(length, RangeMethod.Native, 0);
    }
}
