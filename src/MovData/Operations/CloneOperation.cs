using Microsoft.Win32.SafeHandles;
using MovData.Native;

namespace MovData.Operations;

/// <summary>FICLONERANGE: a range shared into another file without copying.</summary>
internal static class CloneOperation
{
    /// <summary><see cref="FileRange.Clone(SafeFileHandle, long, SafeFileHandle, long, long)"/>: the contract's checks, then one call.</summary>
    internal static RangeResult Run(SafeFileHandle source, long sourceOffset, SafeFileHandle destination, long destinationOffset, long length)
    {
        FileFacts s = FileFacts.Of(source, "source");
        FileFacts d = FileFacts.Of(destination, "destination");
        Validate.Readable(s);
        Validate.Writable(d);
        long bs = Validate.Pair(s, sourceOffset, "sourceOffset", d, destinationOffset, "destinationOffset", length);
        Validate.WithinSize(s, sourceOffset, length, "sourceOffset", bs);
        int errno = Interop.CloneRange(source, sourceOffset, destination, destinationOffset, length);
        Interop.ThrowIfFailed(errno, $"FICLONERANGE from the source into the destination on {d.FsType}");
        return new RangeResult(length, RangeMethod.Native, 0);
    }
}
