using Microsoft.Win32.SafeHandles;
using MovData.Edits;
using MovData.Layout;
using MovData.Operations;

namespace MovData;

/// <summary>The seed's companions and enhancements: clone, exchange, punch, zero, preallocate,
/// collapse and insert, each in a handle form and a path form.</summary>
public static partial class FileRange
{

    /// <summary>
    /// Shares <paramref name="length"/> bytes of the source into the destination without
    /// copying (FICLONERANGE; the seed's enhancement 1). The destination range's old contents
    /// are replaced; the source is unchanged.
    /// </summary>
    /// <exception cref="ContractViolationException">Misaligned, past the source's end, overlapping, wrong file kind or open mode.</exception>
    /// <exception cref="FileSystemNotSupportedException">The filesystem has no reflink (ext4, tmpfs), or two filesystems.</exception>
    /// <exception cref="UnauthorizedAccessException">The destination is immutable, append-only or read-only.</exception>
    /// <exception cref="IOException">Any other errno.</exception>
    public static RangeResult Clone(SafeFileHandle source, long sourceOffset, SafeFileHandle destination, long destinationOffset, long length) =>
        CloneOperation.Run(source, sourceOffset, destination, destinationOffset, length);

    /// <summary>Path form of <see cref="Clone(SafeFileHandle, long, SafeFileHandle, long, long)"/>;
    /// opens the source read-only and the destination read-write.</summary>
    /// <exception cref="FileNotFoundException">A path does not exist.</exception>
    /// <exception cref="ContractViolationException">As the handle form, or a path is a directory.</exception>
    /// <exception cref="FileSystemNotSupportedException">As the handle form.</exception>
    /// <exception cref="UnauthorizedAccessException">As the handle form, or no permission to open.</exception>
    /// <exception cref="IOException">As the handle form.</exception>
    public static RangeResult Clone(string sourcePath, long sourceOffset, string destinationPath, long destinationOffset, long length)
    {
        using SafeFileHandle source = OpenForRead(sourcePath, "source");
        using SafeFileHandle destination = OpenForEdit(destinationPath, "destination");
        return Clone(source, sourceOffset, destination, destinationOffset, length);
    }

    /// <summary>
    /// Swaps the contents of two ranges atomically (XFS_IOC_EXCHANGE_RANGE; the seed's
    /// enhancement 3). Both files must be on one XFS filesystem with exchange-range enabled.
    /// </summary>
    /// <exception cref="ContractViolationException">Misaligned, past either end, overlapping, wrong file kind or open mode.</exception>
    /// <exception cref="FileSystemNotSupportedException">Not XFS with exchange-range (EOPNOTSUPP, ENOTTY), or two filesystems.</exception>
    /// <exception cref="UnauthorizedAccessException">A file is immutable, append-only or read-only.</exception>
    /// <exception cref="IOException">Any other errno.</exception>
    public static RangeResult Exchange(SafeFileHandle file1, long offset1, SafeFileHandle file2, long offset2, long length) =>
        ExchangeOperation.Run(file1, offset1, file2, offset2, length);

    /// <summary>Path form of <see cref="Exchange(SafeFileHandle, long, SafeFileHandle, long, long)"/>; opens both files read-write.</summary>
    /// <exception cref="FileNotFoundException">A path does not exist.</exception>
    /// <exception cref="ContractViolationException">As the handle form, or a path is a directory.</exception>
    /// <exception cref="FileSystemNotSupportedException">As the handle form.</exception>
    /// <exception cref="UnauthorizedAccessException">As the handle form, or no permission to open.</exception>
    /// <exception cref="IOException">As the handle form.</exception>
    public static RangeResult Exchange(string path1, long offset1, string path2, long offset2, long length)
    {
        using SafeFileHandle file1 = OpenForEdit(path1, "file1");
        using SafeFileHandle file2 = OpenForEdit(path2, "file2");
        return Exchange(file1, offset1, file2, offset2, length);
    }

    /// <summary>Deallocates [offset, offset+length): it reads as zeros, the size is unchanged
    /// (fallocate PUNCH_HOLE|KEEP_SIZE). Partial blocks at the edges are zeroed.</summary>
    /// <exception cref="ContractViolationException">Negative values, zero length, overflow, wrong file kind or open mode.</exception>
    /// <exception cref="FileSystemNotSupportedException">The filesystem cannot punch holes.</exception>
    /// <exception cref="UnauthorizedAccessException">Immutable, append-only or read-only.</exception>
    /// <exception cref="IOException">Any other errno.</exception>
    public static RangeResult PunchHole(SafeFileHandle file, long offset, long length) =>
        Allocation.PunchHole(file, offset, length);

