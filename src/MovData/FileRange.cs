using Microsoft.Win32.SafeHandles;
using MovData.Edits;
using MovData.Layout;
using MovData.Native;
using MovData.Operations;

namespace MovData;

/// <summary>
/// Range operations on files at the extent level: the seed's Move (FS_IOC_MOV_DATA) and its
/// companions. Every method checks all it can before changing anything; a refused call
/// changes nothing. The contract is docs/contract.md.
/// </summary>
/// <remarks>
/// Exceptions shared by every method: <see cref="ContractViolationException"/> (a rule of the
/// contract, nothing changed), <see cref="FileSystemNotSupportedException"/> (the filesystem
/// cannot do it, nothing changed), <see cref="UnauthorizedAccessException"/> (EPERM, EACCES,
/// EROFS, immutable or append-only files), <see cref="FileNotFoundException"/> (a path that
/// does not exist), <see cref="IOException"/> (any other errno, in <see cref="Exception.HResult"/>).
/// Every method that changes a file's layout (Move, Collapse, Insert, Splice, Concat) first
/// finishes any interrupted edit of its files from the journal next to them
/// (docs/journal.md); if one cannot be finished it throws <see cref="EditIncompleteException"/>
/// and changes nothing.
/// </remarks>
public static class FileRange
{
    /// <summary>
    /// Moves <paramref name="length"/> bytes at <paramref name="donorOffset"/> in the donor to
    /// the hole at <paramref name="receiverOffset"/> in the receiver, leaving a hole in the
    /// donor: the seed's FS_IOC_MOV_DATA, by XFS exchange-range, clone-then-punch, or (unless
    /// <see cref="MoveFlags.ZeroCopyOnly"/>) copy-then-punch, best first.
    /// </summary>
    /// <param name="donor">The file the data leaves, opened read-write.</param>
    /// <param name="donorOffset">Block-aligned start in the donor.</param>
    /// <param name="receiver">The file the data arrives in, opened read-write; may be the donor.</param>
    /// <param name="receiverOffset">Block-aligned start of a hole in the receiver.</param>
    /// <param name="length">Block-aligned length, greater than 0.</param>
    /// <param name="flags">Options; unknown bits are refused.</param>
    /// <param name="progress">Told the bytes of the range done so far.</param>
    /// <param name="cancellationToken">Stops a copying Move after its current chunk, the
    /// files consistent and the rest recorded for <see cref="Recover(string)"/>.</param>
    /// <returns>The moved length (the whole range), the method used and the bytes copied.</returns>
    /// <exception cref="ContractViolationException">A rule was broken (alignment, range,
    /// receiver not a hole, overlap, flags, file kind, open mode); nothing changed.</exception>
    /// <exception cref="FileSystemNotSupportedException"><see cref="MoveFlags.ZeroCopyOnly"/>
    /// where only copying is possible; nothing changed.</exception>
    /// <exception cref="UnauthorizedAccessException">A file is immutable, append-only or on a
    /// read-only mount; nothing changed.</exception>
    /// <exception cref="MoveIncompleteException">Failed part-way; its Result says how much was
    /// moved, its FailedStage what failed, and every byte is in the donor or the receiver
    /// (where RecoveryPending, recovery finishes the Move).</exception>
    /// <exception cref="EditInterruptedException">Cancelled part-way; the rest is recorded.</exception>
    /// <exception cref="OperationCanceledException">Cancelled before anything changed.</exception>
    /// <exception cref="EditIncompleteException">An interrupted edit of these files could not be finished, or its record cannot be read; nothing changed.</exception>
    /// <exception cref="IOException">Reading the files' state failed; nothing changed.</exception>
    public static MoveResult Move(SafeFileHandle donor, long donorOffset, SafeFileHandle receiver, long receiverOffset, long length,
        MoveFlags flags = MoveFlags.None, IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
        MoveEdit.Run(donor, donorOffset, receiver, receiverOffset, length, flags, progress, cancellationToken);

    /// <summary>Path form of <see cref="Move(SafeFileHandle, long, SafeFileHandle, long, long, MoveFlags, IProgress{long}?, CancellationToken)"/>;
    /// opens both files read-write.</summary>
    /// <exception cref="FileNotFoundException">A path does not exist.</exception>
    /// <exception cref="ContractViolationException">As the handle form, or a path is a directory.</exception>
    /// <exception cref="FileSystemNotSupportedException">As the handle form.</exception>
    /// <exception cref="UnauthorizedAccessException">As the handle form, or no permission to open.</exception>
    /// <exception cref="MoveIncompleteException">As the handle form.</exception>
    public static MoveResult Move(string donorPath, long donorOffset, string receiverPath, long receiverOffset, long length,
        MoveFlags flags = MoveFlags.None, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        using SafeFileHandle donor = OpenForEdit(donorPath, "donor");
        using SafeFileHandle receiver = OpenForEdit(receiverPath, "receiver");
        return Move(donor, donorOffset, receiver, receiverOffset, length, flags, progress, cancellationToken);
    }

    /// <summary>
    /// The seed's call shape: moves as <see cref="Move(SafeFileHandle, long, SafeFileHandle, long, long, MoveFlags, IProgress{long}?, CancellationToken)"/>
    /// and sets <see cref="MoveDataRequest.MovedLen"/>, on success and on a failure part-way.
    /// </summary>
    /// <exception cref="ContractViolationException">As the handle form.</exception>
    /// <exception cref="FileSystemNotSupportedException">As the handle form.</exception>
    /// <exception cref="UnauthorizedAccessException">As the handle form.</exception>
    /// <exception cref="MoveIncompleteException">As the handle form; MovedLen is set first.</exception>
    public static MoveResult Move(MoveDataRequest md)
    {
        ArgumentNullException.ThrowIfNull(md);
        md.MovedLen = 0;
        try
        {
            MoveResult result = Move(md.DonorFd, md.DonorOffset, md.ReceiverFd, md.ReceiverOffset, md.Length, (MoveFlags)md.Flags);
            md.MovedLen = result.MovedLength;
            return result;
        }
        catch (MoveIncompleteException e)
        {
            md.MovedLen = e.Result.MovedLength;
            throw;
        }
    }

    /// <summary>
    /// Shares <paramref name="length"/> bytes of the source into the destination without
    /// copying (FICLONERANGE; the seed's enhancement 1). The destination range's old contents
    /// are replaced; the source is unchanged.
    /// </summary>
    /// <exception cref="ContractViolationException">Misaligned, past the source's end, overlapping, wrong file kind or open mode.</exception>
    /// <exception cref="FileSystemNotSupportedException">The filesystem has no reflink (ext4, tmpfs), or two filesystems.</exception>
    /// <exception cref="UnauthorizedAccessException">The destination is immutable, append-only or read-only.</exception>
    /// <exception cref="IOException">Any other errno.</exception>
    public static RangeResult Clone(SafeFileHandle source, long sourceOffset, SafeFileHandle destination, long destinationOffset, long length)
    {
        FileFacts s = FileFacts.Of(source, "source");
        FileFacts d = FileFacts.Of(destination, "destination");
        Validate.Readable(s);
        Validate.Writable(d);
        long bs = CheckPair(s, sourceOffset, "sourceOffset", d, destinationOffset, "destinationOffset", length);
        Validate.WithinSize(s, sourceOffset, length, "sourceOffset", bs);
        int errno = Interop.CloneRange(source, sourceOffset, destination, destinationOffset, length);
        ThrowIf(errno, $"FICLONERANGE from the source into the destination on {d.FsType}");
        return new RangeResult(length, RangeMethod.Native, 0);
    }

    /// <summary>
    /// Swaps the contents of two ranges atomically (XFS_IOC_EXCHANGE_RANGE; the seed's
    /// enhancement 3). Both files must be on one XFS filesystem with exchange-range enabled.
    /// </summary>
    /// <exception cref="ContractViolationException">Misaligned, past either end, overlapping, wrong file kind or open mode.</exception>
    /// <exception cref="FileSystemNotSupportedException">Not XFS with exchange-range (EOPNOTSUPP, ENOTTY), or two filesystems.</exception>
    /// <exception cref="UnauthorizedAccessException">A file is immutable, append-only or read-only.</exception>
    /// <exception cref="IOException">Any other errno.</exception>
    public static RangeResult Exchange(SafeFileHandle file1, long offset1, SafeFileHandle file2, long offset2, long length)
    {
        FileFacts a = FileFacts.Of(file1, "file1");
        FileFacts b = FileFacts.Of(file2, "file2");
        Validate.Writable(a);
        Validate.Writable(b);
        long bs = CheckPair(a, offset1, "offset1", b, offset2, "offset2", length);
        Validate.WithinSize(a, offset1, length, "offset1", bs);
        Validate.WithinSize(b, offset2, length, "offset2", bs);
        int errno = Interop.ExchangeRange(file1, offset1, file2, offset2, length, 0);
        if (Interop.IsNotSupported(errno))
        {
            throw new FileSystemNotSupportedException(
                $"exchange is not supported on {b.FsType}: XFS_IOC_EXCHANGE_RANGE needs both files on one XFS filesystem with the exchange-range feature ({Interop.ErrnoName(errno)})", errno);
        }
        ThrowIf(errno, "XFS_IOC_EXCHANGE_RANGE");
        return new RangeResult(length, RangeMethod.Native, 0);
    }

    /// <summary>Deallocates [offset, offset+length): it reads as zeros, the size is unchanged
    /// (fallocate PUNCH_HOLE|KEEP_SIZE). Partial blocks at the edges are zeroed.</summary>
    /// <exception cref="ContractViolationException">Negative values, zero length, overflow, wrong file kind or open mode.</exception>
    /// <exception cref="FileSystemNotSupportedException">The filesystem cannot punch holes.</exception>
    /// <exception cref="UnauthorizedAccessException">Immutable, append-only or read-only.</exception>
    /// <exception cref="IOException">Any other errno.</exception>
    public static RangeResult PunchHole(SafeFileHandle file, long offset, long length) =>
        Allocate(file, offset, length, Interop.FALLOC_FL_PUNCH_HOLE | Interop.FALLOC_FL_KEEP_SIZE, "punch");

    /// <summary>Makes [offset, offset+length) read as zeros, the size unchanged (fallocate ZERO_RANGE|KEEP_SIZE).</summary>
    /// <exception cref="ContractViolationException">Negative values, zero length, overflow, wrong file kind or open mode.</exception>
    /// <exception cref="FileSystemNotSupportedException">The filesystem has no ZERO_RANGE (tmpfs).</exception>
    /// <exception cref="UnauthorizedAccessException">Immutable, append-only or read-only.</exception>
    /// <exception cref="IOException">Any other errno.</exception>
    public static RangeResult ZeroRange(SafeFileHandle file, long offset, long length) =>
        Allocate(file, offset, length, Interop.FALLOC_FL_ZERO_RANGE | Interop.FALLOC_FL_KEEP_SIZE, "zero");

    /// <summary>Allocates unwritten space for [offset, offset+length) (fallocate). With
    /// <paramref name="keepSize"/> false, a range past the end grows the file.</summary>
    /// <exception cref="ContractViolationException">Negative values, zero length, overflow, wrong file kind or open mode.</exception>
    /// <exception cref="FileSystemNotSupportedException">The filesystem cannot preallocate.</exception>
    /// <exception cref="UnauthorizedAccessException">Immutable, append-only or read-only.</exception>
    /// <exception cref="IOException">Any other errno, ENOSPC among them.</exception>
    public static RangeResult Preallocate(SafeFileHandle file, long offset, long length, bool keepSize = false) =>
        Allocate(file, offset, length, keepSize ? Interop.FALLOC_FL_KEEP_SIZE : 0, "preallocate");

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
        CancellationToken cancellationToken = default) =>
        Editor.Shift(file, offset, length, flags, collapse: true, cancellationToken);

