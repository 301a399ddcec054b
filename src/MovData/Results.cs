namespace MovData;

/// <summary>How a Move carried the bytes.</summary>
public enum MoveMethod
{
    // The values are the C ABI's MOVDATA_METHOD_* (movdata.h); a test pins them.
    /// <summary>XFS_IOC_EXCHANGE_RANGE: atomic, no data copied.</summary>
    ExchangeRange = 0,

    /// <summary>FICLONERANGE, then punch the donor: no data copied.</summary>
    ClonePunch = 1,

    /// <summary>copy_file_range (or read/write), then punch the donor: the data was copied.</summary>
    CopyPunch = 2,
}

/// <summary>How a companion operation was carried out.</summary>
public enum RangeMethod
{
    // The values are the C ABI's MOVDATA_SUPPORT_NATIVE, _EMULATED and _COPY (struct
    // movdata_cut_result.method); a test pins them.

    /// <summary>The kernel's own primitive for it.</summary>
    Native = 0,

    /// <summary>Composed from other zero-copy primitives.</summary>
    Emulated = 1,

    /// <summary>By copying data.</summary>
    Copy = 2,
}

/// <summary>How one step of a multi-step edit (<see cref="EditStepResult"/>) was carried out:
/// the companion methods, a clone of whole blocks, or a Move's own method.</summary>
public enum StepMethod
{
    /// <summary>The kernel's own primitive (fallocate COLLAPSE_RANGE or INSERT_RANGE, a rename, a truncate).</summary>
    Native,

    /// <summary>Composed from other zero-copy primitives (a shift by clones through a sidecar file).</summary>
    Emulated,

    /// <summary>FICLONERANGE of whole blocks (partial edge blocks, if any, copied).</summary>
    Clone,

    /// <summary>By copying data.</summary>
    Copy,

    /// <summary>A Move by XFS_IOC_EXCHANGE_RANGE.</summary>
    ExchangeRange,

    /// <summary>A Move by FICLONERANGE, then punching the donor.</summary>
    ClonePunch,

    /// <summary>A Move by copying, then punching the donor.</summary>
    CopyPunch,
}

/// <summary>Whether a filesystem can do an operation, as <see cref="FileRange.Probe(string)"/> reports it.</summary>
public enum Support
{
    // The values are the C ABI's MOVDATA_SUPPORT_* (movdata.h); a test pins them.
    /// <summary>The kernel does it in one primitive.</summary>
    Native = 0,

    /// <summary>Done without copying data, from several primitives.</summary>
    Emulated = 1,

    /// <summary>Done by copying data.</summary>
    Copy = 2,

    /// <summary>Not possible on this filesystem and kernel.</summary>
    Unsupported = 3,
}

/// <summary>The operations <see cref="FileRange.Probe(string)"/> reports on.</summary>
public enum RangeOperation
{
    // The values are the C ABI's MOVDATA_OP_* indices (movdata.h), and their order the
    // order of every probe report (the CLI's, the C struct's); a test pins them.
    /// <summary><see cref="FileRange.Move(Microsoft.Win32.SafeHandles.SafeFileHandle, long, Microsoft.Win32.SafeHandles.SafeFileHandle, long, long, MoveFlags, IProgress{long}?, CancellationToken)"/>.</summary>
    Move = 0,
    /// <summary>FICLONERANGE.</summary>
    Clone = 1,
    /// <summary>XFS_IOC_EXCHANGE_RANGE.</summary>
    Exchange = 2,
    /// <summary>FALLOC_FL_COLLAPSE_RANGE.</summary>
    Collapse = 3,
    /// <summary>FALLOC_FL_INSERT_RANGE.</summary>
    Insert = 4,
    /// <summary>FALLOC_FL_PUNCH_HOLE.</summary>
    Punch = 5,
    /// <summary>FALLOC_FL_ZERO_RANGE.</summary>
    Zero = 6,
    /// <summary>fallocate mode 0.</summary>
    Preallocate = 7,
    /// <summary>Rewrite a file onto fresh contiguous blocks (<see cref="DefragmentMethod"/>).</summary>
    Defragment = 8,
}

/// <summary>The stages every Move goes through, in order; <see cref="MoveIncompleteException.FailedStage"/>
/// names the one that failed. The receiver is made durable before the donor is touched, so a
/// failure at any stage leaves every byte in the donor or the receiver.</summary>
public enum MoveStage
{
    /// <summary>Writing the data into the receiver (exchange, clone or copy).</summary>
    WriteReceiver,

    /// <summary>Making the receiver's new data durable (fsync).</summary>
    SyncReceiver,

