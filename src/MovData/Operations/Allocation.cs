using Microsoft.Win32.SafeHandles;
using MovData.Native;

namespace MovData.Operations;

/// <summary>fallocate(2): punching holes, zeroing and preallocating ranges (the public
/// operations, checked), and the bare punches and shifts of the edits layer's steps.</summary>
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

    // ---- without the contract's checks: an edit's step, whose plan made them ----

    /// <summary>Punches [offset, offset+length), the size kept; <paramref name="what"/> is the
    /// whole message of a failure ("punching the donor range").</summary>
    internal static void Punch(SafeFileHandle file, long offset, long length, string what) =>
        Interop.ThrowIfFailed(Interop.Fallocate(file, Interop.FALLOC_FL_PUNCH_HOLE | Interop.FALLOC_FL_KEEP_SIZE, offset, length), what);

    /// <summary>COLLAPSE_RANGE (or INSERT_RANGE) of [offset, offset+length); any failure
    /// throws, <paramref name="what"/> its whole message.</summary>
    internal static void Shift(SafeFileHandle file, bool collapse, long offset, long length, string what) =>
        Interop.ThrowIfFailed(Interop.Fallocate(file, ShiftMode(collapse), offset, length), what);

    /// <summary>As <see cref="Shift"/> where the filesystem may lack the mode: false, nothing
    /// changed, if it answers so (not supported, or EINVAL, as some answer for these modes);
    /// any other failure throws ("fallocate (collapse)", "fallocate (insert)").</summary>
    internal static bool TryShift(SafeFileHandle file, bool collapse, long offset, long length)
    {
        int errno = Interop.Fallocate(file, ShiftMode(collapse), offset, length);
        if (errno != 0 && !Interop.IsNotSupported(errno) && errno != Interop.EINVAL)
        {
            throw Interop.GetExceptionForErrno(errno, $"fallocate ({(collapse ? "collapse" : "insert")})");
        }
        return errno == 0;
    }

    private static int ShiftMode(bool collapse) => collapse ? Interop.FALLOC_FL_COLLAPSE_RANGE : Interop.FALLOC_FL_INSERT_RANGE;
}
