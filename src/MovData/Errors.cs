namespace MovData;

/// <summary>
/// The filesystem (or this pair of files) cannot do the operation under the caller's
/// constraints: for example XFS exchange-range on ext4, or a Move with
/// <see cref="MoveFlags.ZeroCopyOnly"/> where only copying is possible. Nothing was changed.
/// </summary>
public sealed class FileSystemNotSupportedException : NotSupportedException
{
    private const int EOPNOTSUPP = 95;

    /// <summary>Creates the exception.</summary>
    public FileSystemNotSupportedException() { }

    /// <summary>Creates the exception with a message: MovData's own refusal, EOPNOTSUPP.</summary>
    public FileSystemNotSupportedException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the cause.</summary>
    public FileSystemNotSupportedException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception for the kernel's answer <paramref name="errno"/>.</summary>
    public FileSystemNotSupportedException(string message, int errno) : base(message) => Errno = errno != 0 ? errno : EOPNOTSUPP;

    /// <summary>The kernel's errno (EOPNOTSUPP, ENOTTY, EXDEV, ENOSYS), or EOPNOTSUPP where
    /// MovData refused without asking the kernel (ZeroCopyOnly where only copying would do, a
    /// feature it already knows the filesystem lacks): never 0, so a caller can pass it on as
    /// the C ABI does.</summary>
    public int Errno { get; } = EOPNOTSUPP;
}

/// <summary>The rule of the contract (docs/contract.md) a refused call broke.</summary>
public enum ContractRule
{
    /// <summary>Rule 1: offsets and length are multiples of the block size, length &gt; 0.</summary>
    Alignment = 1,

    /// <summary>Rule 2: the receiver range is a hole (unwritten extents count as hole).</summary>
    ReceiverNotHole = 2,

    /// <summary>Rule 5: the ranges lie within both files' sizes (and do not overflow).</summary>
    Range = 5,

    /// <summary>An offset or length is negative.</summary>
    Negative = 10,

    /// <summary>A flag bit this version does not know.</summary>
    Flags = 11,

    /// <summary>The same file, with overlapping ranges.</summary>
    Overlap = 12,

    /// <summary>Not a regular file (a directory, a FIFO, a device).</summary>
    FileKind = 13,

    /// <summary>The handle was not opened the way the operation needs (read-write, no O_APPEND).</summary>
    OpenMode = 14,
}

/// <summary>
/// The caller broke a rule of the contract. Raised before anything is changed; the message
/// names the rule, the offending value and the block size.
/// </summary>
public sealed class ContractViolationException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public ContractViolationException() { }

    /// <summary>Creates the exception with a message.</summary>
    public ContractViolationException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the cause.</summary>
    public ContractViolationException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception for a broken <paramref name="rule"/>.</summary>
    public ContractViolationException(ContractRule rule, string paramName, string message)
        : base(message, paramName)
    {
        Rule = rule;
        _ruleMessage = message;
    }

    private readonly string? _ruleMessage;

    /// <summary>The rule that was broken.</summary>
    public ContractRule Rule { get; }

    /// <summary>The rule, the value and the block size, without ArgumentException's
    /// "(Parameter ...)" suffix: <see cref="ArgumentException.ParamName"/> has that.</summary>
    public override string Message => _ruleMessage ?? base.Message;
}

/// <summary>
/// A Move failed part-way (I/O error, no space). <see cref="Result"/> says how far it got:
/// the first <see cref="MoveResult.MovedLength"/> bytes of the range are durable in the
/// receiver and punched from the donor; <see cref="FailedStage"/> is what failed. No byte was
/// lost: where <see cref="RecoveryPending"/> is false the rest of the range is still in the
/// donor and a hole in the receiver; where it is true the files are not yet in that state (a
/// chunk is in both, or the donor's punch may not be durable), the Move's journal record is
/// kept, and <see cref="FileRange.Recover(string)"/> (or the next edit of either file)
/// finishes the Move. <see cref="Exception.InnerException"/> is the operating system's error.
/// </summary>
public sealed class MoveIncompleteException : IOException
{
    /// <summary>Creates the exception.</summary>
    public MoveIncompleteException() => Result = new MoveResult(0, MoveMethod.CopyPunch, 0);

