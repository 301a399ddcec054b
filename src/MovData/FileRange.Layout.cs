using Microsoft.Win32.SafeHandles;
using MovData.Operations;

namespace MovData;

/// <summary>What a file's layout is and what its filesystem can do (Map, Probe), and the
/// layout's repair (Defragment).</summary>
public static partial class FileRange
{

    /// <summary>
    /// The file's segments in order, covering [0, size): data, hole or unwritten, shared or
    /// not, and the physical address where the filesystem tells it (FIEMAP); from
    /// SEEK_DATA/SEEK_HOLE where it has no FIEMAP (tmpfs: no physical addresses, no unwritten).
    /// </summary>
    /// <exception cref="ContractViolationException">Not a regular file.</exception>
    /// <exception cref="IOException">FIEMAP or lseek failed.</exception>
    public static IReadOnlyList<Segment> Map(SafeFileHandle file) => FileLayout.Map(file);

    /// <summary>Path form of <see cref="Map(SafeFileHandle)"/>; opens the file read-only.</summary>
    /// <exception cref="FileNotFoundException">The path does not exist.</exception>
    /// <exception cref="ContractViolationException">A directory or other non-regular file.</exception>
    /// <exception cref="IOException">FIEMAP or lseek failed.</exception>
    public static IReadOnlyList<Segment> Map(string path)
    {
        using SafeFileHandle file = OpenForRead(path, "file");
        return Map(file);
    }

    /// <summary>
    /// What the filesystem holding <paramref name="path"/> (a file or a directory) can do:
    /// its type, block size, and for each operation native, emulated, copy or unsupported.
    /// Learnt by trial calls on two unnamed temporary files in the directory, once per
    /// filesystem per process; where that directory is not writable, operations whose support
    /// could not be tried are reported unsupported.
    /// </summary>
    /// <remarks>On a read-only mount every operation is unsupported and
    /// <see cref="FileSystemProbe.ReadOnly"/> is true.</remarks>
    /// <exception cref="FileNotFoundException">The path does not exist.</exception>
    /// <exception cref="FileSystemNotSupportedException">The path is on a kernel filesystem
    /// that holds no regular files (proc, sysfs, ...).</exception>
    /// <exception cref="IOException">statfs or statx failed.</exception>
    public static FileSystemProbe Probe(string path) => Prober.Probe(path);

    /// <summary>
    /// The seed's enhancement 2: rewrites the file's data onto fresh contiguous blocks through
    /// the filesystem's own primitive, with no moment where a crash or a concurrent writer
    /// could lose a byte: XFS with exchange-range copies and commits the copy only if the file
    /// did not change (XFS_IOC_COMMIT_RANGE); XFS with reflink copies and swaps the copy in
    /// where the bytes are still the same (FIDEDUPERANGE); ext4 moves extents into a fresh
    /// donor (EXT4_IOC_MOVE_EXT); btrfs rewrites them (BTRFS_IOC_DEFRAG_RANGE). Holes stay
    /// holes. A file already at its ideal extent count, or whose fresh space would be no less
    /// fragmented, is left as it was (<see cref="DefragmentResult.Skipped"/>).
    /// </summary>
    /// <param name="file">The file, opened read-write.</param>
    /// <param name="options">A dry run checks and plans, and changes nothing.</param>
    /// <param name="progress">Told the bytes of data done so far, of <see cref="FragmentationReport.DataBytes"/>.</param>
    /// <param name="cancellationToken">Stops between two pieces; what was swapped is swapped, nothing is lost.</param>
    /// <exception cref="OperationCanceledException">Cancelled; the file holds the same bytes.</exception>
    /// <exception cref="FileSystemNotSupportedException">tmpfs (no extents), XFS with neither reflink nor exchange-range, or another filesystem; nothing changed.</exception>
    /// <exception cref="ContractViolationException">Not a regular file, or not opened read-write.</exception>
    /// <exception cref="UnauthorizedAccessException">Immutable, append-only or read-only.</exception>
    /// <exception cref="IOException">EBUSY: another process has the file open for writing (refused, nothing
    /// changed) or wrote it meanwhile (abandoned, nothing lost); ENOSPC: too little free space
    /// for the fresh copy (found before anything is written); any other errno.</exception>
    public static DefragmentResult Defragment(SafeFileHandle file, DefragmentOptions options, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Defragmenter.Run(file, options, progress, cancellationToken);
    }

    /// <summary><see cref="Defragment(SafeFileHandle, DefragmentOptions, IProgress{long}?, CancellationToken)"/> with the default options.</summary>
    /// <exception cref="OperationCanceledException">As that form.</exception>
    /// <exception cref="FileSystemNotSupportedException">As that form.</exception>
    /// <exception cref="ContractViolationException">As that form.</exception>
    /// <exception cref="UnauthorizedAccessException">As that form.</exception>
    /// <exception cref="IOException">As that form.</exception>
    public static DefragmentResult Defragment(SafeFileHandle file, IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
        Defragmenter.Run(file, new DefragmentOptions(), progress, cancellationToken);

    /// <summary>Path form of <see cref="Defragment(SafeFileHandle, DefragmentOptions, IProgress{long}?, CancellationToken)"/>; opens the file read-write.</summary>
    /// <exception cref="FileNotFoundException">The path does not exist.</exception>
    /// <exception cref="FileSystemNotSupportedException">As the handle form.</exception>
    /// <exception cref="ContractViolationException">As the handle form, or a directory.</exception>
    /// <exception cref="UnauthorizedAccessException">As the handle form.</exception>
    /// <exception cref="IOException">As the handle form.</exception>
    public static DefragmentResult Defragment(string path, DefragmentOptions options, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        using SafeFileHandle file = OpenForEdit(path, "file");
        return Defragment(file, options, progress, cancellationToken);
    }

    /// <summary>Path form of <see cref="Defragment(SafeFileHandle, IProgress{long}?, CancellationToken)"/>; opens the file read-write.</summary>
    /// <exception cref="FileNotFoundException">The path does not exist.</exception>
    /// <exception cref="FileSystemNotSupportedException">As the handle form.</exception>
    /// <exception cref="ContractViolationException">As the handle form, or a directory.</exception>
    /// <exception cref="UnauthorizedAccessException">As the handle form.</exception>
    /// <exception cref="IOException">As the handle form.</exception>
    public static DefragmentResult Defragment(string path, IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
        Defragment(path, new DefragmentOptions(), progress, cancellationToken);

    /// <summary>
    /// How fragmented the file is: its data extents (FIEMAP), the fewest this filesystem could
    /// hold its data in, a score, and how much of it is shared. Changes nothing.
    /// </summary>
    /// <exception cref="FileSystemNotSupportedException">tmpfs, or another filesystem without extents.</exception>
    /// <exception cref="ContractViolationException">Not a regular file.</exception>
    /// <exception cref="IOException">FIEMAP or lseek failed.</exception>
    public static FragmentationReport Fragmentation(SafeFileHandle file) => FileLayout.Fragmentation(file);

    /// <summary>Path form of <see cref="Fragmentation(SafeFileHandle)"/>; opens the file read-only.</summary>
    /// <exception cref="FileNotFoundException">The path does not exist.</exception>
    /// <exception cref="FileSystemNotSupportedException">As the handle form.</exception>
    /// <exception cref="ContractViolationException">As the handle form, or a directory.</exception>
    /// <exception cref="IOException">As the handle form.</exception>
    public static FragmentationReport Fragmentation(string path)
    {
        using SafeFileHandle file = OpenForRead(path, "file");
        return Fragmentation(file);
    }
}
