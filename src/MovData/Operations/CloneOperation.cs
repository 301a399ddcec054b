using Microsoft.Win32.SafeHandles;
using MovData.Native;

namespace MovData.Operations;

/// <summary>FICLONERANGE: a range shared into another file without copying (the public
/// operation, checked), and the bare clones of the edits layer's steps.</summary>
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
        Clone(source, sourceOffset, destination, destinationOffset, length, $"FICLONERANGE from the source into the destination on {d.FsType}");
        return new RangeResult(length, RangeMethod.Native, 0);
    }

    /// <summary>One clone without the contract's checks (an edit's step, whose plan made
    /// them); <paramref name="what"/> is the whole message of a failure.</summary>
    internal static void Clone(SafeFileHandle source, long sourceOffset, SafeFileHandle destination, long destinationOffset, long length, string what) =>
        Interop.ThrowIfFailed(Interop.CloneRange(source, sourceOffset, destination, destinationOffset, length), what);

    /// <summary>As <see cref="Clone"/> for a caller that copies where a clone fails: false
    /// if it failed, whatever the reason.</summary>
    internal static bool TryClone(SafeFileHandle source, long sourceOffset, SafeFileHandle destination, long destinationOffset, long length) =>
        Interop.CloneRange(source, sourceOffset, destination, destinationOffset, length) == 0;
}
