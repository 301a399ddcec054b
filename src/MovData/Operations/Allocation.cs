using Microsoft.Win32.SafeHandles;
using MovData.Native;

namespace MovData.Operations;

/// <summary>fallocate(2): punching holes, zeroing and preallocating ranges.</summary>
internal static class Allocation
{
    /// <summary><see cref="FileRange.PunchHole(SafeFileHandle, long, long)"/>.</summary>
    internal static RangeResult PunchHole(SafeFileHandle file, long offset, long length) =>
        Run(file, offset, length, Interop.FALLOC_FL_PUNCH_HOLE | Interop.FALLOC_FL_KEEP_SIZE, "punch");

    /// <summary><see cref="FileRange.ZeroRange(SafeFileHandle, long, long)"/>.</summary>
    internal static RangeResult ZeroRange(SafeFileHandle file, long offset, long length) =>
        Run(file, offset, length, Interop.FALLOC_FL_ZERO_RANGE | Interop.FALLOC_FL_KEEP_SIZE, "zero");

    /// <summary><see cref="FileRange.Preallocate(SafeFileHandle, long, long, bool)"/>.</summary>
    internal static RangeResult Preallocate(SafeFileHandle file, long offset, long length, bool keepSize) =>
        Run(file, offset, length, keepSize ? Interop.FALLOC_FL_KEEP_SIZE : 0, "preallocate");

    /// <summary>The contract's checks, then one fallocate in <paramref name="mode"/>;
    /// <paramref name="name"/> is the operation's, for the messages.</summary>
    private static RangeResult Run(SafeFileHandle file, long offset, long length, int mode, string name)
    {
        FileFacts f = FileFacts.Of(file, "file");
        Validate.Writable(f);
        Validate.NonNegative(offset, "offset");
        Validate.Positive(length, "length");
        Validate.NoOverflow(offset, length, nameof(offset));
        int errno = Interop.Fallocate(file, mode, offset, length);
        if (Interop.IsNotSupported(errno))
        {
            throw new FileSystemNotSupportedException($"{name} is not supported on {f.FsType} ({Interop.ErrnoName(errno)})", errno);
        }
        Interop.ThrowIfFailed(errno, $"fallocate ({name})");
        return new RangeResult(length, RangeMethod.Native, 0);
    }
}
