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
    /// <summary>Copy to fresh space, exchange in.</summary>
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

/// <summary>What a Defragment did.</summary>
/// <param name="ExtentsBefore">Data extents of the file before.</param>
/// <param name="ExtentsAfter">Data extents of the file after.</param>
/// <param name="BytesCopied">Bytes of data copied into the fresh space.</param>
public sealed record DefragmentResult(int ExtentsBefore, int ExtentsAfter, long BytesCopied)
{
    /// <summary>"12 extents -> 1, 8388608 bytes copied".</summary>
    public override string ToString() => $"{ExtentsBefore} extents -> {ExtentsAfter}, {BytesCopied} bytes copied";
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