    /// <summary>Punching the moved data out of the donor.</summary>
    PunchDonor,

    /// <summary>Making the donor's punch durable (fdatasync).</summary>
    SyncDonor,
}

/// <summary>Options of a Move. The seed reserved its flags field; bits not listed here are refused.</summary>
[Flags]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "Named after the seed's struct mov_data field 'flags'.")]
public enum MoveFlags
{
    /// <summary>Use the best mechanism the filesystem has, copying if nothing better exists.</summary>
    None = 0,

    /// <summary>Refuse (with <see cref="FileSystemNotSupportedException"/>, changing nothing)
    /// where only copying is possible.</summary>
    ZeroCopyOnly = 1,
}

/// <summary>What a Move did.</summary>
/// <param name="MovedLength">Bytes of the range moved, holes included (the seed's moved_len).</param>
/// <param name="Method">How the bytes travelled.</param>
/// <param name="BytesCopied">Bytes of data physically copied (0 unless <see cref="MoveMethod.CopyPunch"/>).</param>
public sealed record MoveResult(long MovedLength, MoveMethod Method, long BytesCopied)
{
    /// <summary>Interrupted edits of these files that were finished, from their journal
    /// records, before this Move began (and damaged records of the same journals, left alone).</summary>
    public IReadOnlyList<RecoveredEdit> Recovered { get; init; } = [];

    /// <summary>Equal when they did the same: <see cref="Recovered"/>, what happened before,
    /// is not compared.</summary>
    public bool Equals(MoveResult? other) => other is not null && MovedLength == other.MovedLength && Method == other.Method && BytesCopied == other.BytesCopied;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(MovedLength, Method, BytesCopied);

    /// <summary>"moved 67108864 bytes by clone-punch, 0 bytes copied" (and the edits finished first, if any).</summary>
    public override string ToString() =>
        $"moved {MovedLength} bytes by {Method.ToContractName()}, {BytesCopied} bytes copied{ContractNames.RecoveredText(Recovered)}";
}

/// <summary>What a companion operation did.</summary>
/// <param name="Length">Bytes of the range handled.</param>
/// <param name="Method">Native, emulated or by copying.</param>
/// <param name="BytesCopied">Bytes of data physically copied.</param>
public sealed record RangeResult(long Length, RangeMethod Method, long BytesCopied)
{
    /// <summary>Interrupted edits of the file that were finished, from their journal records,
    /// before this operation began (and damaged records of the same journal, left alone).</summary>
    public IReadOnlyList<RecoveredEdit> Recovered { get; init; } = [];

    /// <summary>Equal when they did the same: <see cref="Recovered"/>, what happened before,
    /// is not compared.</summary>
    public bool Equals(RangeResult? other) => other is not null && Length == other.Length && Method == other.Method && BytesCopied == other.BytesCopied;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Length, Method, BytesCopied);

    /// <summary>"4096 bytes, native, 0 bytes copied" (and the edits finished first, if any).</summary>
    public override string ToString() =>
        $"{Length} bytes, {Method.ToContractName()}, {BytesCopied} bytes copied{ContractNames.RecoveredText(Recovered)}";
}

/// <summary>How a Defragment rewrote the file: each filesystem's own way of putting a file's
/// bytes on fresh contiguous blocks without a moment where they are lost.</summary>
public enum DefragmentMethod
{
    // The values are the C ABI's MOVDATA_DEFRAG_* (movdata.h); a test pins them.

    /// <summary>Nothing was rewritten: the file is already at its ideal extent count, or no
    /// fresh space could hold it in fewer extents.</summary>
    None = 0,

    /// <summary>XFS with exchange-range: copied into a fresh unnamed file, then swapped in by
    /// XFS_IOC_COMMIT_RANGE, which refuses if the file changed since the copy began.</summary>
    CopyExchange = 1,

    /// <summary>XFS with reflink, the file open elsewhere: copied into a fresh unnamed file,
    /// then FIDEDUPERANGE makes the file share the copy's blocks wherever the bytes are still
    /// the same.</summary>
    CopyDedupe = 2,

    /// <summary>ext4: EXT4_IOC_MOVE_EXT copies into a fresh preallocated donor's blocks and
    /// swaps extents, under the file's lock.</summary>
    MoveExtents = 3,

    /// <summary>btrfs: BTRFS_IOC_DEFRAG_RANGE rewrites small extents copy-on-write.</summary>
    DefragRange = 4,

    /// <summary>XFS with reflink, the file open nowhere else: copied into a fresh unnamed file
    /// under a write lease (any other open waits), then FICLONERANGE makes the file share the
    /// copy's blocks; had anyone opened the file meanwhile, it would have been
    /// <see cref="CopyDedupe"/>.</summary>
    CopyClone = 5,
}