    /// <summary>Creates the exception with a message.</summary>
    public MoveIncompleteException(string message) : base(message) => Result = new MoveResult(0, MoveMethod.CopyPunch, 0);

    /// <summary>Creates the exception with a message and the cause.</summary>
    public MoveIncompleteException(string message, Exception innerException)
        : base(message, innerException) => Result = new MoveResult(0, MoveMethod.CopyPunch, 0);

    /// <summary>Creates the exception with the progress made, the files consistent.</summary>
    public MoveIncompleteException(MoveResult result, Exception innerException)
        : this(result, MoveStage.WriteReceiver, recoveryPending: false, innerException)
    {
    }

    /// <summary>Creates the exception with the progress made, the stage that failed and
    /// whether recovery must still finish the Move.</summary>
    public MoveIncompleteException(MoveResult result, MoveStage failedStage, bool recoveryPending, Exception innerException)
        : this(result, failedStage, recoveryPending, innerException, Describe(result, failedStage, recoveryPending, innerException))
    {
    }

    private MoveIncompleteException(MoveResult result, MoveStage failedStage, bool recoveryPending, Exception innerException, string message)
        : base(message, innerException)
    {
        ArgumentNullException.ThrowIfNull(result);
        Result = result;
        FailedStage = failedStage;
        RecoveryPending = recoveryPending;
        HResult = innerException.HResult;
    }

    /// <summary>What was done before the failure: <see cref="MoveResult.MovedLength"/> bytes
    /// are durable in the receiver and punched from the donor.</summary>
    public MoveResult Result { get; }

    /// <summary>The stage of the Move that failed.</summary>
    public MoveStage FailedStage { get; }

    /// <summary>True when the files are not yet as <see cref="Result"/> says and the Move's
    /// journal record is kept for recovery to finish it; false when they are (the rest of the
    /// range in the donor, a hole in the receiver).</summary>
    public bool RecoveryPending { get; }

    /// <summary>The same failure with a word on where the journal record is (or that none
    /// could be kept).</summary>
    internal MoveIncompleteException WithNote(string note) =>
        new(Result, FailedStage, RecoveryPending, InnerException!, $"{Message}; {note}");

    /// <summary>The same failure, recovery pending after all: its record could not be
    /// removed, so recovery will finish the Move.</summary>
    internal MoveIncompleteException AsPending(string note) =>
        new(Result, FailedStage, recoveryPending: true, InnerException!,
            $"{Describe(Result, FailedStage, pending: true, InnerException!)}; {note}");

    private static string Describe(MoveResult result, MoveStage stage, bool pending, Exception inner)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(inner);
        string state = pending
            ? "no byte is lost, but the files are not yet consistent: recovery finishes the move"
            : "the rest is still in the donor";
        return $"move stopped after {result.MovedLength} bytes ({result.Method.ToContractName()}) while {stage.ToContractName()}: {inner.Message}; {state}";
    }
}

/// <summary>
/// A cut found an interrupted edit of its recording in the journal (one killed part-way, or
/// stopped by a crash) and finished it first, which changed the recording; so it did not go
/// on, since the ranges it was given were in the recording's times as it was before. Nothing
/// else changed. <see cref="Recovered"/> says what was finished; asked again of the recording
/// as it now is, the cut goes ahead.
/// </summary>
public sealed class InterruptedEditFinishedException : IOException
{
    /// <summary>Creates the exception.</summary>
    public InterruptedEditFinishedException() { }

    /// <summary>Creates the exception with a message.</summary>
    public InterruptedEditFinishedException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the cause.</summary>
    public InterruptedEditFinishedException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception with a message and the edits finished.</summary>
    public InterruptedEditFinishedException(string message, IReadOnlyList<RecoveredEdit> recovered) : base(message) => Recovered = recovered;

    /// <summary>The interrupted edits that were finished.</summary>
    public IReadOnlyList<RecoveredEdit> Recovered { get; } = [];
}