    /// <summary>Path form of <see cref="PunchHole(SafeFileHandle, long, long)"/>; opens the file read-write.</summary>
    /// <exception cref="FileNotFoundException">The path does not exist.</exception>
    /// <exception cref="ContractViolationException">As the handle form, or the path is a directory.</exception>
    /// <exception cref="FileSystemNotSupportedException">As the handle form.</exception>
    /// <exception cref="UnauthorizedAccessException">As the handle form, or no permission to open.</exception>
    /// <exception cref="IOException">As the handle form.</exception>
    public static RangeResult PunchHole(string path, long offset, long length)
    {
        using SafeFileHandle file = OpenForEdit(path, "file");
        return PunchHole(file, offset, length);
    }

    /// <summary>Makes [offset, offset+length) read as zeros, the size unchanged (fallocate ZERO_RANGE|KEEP_SIZE).</summary>
    /// <exception cref="ContractViolationException">Negative values, zero length, overflow, wrong file kind or open mode.</exception>
    /// <exception cref="FileSystemNotSupportedException">The filesystem has no ZERO_RANGE (tmpfs).</exception>
    /// <exception cref="UnauthorizedAccessException">Immutable, append-only or read-only.</exception>
    /// <exception cref="IOException">Any other errno.</exception>
    public static RangeResult ZeroRange(SafeFileHandle file, long offset, long length) =>
        Allocation.ZeroRange(file, offset, length);

    /// <summary>Path form of <see cref="ZeroRange(SafeFileHandle, long, long)"/>; opens the file read-write.</summary>
    /// <exception cref="FileNotFoundException">The path does not exist.</exception>
    /// <exception cref="ContractViolationException">As the handle form, or the path is a directory.</exception>
    /// <exception cref="FileSystemNotSupportedException">As the handle form.</exception>
    /// <exception cref="UnauthorizedAccessException">As the handle form, or no permission to open.</exception>
    /// <exception cref="IOException">As the handle form.</exception>
    public static RangeResult ZeroRange(string path, long offset, long length)
    {
        using SafeFileHandle file = OpenForEdit(path, "file");
        return ZeroRange(file, offset, length);
    }

    /// <summary>Allocates unwritten space for [offset, offset+length) (fallocate). With
    /// <paramref name="keepSize"/> false, a range past the end grows the file.</summary>
    /// <exception cref="ContractViolationException">Negative values, zero length, overflow, wrong file kind or open mode.</exception>
    /// <exception cref="FileSystemNotSupportedException">The filesystem cannot preallocate.</exception>
    /// <exception cref="UnauthorizedAccessException">Immutable, append-only or read-only.</exception>
    /// <exception cref="IOException">Any other errno, ENOSPC among them.</exception>
    public static RangeResult Preallocate(SafeFileHandle file, long offset, long length, bool keepSize = false) =>
        Allocation.Preallocate(file, offset, length, keepSize);

    /// <summary>Path form of <see cref="Preallocate(SafeFileHandle, long, long, bool)"/>; opens the file read-write.</summary>
    /// <exception cref="FileNotFoundException">The path does not exist.</exception>
    /// <exception cref="ContractViolationException">As the handle form, or the path is a directory.</exception>
    /// <exception cref="FileSystemNotSupportedException">As the handle form.</exception>
    /// <exception cref="UnauthorizedAccessException">As the handle form, or no permission to open.</exception>
    /// <exception cref="IOException">As the handle form.</exception>
    public static RangeResult Preallocate(string path, long offset, long length, bool keepSize = false)
    {
        using SafeFileHandle file = OpenForEdit(path, "file");
        return Preallocate(file, offset, length, keepSize);
    }