/// <summary>How a Defragment is to be run.</summary>
public sealed record DefragmentOptions
{
    /// <summary>Check and plan everything (support, writers, free space), change nothing: the
    /// result says what would be done.</summary>
    public bool DryRun { get; init; }
}

/// <summary>What a Defragment did (or, for a dry run, would do).</summary>
/// <param name="Method">How the file was rewritten; <see cref="DefragmentMethod.None"/> when it was left as it was.</param>
/// <param name="ExtentsBefore">Data extents of the file before (FIEMAP).</param>
/// <param name="ExtentsAfter">Data extents of the file after.</param>
/// <param name="IdealExtents">The fewest extents this filesystem can hold the file's data in.</param>
/// <param name="BytesCopied">Bytes of data written to fresh blocks (by MovData or by the kernel).</param>
/// <param name="SharedBytesUnshared">Bytes that were shared with another file (reflink,
/// snapshot) and now have blocks of their own: the space the defragment cost.</param>
public sealed record DefragmentResult(DefragmentMethod Method, int ExtentsBefore, int ExtentsAfter, int IdealExtents, long BytesCopied, long SharedBytesUnshared)
{
    /// <summary>Only planned: nothing was changed.</summary>
    public bool DryRun { get; init; }

    /// <summary>The file was left as it was (<see cref="Method"/> is None).</summary>
    public bool Skipped => Method == DefragmentMethod.None;

    /// <summary>Skipped because the file already had no more extents than its ideal.</summary>
    public bool AtIdeal => Skipped && ExtentsBefore <= IdealExtents;

    /// <summary>"copy-dedupe: 4123 extents -> 5 (ideal 4), 1073741824 bytes copied".</summary>
    public override string ToString() => Skipped
        ? $"skipped: {ExtentsBefore} extent{(ExtentsBefore == 1 ? "" : "s")} ({(AtIdeal ? "already at its ideal" : "no fresh space would hold it in fewer")}, ideal {IdealExtents})"
        : $"{(DryRun ? "would defragment by " : "")}{Method.ToContractName()}: {ExtentsBefore} extents -> {(DryRun ? "?" : ExtentsAfter.ToString(System.Globalization.CultureInfo.InvariantCulture))} (ideal {IdealExtents}), {BytesCopied} bytes {(DryRun ? "to copy" : "copied")}" +
          (SharedBytesUnshared > 0 ? $", {SharedBytesUnshared} shared bytes {(DryRun ? "would become" : "became")} exclusive" : "");
}

/// <summary>How fragmented a file is, from <see cref="FileRange.Fragmentation(Microsoft.Win32.SafeHandles.SafeFileHandle)"/>.</summary>
/// <param name="Extents">Data extents (FIEMAP records, unwritten ones not counted).</param>
/// <param name="IdealExtents">The fewest extents this filesystem can hold the data in: each
/// run of data between holes needs its length over the filesystem's longest extent (ext4 and
/// btrfs 128 MiB, XFS one allocation group), rounded up.</param>
/// <param name="DataBytes">Bytes of data (holes not counted): what a defragment copies.</param>
/// <param name="SharedBytes">Bytes of data shared with another file (reflink, snapshot).</param>
public sealed record FragmentationReport(int Extents, int IdealExtents, long DataBytes, long SharedBytes)
{
    /// <summary>0 when the file is at its ideal, rising towards 100 as the extents outnumber
    /// it: 100 × (extents − ideal) / extents, rounded down.</summary>
    public int Score => Extents <= IdealExtents ? 0 : (int)(100L * (Extents - IdealExtents) / Extents);

    /// <summary>No defragment can lower the extent count.</summary>
    public bool AtIdeal => Extents <= IdealExtents;

    /// <summary>"4123 extents, ideal 4, score 99".</summary>
    public override string ToString() => $"{Extents} extents, ideal {IdealExtents}, score {Score}";
}

/// <summary>What a filesystem can do, from <see cref="FileRange.Probe(string)"/>.</summary>
/// <param name="FsType">"xfs", "btrfs", "ext4", "tmpfs", or the statfs magic in hex.</param>
/// <param name="BlockSize">The block size offsets and lengths must be multiples of.</param>
/// <param name="Operations">For each operation, how it would be done here.</param>
public sealed record FileSystemProbe(string FsType, long BlockSize, IReadOnlyDictionary<RangeOperation, Support> Operations)
{
    /// <summary>The filesystem is mounted read-only: every edit fails with EROFS, so every
    /// operation is reported unsupported.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>"xfs, block size 4096: move emulated, clone native, ..." in the operations' order.</summary>
    public override string ToString() =>
        $"{FsType}, block size {BlockSize}{(ReadOnly ? ", read-only" : "")}: " +
        string.Join(", ", Enum.GetValues<RangeOperation>().Where(Operations.ContainsKey).Select(op => $"{op.ToContractName()} {Operations[op].ToContractName()}"));
}