/// <summary>
/// A multi-step edit (splice, concat, an emulated collapse or insert) stopped part-way on an
/// operating-system error. Nothing is lost: its journal record is kept, and
/// <see cref="FileRange.Recover(string)"/> (or the next edit of the same files) finishes it
/// once the cause (no space, say) is gone. <see cref="Exception.InnerException"/> is the cause.
/// </summary>
public sealed class EditIncompleteException : IOException
{
    /// <summary>Creates the exception.</summary>
    public EditIncompleteException() { }

    /// <summary>Creates the exception with a message.</summary>
    public EditIncompleteException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the cause.</summary>
    public EditIncompleteException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>
/// A long Move or edit was cancelled through its <see cref="CancellationToken"/>. It stopped at
/// a step boundary with the files consistent: <see cref="Done"/> of <see cref="Total"/> bytes
/// were done, and the rest is kept in the edit's journal record, so that
/// <see cref="FileRange.Recover(string)"/> (or the next edit of these files) finishes it.
/// Cancelled before anything changed, an operation throws a plain
/// <see cref="OperationCanceledException"/> instead.
/// </summary>
public sealed class EditInterruptedException : OperationCanceledException
{
    /// <summary>Creates the exception.</summary>
    public EditInterruptedException() { }

    /// <summary>Creates the exception with a message.</summary>
    public EditInterruptedException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the cause.</summary>
    public EditInterruptedException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception for an edit that stopped after <paramref name="done"/>
    /// of <paramref name="total"/> <paramref name="unit"/> ("bytes" or "steps"), its record
    /// kept in <paramref name="journalDirectory"/>.</summary>
    public EditInterruptedException(string edit, long done, long total, string unit, string journalDirectory, CancellationToken token)
        : base($"{edit} interrupted after {done} of {total} {unit}; the rest is recorded: `movdata recover {Path.GetDirectoryName(journalDirectory)}` finishes it", token)
    {
        Edit = edit;
        Done = done;
        Total = total;
        Unit = unit;
        JournalDirectory = journalDirectory;
    }

    /// <summary>What <see cref="Done"/> and <see cref="Total"/> count: "bytes" (a Move) or
    /// "steps" (a multi-step edit).</summary>
    public string Unit { get; } = "bytes";

    /// <summary>"move", "splice", "collapse", "insert", "concat" or "cut".</summary>
    public string Edit { get; } = "";

    /// <summary>How much of the edit was done when it stopped.</summary>
    public long Done { get; }

    /// <summary>How much the whole edit does.</summary>
    public long Total { get; }

    /// <summary>The journal directory that holds the record of the rest.</summary>
    public string JournalDirectory { get; } = "";
}

/// <summary>The operating system's error numbers behind MovData's exceptions, as a kernel
/// ioctl would return them: the C ABI returns them negated, the CLI prints their names.</summary>
public static class Errno
{
    /// <summary>The errno of a failure: the kernel's where it answered, EINVAL for a broken
    /// rule or bad input, EOPNOTSUPP for a refusal of the filesystem, ECANCELED for an
    /// interruption, EIO where nothing better is known.</summary>
    public static int Of(Exception exception) => exception switch
    {
        null => 0,
        EditIncompleteException { InnerException: Exception cause } => Of(cause),
        MoveIncompleteException { InnerException: Exception cause } => Of(cause),
        OperationCanceledException => Native.Interop.ECANCELED,
        InterruptedEditFinishedException => Native.Interop.EAGAIN, // not made: asked again of the file as it now is, it goes ahead
        ContractViolationException or ArgumentException or InvalidDataException => Native.Interop.EINVAL,
        FileSystemNotSupportedException ns => ns.Errno,
        NotSupportedException => Native.Interop.EOPNOTSUPP,
        UnauthorizedAccessException ua => ua.InnerException is IOException inner && IsErrno(inner.HResult) ? inner.HResult : Native.Interop.EPERM,
        FileNotFoundException or DirectoryNotFoundException => Native.Interop.ENOENT,
        IOException io when IsErrno(io.HResult) => io.HResult,
        _ => Native.Interop.EIO,
    };

    /// <summary>"ENOSPC", "EIO", ...: the C name of <paramref name="errno"/>, or its number.</summary>
    public static string NameOf(int errno) => Native.Interop.ErrnoName(errno);

    private static bool IsErrno(int value) => value is > 0 and < 4096;
}
