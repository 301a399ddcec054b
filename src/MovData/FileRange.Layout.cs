using Microsoft.Win32.SafeHandles;
using MovData.Edits;
using MovData.Layout;
using MovData.Native;
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
    public static IReadOnlyList<Segment> Map(SafeFileHandle file)
    {
        FileFacts f = FileFacts.Of(file, "file");
        Validate.Regular(f);
        return Extents.Map(file, f.Size, "the file");
    }

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
    public static FileSystemProbe Probe(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        int errno = Interop.StatxPath(path, out Interop.Statx st);
        Interop.ThrowIfFailed(errno, $"statx of {path}");
        errno = Interop.StatFsPath(path, out Interop.StatFs fs);
        Interop.ThrowIfFailed(errno, $"statfs of {path}");
        if (FileFacts.HoldsNoRegularFiles(fs.Type) is { } pseudo)
        {
            throw new FileSystemNotSupportedException(
                $"{path} is on {pseudo}, a kernel filesystem that holds no regular files to edit; probe a directory of a disk filesystem (xfs, btrfs, ext4, tmpfs, ...)");
        }
        if ((fs.Flags & Interop.ST_RDONLY) != 0)
        {
            // Trial calls would only meet EROFS, and every edit fails with it: say so.
            return new FileSystemProbe(FileFacts.FsTypeName(fs.Type), fs.Bsize,
                Enum.GetValues<RangeOperation>().ToDictionary(op => op, _ => Support.Unsupported)) { ReadOnly = true };
        }
        bool isDirectory = (st.Mode & Interop.S_IFMT) == Interop.S_IFDIR;
        string directory = isDirectory ? path : Path.GetDirectoryName(Path.GetFullPath(path)) ?? "/";
        ulong device = ((ulong)st.DevMajor << 32) | st.DevMinor;
        Capabilities caps = Capabilities.ForDirectory(directory, device, fs.Bsize);
        static Support Native(bool? yes) => yes == true ? Support.Native : Support.Unsupported;
        Support Shift(bool? native) => native == true ? Support.Native : caps.Reflink == true ? Support.Emulated : Support.Copy;
        var operations = new Dictionary<RangeOperation, Support>
        {
            [RangeOperation.Move] = caps.Exchange == true ? Support.Native : caps.Reflink == true ? Support.Emulated : Support.Copy,
            [RangeOperation.Clone] = Native(caps.Reflink),
            [RangeOperation.Exchange] = Native(caps.Exchange),
            [RangeOperation.Collapse] = Shift(caps.Collapse),
            [RangeOperation.Insert] = Shift(caps.Insert),
            [RangeOperation.Punch] = Native(caps.Punch),
            [RangeOperation.Zero] = Native(caps.Zero),
            [RangeOperation.Preallocate] = Native(caps.Preallocate),
            [RangeOperation.Defragment] = caps.Exchange == true ? Support.Copy : Support.Unsupported,
        };
        return new FileSystemProbe(FileFacts.FsTypeName(fs.Type), fs.Bsize, operations);
    }

    /// <summary>
    /// The seed's enhancement 2: copies the file's data into freshly preallocated space of an
    /// unnamed temporary file on the same filesystem, then exchanges it in atomically (XFS
    /// exchange-range). Holes stay holes. Readers see the old or the new layout, never a mix;
    /// the file must not be written to meanwhile (a change seen before the exchange aborts it).
    /// </summary>
    /// <param name="file">The file, opened read-write.</param>
    /// <param name="progress">Told the bytes copied so far.</param>
    /// <param name="cancellationToken">Stops the copy before the exchange; the file is unchanged.</param>
    /// <exception cref="OperationCanceledException">Cancelled; the file is unchanged.</exception>
    /// <exception cref="FileSystemNotSupportedException">The filesystem has no exchange-range (anything but XFS with the feature).</exception>
    /// <exception cref="ContractViolationException">Not a regular file, or not opened read-write.</exception>
    /// <exception cref="UnauthorizedAccessException">Immutable, append-only or read-only.</exception>
    /// <exception cref="IOException">The file changed during the copy, no space for the copy, or any other errno; the file is unchanged.</exception>
    public static DefragmentResult Defragment(SafeFileHandle file, IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
        Defragmenter.Run(file, progress, cancellationToken);

    /// <summary>Path form of <see cref="Defragment(SafeFileHandle, IProgress{long}?, CancellationToken)"/>.</summary>
    /// <exception cref="FileNotFoundException">The path does not exist.</exception>
    /// <exception cref="FileSystemNotSupportedException">As the handle form.</exception>
    /// <exception cref="ContractViolationException">As the handle form, or a directory.</exception>
    /// <exception cref="UnauthorizedAccessException">As the handle form.</exception>
    /// <exception cref="IOException">As the handle form.</exception>
    public static DefragmentResult Defragment(string path, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        using SafeFileHandle file = OpenForEdit(path, "file");
        return Defragment(file, progress, cancellationToken);
    }
}
