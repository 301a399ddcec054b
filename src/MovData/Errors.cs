namespace MovData;

/// <summary>
/// The filesystem (or this pair of files) cannot do the operation under the caller's
/// constraints: for example XFS exchange-range on ext4, or a Move with
/// <see cref="MoveFlags.ZeroCopyOnly"/> where only copying is possible. Nothing was changed.
/// </summary>
public sealed class FileSystemNotSupportedException : NotSupportedException
{
    /// <summary>Creates the exception.</summary>
    public FileSystemNotSupportedException() { }

    /// <summary>Creates the exception with a message.</summary>
    public FileSystemNotSupportedException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the cause.</summary>
    public FileSystemNotSupportedException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception for the kernel's answer <paramref name="errno"/>.</summary>
    public FileSystemNotSupportedException(string message, int errno) : base(message) => Errno = errno;

    /// <summary>The kernel's errno (EOPNOTSUPP, ENOTTY, EXDEV, ENOSYS), or 0 when MovData
    /// refused before asking the kernel.</summary>
    public int Errno { get; }
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
/// the first <see cref="MoveResult.MovedLength"/> bytes of the range are in the receiver and
/// a hole in the donor; the rest is still in the donor. No byte was lost.
/// <see cref="Exception.InnerException"/> is the operating system's error.
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

    /// <summary>Creates the exception with the progress made.</summary>
    public MoveIncompleteException(MoveResult result, Exception innerException)
        : base($"move stopped after {result.MovedLength} bytes ({result.Method.ToContractName()}): {innerException.Message}", innerException)
    {
        Result = result;
        HResult = innerException.HResult;
    }

    /// <summary>What was done before the failure.</summary>
    public MoveResult Result { get; }
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
