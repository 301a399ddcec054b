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
public static partial class FileRange
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
    /// <param name="progress">Told the bytes of the range carried so far (a copy reports as it
    /// copies, before each chunk's commit: if the Move then fails, its MovedLength, not the
    /// last report, says what was moved).</param>
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
        MoveFlags flags = MoveFlags.None, IProgress<EditProgress>? progress = null, CancellationToken cancellationToken = default) =>
        SpliceEdit.Run(donor, donorOffset, receiver, receiverOffset, length, flags, progress, cancellationToken);

    /// <summary>Path form of <see cref="Splice(SafeFileHandle, long, SafeFileHandle, long, long, MoveFlags, IProgress{EditProgress}?, CancellationToken)"/>.</summary>
    /// <exception cref="FileNotFoundException">A path does not exist.</exception>
    /// <exception cref="ContractViolationException">As the handle form, or a path is a directory.</exception>
    /// <exception cref="FileSystemNotSupportedException">As the handle form.</exception>
    /// <exception cref="UnauthorizedAccessException">As the handle form.</exception>
    /// <exception cref="EditIncompleteException">As the handle form.</exception>
    public static EditResult Splice(string donorPath, long donorOffset, string receiverPath, long receiverOffset, long length,
        MoveFlags flags = MoveFlags.None, IProgress<EditProgress>? progress = null, CancellationToken cancellationToken = default)
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
        IProgress<EditProgress>? progress = null, CancellationToken cancellationToken = default) =>
        ConcatEdit.Run(output, parts, move, flags, progress, cancellationToken);

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

    /// <summary>Opens a file to read a range from (a clone's source, a concat's part): read-only,
    /// shared; a directory is refused by the contract's rule.</summary>
    internal static SafeFileHandle OpenForRead(string path, string role)
    {
        RefuseDirectory(path, role);
        return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
    }

    private static void RefuseDirectory(string path, string role)
    {
        ArgumentException.ThrowIfNullOrEmpty(path, role);
        if (Directory.Exists(path))
        {
            throw new ContractViolationException(ContractRule.FileKind, role, $"the {role} {path} is a directory; range operations need regular files");
        }
    }
}