    /// <summary>
    /// Removes [offset, offset+length); the rest of the file shifts down and the size shrinks
    /// by <paramref name="length"/>. Block-aligned: fallocate COLLAPSE_RANGE where the kernel
    /// has it (XFS, ext4), else emulated by clones through a sidecar file (btrfs), else by
    /// copying (tmpfs). An unaligned offset with a block-multiple length copies only the head
    /// of one block; a length that is not a block multiple rewrites the tail by copying. Every
    /// way but the single native call runs under a journal record, so a crash is recovered.
    /// The range must end before the end of the file.
    /// </summary>
    /// <returns>The length, how (native, emulated, copy) and the bytes copied.</returns>
    /// <exception cref="ContractViolationException">Negative values, reaching the end of the file, wrong file kind or open mode.</exception>
    /// <exception cref="FileSystemNotSupportedException"><see cref="MoveFlags.ZeroCopyOnly"/> where it would copy more than an edge block; nothing changed.</exception>
    /// <exception cref="UnauthorizedAccessException">Immutable, append-only or read-only, or the journal directory cannot be written.</exception>
    /// <exception cref="EditIncompleteException">Stopped part-way; nothing lost, <see cref="Recover(string)"/> finishes it.</exception>
    /// <exception cref="EditInterruptedException">Cancelled between two steps; the rest is recorded.</exception>
    /// <exception cref="IOException">Any other errno.</exception>
    public static RangeResult Collapse(SafeFileHandle file, long offset, long length, MoveFlags flags = MoveFlags.None,
        IProgress<EditProgress>? progress = null, CancellationToken cancellationToken = default) =>
        ShiftEdit.Run(file, offset, length, flags, collapse: true, progress, cancellationToken);

    /// <summary>Path form of <see cref="Collapse(SafeFileHandle, long, long, MoveFlags, IProgress{EditProgress}?, CancellationToken)"/>; opens the file read-write.</summary>
    /// <exception cref="FileNotFoundException">The path does not exist.</exception>
    /// <exception cref="ContractViolationException">As the handle form, or the path is a directory.</exception>
    /// <exception cref="FileSystemNotSupportedException">As the handle form.</exception>
    /// <exception cref="UnauthorizedAccessException">As the handle form, or no permission to open.</exception>
    /// <exception cref="EditIncompleteException">As the handle form.</exception>
    /// <exception cref="EditInterruptedException">As the handle form.</exception>
    /// <exception cref="IOException">As the handle form.</exception>
    public static RangeResult Collapse(string path, long offset, long length, MoveFlags flags = MoveFlags.None,
        IProgress<EditProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        using SafeFileHandle file = OpenForEdit(path, "file");
        return Collapse(file, offset, length, flags, progress, cancellationToken);
    }

    /// <summary>
    /// Inserts a hole of <paramref name="length"/> bytes at <paramref name="offset"/>; the rest
    /// shifts up and the size grows. Done as <see cref="Collapse(SafeFileHandle, long, long, MoveFlags, IProgress{EditProgress}?, CancellationToken)"/> is: fallocate INSERT_RANGE
    /// (XFS, ext4), emulated by clones (btrfs), or by copying (tmpfs); unaligned edges copy
    /// at most one block's head. The offset must be inside the file.
    /// </summary>
    /// <returns>The length, how (native, emulated, copy) and the bytes copied.</returns>
    /// <exception cref="ContractViolationException">Negative values, at or past the end of the file, overflow, wrong file kind or open mode.</exception>
    /// <exception cref="FileSystemNotSupportedException"><see cref="MoveFlags.ZeroCopyOnly"/> where it would copy more than an edge block; nothing changed.</exception>
    /// <exception cref="UnauthorizedAccessException">Immutable, append-only or read-only, or the journal directory cannot be written.</exception>
    /// <exception cref="EditIncompleteException">Stopped part-way; nothing lost, <see cref="Recover(string)"/> finishes it.</exception>
    /// <exception cref="EditInterruptedException">Cancelled between two steps; the rest is recorded.</exception>
    /// <exception cref="IOException">Any other errno, EFBIG among them.</exception>
    public static RangeResult Insert(SafeFileHandle file, long offset, long length, MoveFlags flags = MoveFlags.None,
        IProgress<EditProgress>? progress = null, CancellationToken cancellationToken = default) =>
        ShiftEdit.Run(file, offset, length, flags, collapse: false, progress, cancellationToken);

    /// <summary>Path form of <see cref="Insert(SafeFileHandle, long, long, MoveFlags, IProgress{EditProgress}?, CancellationToken)"/>; opens the file read-write.</summary>
    /// <exception cref="FileNotFoundException">The path does not exist.</exception>
    /// <exception cref="ContractViolationException">As the handle form, or the path is a directory.</exception>
    /// <exception cref="FileSystemNotSupportedException">As the handle form.</exception>
    /// <exception cref="UnauthorizedAccessException">As the handle form, or no permission to open.</exception>
    /// <exception cref="EditIncompleteException">As the handle form.</exception>
    /// <exception cref="EditInterruptedException">As the handle form.</exception>
    /// <exception cref="IOException">As the handle form.</exception>
    public static RangeResult Insert(string path, long offset, long length, MoveFlags flags = MoveFlags.None,
        IProgress<EditProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        using SafeFileHandle file = OpenForEdit(path, "file");
        return Insert(file, offset, length, flags, progress, cancellationToken);
    }
}