/// <summary>The contract's spellings of the enums, as the CLI and JSON print them.</summary>
public static class ContractNames
{
    /// <summary>"exchange-range", "clone-punch" or "copy-punch".</summary>
    public static string ToContractName(this MoveMethod method) => method switch
    {
        MoveMethod.ExchangeRange => "exchange-range",
        MoveMethod.ClonePunch => "clone-punch",
        _ => "copy-punch",
    };

    /// <summary>"native", "emulated" or "copy".</summary>
    public static string ToContractName(this RangeMethod method) => method switch
    {
        RangeMethod.Native => "native",
        RangeMethod.Emulated => "emulated",
        _ => "copy",
    };

    /// <summary>"native", "emulated", "copy" or "unsupported".</summary>
    public static string ToContractName(this Support support) => support switch
    {
        Support.Native => "native",
        Support.Emulated => "emulated",
        Support.Copy => "copy",
        _ => "unsupported",
    };

    /// <summary>"native", "emulated", "clone", "copy", or a Move's "exchange-range", "clone-punch", "copy-punch".</summary>
    public static string ToContractName(this StepMethod method) => method switch
    {
        StepMethod.Native => "native",
        StepMethod.Emulated => "emulated",
        StepMethod.Clone => "clone",
        StepMethod.Copy => "copy",
        StepMethod.ExchangeRange => "exchange-range",
        StepMethod.ClonePunch => "clone-punch",
        _ => "copy-punch",
    };

    /// <summary>The step method a Move's method is.</summary>
    internal static StepMethod ToStepMethod(this MoveMethod method) => method switch
    {
        MoveMethod.ExchangeRange => StepMethod.ExchangeRange,
        MoveMethod.ClonePunch => StepMethod.ClonePunch,
        _ => StepMethod.CopyPunch,
    };

    /// <summary>A shift's step method as the companion operation reports it.</summary>
    internal static RangeMethod ToRangeMethod(this StepMethod method) => method switch
    {
        StepMethod.Native => RangeMethod.Native,
        StepMethod.Emulated => RangeMethod.Emulated,
        _ => RangeMethod.Copy,
    };

    /// <summary>Reads a step method's contract name back (a journal record's group line).</summary>
    internal static StepMethod? ParseStepMethod(string name) =>
        Enum.GetValues<StepMethod>().Cast<StepMethod?>().FirstOrDefault(m => m!.Value.ToContractName() == name);

    /// <summary>"none", "copy-exchange", "copy-clone", "copy-dedupe", "move-extents" or "defrag-range".</summary>
    public static string ToContractName(this DefragmentMethod method) => method switch
    {
        DefragmentMethod.CopyExchange => "copy-exchange",
        DefragmentMethod.CopyDedupe => "copy-dedupe",
        DefragmentMethod.MoveExtents => "move-extents",
        DefragmentMethod.DefragRange => "defrag-range",
        DefragmentMethod.CopyClone => "copy-clone",
        _ => "none",
    };

    /// <summary>"finished", "discarded", "in-progress" or "failed".</summary>
    public static string ToContractName(this RecoveryOutcome outcome) => outcome switch
    {
        RecoveryOutcome.Finished => "finished",
        RecoveryOutcome.Discarded => "discarded",
        RecoveryOutcome.InProgress => "in-progress",
        _ => "failed",
    };

    /// <summary>"; before it, from the journal: move finished", or "" when there was nothing:
    /// how the results' ToString tell of <c>Recovered</c>.</summary>
    internal static string RecoveredText(IReadOnlyList<RecoveredEdit> recovered) =>
        recovered.Count == 0 ? "" : $"; before it, from the journal: {string.Join(", ", recovered.Select(r => $"{r.Edit} {r.Outcome.ToContractName()}"))}";

    /// <summary>"writing the receiver", "syncing the receiver", "punching the donor" or "syncing the donor".</summary>
    public static string ToContractName(this MoveStage stage) => stage switch
    {
        MoveStage.WriteReceiver => "writing the receiver",
        MoveStage.SyncReceiver => "syncing the receiver",
        MoveStage.PunchDonor => "punching the donor",
        _ => "syncing the donor",
    };