    /// <summary>
    /// Inserts a hole of <paramref name="length"/> bytes at <paramref name="offset"/>; the rest
    /// shifts up and the size grows. Done as <see cref="Collapse"/> is: fallocate INSERT_RANGE
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
        CancellationToken cancellationToken = default) =>
        Editor.Shift(file, offset, length, flags, collapse: false, cancellationToken);

    /// <summary>
    /// The seed's whole non-linear edit as one operation: inserts a hole of
    /// <paramref name="length"/> bytes into the receiver at <paramref name="receiverOffset"/>,
    /// moves the donor range into it, and collapses the range out of the donor. The receiver
    /// grows by the length and the donor shrinks by it. Runs under a journal record: after a
    /// crash, <see cref="Recover(string)"/> (or the next edit of either file) finishes it.
    /// Offsets need not be block-aligned (only edge blocks are copied when both sit equally
    /// far into their blocks and the length is a block multiple).
    /// </summary>
    /// <returns>Each step (insert, move, collapse) with its method and bytes copied.</returns>
    /// <exception cref="ContractViolationException">Negative values, a range past the donor's end, a receiver offset past its end, the same file twice, wrong file kind or open mode; nothing changed.</exception>
    /// <exception cref="FileSystemNotSupportedException"><see cref="MoveFlags.ZeroCopyOnly"/> where data would be copied; nothing changed.</exception>
    /// <exception cref="UnauthorizedAccessException">A file is immutable, append-only or read-only, or the journal directory cannot be written.</exception>
    /// <exception cref="EditIncompleteException">Stopped part-way; nothing lost, <see cref="Recover(string)"/> finishes it.</exception>
    /// <exception cref="EditInterruptedException">Cancelled between two steps; the rest is recorded.</exception>
    public static EditResult Splice(SafeFileHandle donor, long donorOffset, SafeFileHandle receiver, long receiverOffset, long length,
        MoveFlags flags = MoveFlags.None, IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
        Editor.Splice(donor, donorOffset, receiver, receiverOffset, length, flags, progress, cancellationToken);

    /// <summary>Path form of <see cref="Splice(SafeFileHandle, long, SafeFileHandle, long, long, MoveFlags, IProgress{long}?, CancellationToken)"/>.</summary>
    /// <exception cref="FileNotFoundException">A path does not exist.</exception>
    /// <exception cref="ContractViolationException">As the handle form, or a path is a directory.</exception>
    /// <exception cref="FileSystemNotSupportedException">As the handle form.</exception>
    /// <exception cref="UnauthorizedAccessException">As the handle form.</exception>
    /// <exception cref="EditIncompleteException">As the handle form.</exception>
    public static EditResult Splice(string donorPath, long donorOffset, string receiverPath, long receiverOffset, long length,
        MoveFlags flags = MoveFlags.None, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        using SafeFileHandle donor = OpenForEdit(donorPath, "donor");
        using SafeFileHandle receiver = OpenForEdit(receiverPath, "receiver");
        return Splice(donor, donorOffset, receiver, receiverOffset, length, flags, progress, cancellationToken);
    }

    /// <summary>
    /// Builds a new file <paramref name="output"/> from an ordered list of ranges of other
    /// files (multipart assembly, an edit decision list). Block-aligned parts are cloned
    /// (or with <paramref name="move"/>, moved: the parts' ranges are left empty); from an
    /// unaligned boundary on, parts are copied, and the steps say so. The output is built
    /// aside in the journal directory and renamed into place at the end, so it appears whole
    /// or not at all; a crash is recovered (a move is finished, a clone is discarded).
    /// </summary>
    /// <returns>Each part's method and bytes copied (steps "create", "part-1", ..., "rename").</returns>
    /// <exception cref="ContractViolationException">No parts, negative values, a part past its file's end, overlapping parts under <paramref name="move"/>, a directory; nothing changed.</exception>
    /// <exception cref="FileSystemNotSupportedException"><see cref="MoveFlags.ZeroCopyOnly"/> where data would be copied; nothing changed.</exception>
    /// <exception cref="UnauthorizedAccessException">A part or the output directory cannot be written.</exception>
    /// <exception cref="EditIncompleteException">Stopped part-way; nothing lost, <see cref="Recover(string)"/> finishes it.</exception>
    /// <exception cref="EditInterruptedException">Cancelled between two steps; the rest is recorded.</exception>
    /// <exception cref="IOException"><paramref name="output"/> exists (EEXIST), or any other errno.</exception>
    public static EditResult Concat(string output, IReadOnlyList<ConcatPart> parts, bool move = false, MoveFlags flags = MoveFlags.None,
        IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
        Editor.Concat(output, parts, move, flags, progress, cancellationToken);

    /// <summary>
    /// Finishes or undoes every interrupted edit whose journal record is next to
    /// <paramref name="path"/>: a directory (all its edits), or a file (the edits of that
    /// file). Afterwards each file is as it was before its edit or as the edit makes it, and
    /// no byte is lost. An edit running in another process now is left alone. Every edit also
    /// runs this for its own files before it starts. See docs/journal.md.
    /// </summary>
    /// <returns>One entry per record found: finished, discarded, in progress, or failed (kept;
    /// a record that cannot be read is failed too, with why, and never acted on).</returns>
    /// <exception cref="FileNotFoundException">The path does not exist.</exception>
    /// <exception cref="IOException">The journal could not be read.</exception>
    public static IReadOnlyList<RecoveredEdit> Recover(string path) => Recovery.Recover(path);

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
        RefuseDirectory(path, "file");
        using SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
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
        ThrowIf(errno, $"statx of {path}");
        errno = Interop.StatFsPath(path, out Interop.StatFs fs);
        ThrowIf(errno, $"statfs of {path}");
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

    /// <summary>
    /// Opens a file for an edit: read-write, shared. A directory is refused by the contract's
    /// rule, and where the kernel denies the open because the file is immutable, append-only or
    /// on a read-only mount, the exception says which.
    /// </summary>
    /// <exception cref="ContractViolationException">The path is a directory.</exception>
    /// <exception cref="FileNotFoundException">The path does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">No permission, or the file cannot be changed.</exception>
    /// <exception cref="IOException">Any other errno.</exception>
    public static SafeFileHandle OpenForEdit(string path) => OpenForEdit(path, "file");

    internal static SafeFileHandle OpenForEdit(string path, string role)
    {
        RefuseDirectory(path, role);
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException and not FileNotFoundException and not DirectoryNotFoundException)
        {
            // The kernel says only EPERM or EROFS (which .NET reports as a bare IOException);
            // say which attribute or mount is behind it, as the errno mapping would.
            Validate.Writable(FileFacts.OfPath(path, role));
            throw;
        }
    }

    private static void RefuseDirectory(string path, string role)
    {
        ArgumentException.ThrowIfNullOrEmpty(path, role);
        if (Directory.Exists(path))
        {
            throw new ContractViolationException(ContractRule.FileKind, role, $"the {role} {path} is a directory; range operations need regular files");
        }
    }

    private static long CheckPair(FileFacts a, long offsetA, string nameA, FileFacts b, long offsetB, string nameB, long length)
    {
        Validate.NonNegative(offsetA, nameA);
        Validate.NonNegative(offsetB, nameB);
        Validate.Positive(length, "length");
        long bs = Validate.BlockSize(a, b);
        Validate.Aligned(offsetA, nameA, bs);
        Validate.Aligned(offsetB, nameB, bs);
        Validate.Aligned(length, "length", bs);
        Validate.NoOverlap(a, offsetA, b, offsetB, length);
        return bs;
    }

    private static RangeResult Allocate(SafeFileHandle file, long offset, long length, int mode, string name)
    {
        FileFacts f = FileFacts.Of(file, "file");
        Validate.Writable(f);
        Validate.NonNegative(offset, "offset");
        Validate.Positive(length, "length");
        if (offset > long.MaxValue - length)
        {
            throw new ContractViolationException(ContractRule.Range, nameof(offset), $"rule 5 (range): offset {offset} + length {length} overflows a 64-bit offset");
        }
        int errno = Interop.Fallocate(file, mode, offset, length);
        if (Interop.IsNotSupported(errno))
        {
            throw new FileSystemNotSupportedException($"{name} is not supported on {f.FsType} ({Interop.ErrnoName(errno)})", errno);
        }
        ThrowIf(errno, $"fallocate ({name})");
        return new RangeResult(length, RangeMethod.Native, 0);
    }

    private static void ThrowIf(int errno, string what)
    {
        if (errno != 0)
        {
            throw Interop.GetExceptionForErrno(errno, what);
        }
    }
}