    /// <summary>"move", "clone", "exchange", "collapse", "insert", "punch", "zero", "prealloc" or
    /// "defrag": the CLI's verbs, and the keys of its probe JSON.</summary>
    public static string ToContractName(this RangeOperation operation) => operation switch
    {
        RangeOperation.Move => "move",
        RangeOperation.Clone => "clone",
        RangeOperation.Exchange => "exchange",
        RangeOperation.Collapse => "collapse",
        RangeOperation.Insert => "insert",
        RangeOperation.Punch => "punch",
        RangeOperation.Zero => "zero",
        RangeOperation.Preallocate => "prealloc",
        _ => "defrag",
    };

    /// <summary>"data", "hole" or "unwritten".</summary>
    public static string ToContractName(this SegmentKind kind) => kind switch
    {
        SegmentKind.Data => "data",
        SegmentKind.Unwritten => "unwritten",
        _ => "hole",
    };
}

/// <summary>One step of a multi-step edit as the caller sees it.</summary>
/// <param name="Step">The step's name: a splice's "insert", "move", "collapse"; a concat's
/// "create", "part-1", "part-2", ..., "rename"; a cut's "cut" and "save".</param>
/// <param name="Method">How it was done.</param>
/// <param name="BytesCopied">Bytes of data physically copied by the step (edge blocks included).</param>
public sealed record EditStepResult(string Step, StepMethod Method, long BytesCopied)
{
    /// <summary>"move: clone-punch, 0 bytes copied".</summary>
    public override string ToString() => $"{Step}: {Method.ToContractName()}, {BytesCopied} bytes copied";
}

/// <summary>
/// How far a multi-step edit (Splice, Concat, Collapse, Insert, a cut) has got: bytes of data
/// its steps have transferred (copied, cloned or moved), of all its plan transfers. The plan
/// decides the total, so it is told with each report: a collapse that one fallocate does has
/// nothing to transfer, the same collapse on tmpfs copies the file's tail twice.
/// </summary>
/// <param name="Done">Bytes transferred so far; never more than <paramref name="Total"/>.</param>
/// <param name="Total">Bytes the whole edit transfers; the same in every report of one edit.</param>
public readonly record struct EditProgress(long Done, long Total);

/// <summary>What a multi-step edit (Splice, Concat) did, step by step.</summary>
/// <param name="Steps">The steps in the order they ran.</param>
public sealed record EditResult(IReadOnlyList<EditStepResult> Steps)
{
    /// <summary>Bytes of data physically copied, all steps together.</summary>
    public long BytesCopied => Steps.Sum(s => s.BytesCopied);

    /// <summary>"insert: native, 0 bytes copied; move: clone-punch, 0 bytes copied; collapse: native, 0 bytes copied"
    /// (and the edits finished first, if any).</summary>
    public override string ToString() => string.Join("; ", Steps) + ContractNames.RecoveredText(Recovered);

    /// <summary>Interrupted edits of these files that were finished, from their journal
    /// records, before this edit began (and damaged records of the same journals, left alone).</summary>
    public IReadOnlyList<RecoveredEdit> Recovered { get; init; } = [];
}

/// <summary>What became of one interrupted edit found by <see cref="FileRange.Recover(string)"/>.</summary>
public enum RecoveryOutcome
{
    /// <summary>Its remaining steps were run: the files are as the edit makes them.</summary>
    Finished,

    /// <summary>It had not changed the caller's files; what it had built aside was removed.</summary>
    Discarded,

    /// <summary>Another process is running it now; it was left alone.</summary>
    InProgress,

    /// <summary>It could not be finished (see the detail); its record is kept.</summary>
    Failed,
}

/// <summary>One journal record <see cref="FileRange.Recover(string)"/> dealt with.</summary>
/// <param name="Record">The record's path.</param>
/// <param name="Edit">"move", "splice", "collapse", "insert" or "concat".</param>
/// <param name="Outcome">What was done.</param>
/// <param name="Detail">The files involved, or why it failed.</param>
public sealed record RecoveredEdit(string Record, string Edit, RecoveryOutcome Outcome, string Detail);

/// <summary>One part of a <see cref="FileRange.Concat(string, IReadOnlyList{ConcatPart}, bool, MoveFlags, IProgress{EditProgress}?, CancellationToken)"/>.</summary>
/// <param name="Path">The file.</param>
/// <param name="Offset">Where the part starts in it.</param>
/// <param name="Length">How long it is; null for the rest of the file.</param>
public sealed record ConcatPart(string Path, long Offset = 0, long? Length = null);
