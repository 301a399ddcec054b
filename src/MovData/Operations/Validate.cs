using Microsoft.Win32.SafeHandles;
using MovData.Native;

namespace MovData.Operations;

/// <summary>
/// The one validator every operation uses, so a rule is checked, worded and tested once.
/// Every check here runs before the first change.
/// </summary>
internal static class Validate
{
    internal static void Regular(FileFacts f)
    {
        if (!f.IsRegular)
        {
            string kind = (f.Mode & Interop.S_IFMT) == Interop.S_IFDIR ? "a directory" : "not a regular file";
            throw new ContractViolationException(ContractRule.FileKind, f.Role, $"the {f.Role} is {kind}; range operations need regular files");
        }
    }

    /// <summary>The file will be changed: a read-write handle, no O_APPEND, not immutable or
    /// append-only, not on a read-only mount.</summary>
    internal static void Writable(FileFacts f)
    {
        Regular(f);
        if ((f.OpenFlags & Interop.O_ACCMODE) != Interop.O_RDWR)
        {
            throw new ContractViolationException(ContractRule.OpenMode, f.Role, $"the {f.Role} handle must be opened for reading and writing");
        }
        if ((f.OpenFlags & Interop.O_APPEND) != 0)
        {
            throw new ContractViolationException(ContractRule.OpenMode, f.Role, $"the {f.Role} handle is opened with O_APPEND, which forbids changing ranges");
        }
        if (f.Immutable)
        {
            throw Denied($"the {f.Role} is immutable (chattr +i): EPERM", Interop.EPERM);
        }
        if (f.AppendOnly)
        {
            throw Denied($"the {f.Role} is append-only (chattr +a): EPERM", Interop.EPERM);
        }
        if (f.ReadOnlyMount)
        {
            throw Denied($"the {f.Role} is on a read-only mount: EROFS", Interop.EROFS);
        }
    }

    /// <summary>As the errno mapping makes them: the errno rides along in the inner exception.</summary>
    private static UnauthorizedAccessException Denied(string message, int errno) => new(message, new IOException(message, errno));

    /// <summary>The file is only read: a handle opened for reading.</summary>
    internal static void Readable(FileFacts f)
    {
        Regular(f);
        if ((f.OpenFlags & Interop.O_ACCMODE) == Interop.O_WRONLY)
        {
            throw new ContractViolationException(ContractRule.OpenMode, f.Role, $"the {f.Role} handle must be opened for reading");
        }
    }

    internal static void NonNegative(long value, string name)
    {
        if (value < 0)
        {
            throw new ContractViolationException(ContractRule.Negative, name, $"{name} {value} is negative");
        }
    }

    internal static void Positive(long length, string name)
    {
        if (length <= 0)
        {
            throw new ContractViolationException(ContractRule.Alignment, name, $"rule 1 (alignment): {name} must be greater than 0, got {length}");
        }
    }

    internal static void Aligned(long value, string name, long blockSize)
    {
        if (value % blockSize != 0)
        {
            throw new ContractViolationException(ContractRule.Alignment, name,
                $"rule 1 (alignment): {name} {value} is not a multiple of the block size {blockSize}");
        }
    }

    // ---- rule 5 (range): every range refusal of every operation is written here ----

    /// <summary>The one way a rule-5 refusal is made: "rule 5 (range): " and the sentence.</summary>
    internal static ContractViolationException OutOfRange(string parameter, string message) =>
        new(ContractRule.Range, parameter, $"rule 5 (range): {message}");

    /// <summary>offset + length fits in a 64-bit offset.</summary>
    internal static void NoOverflow(long offset, long length, string offsetName)
    {
        if (offset > long.MaxValue - length)
        {
            throw OutOfRange(offsetName, $"{offsetName} {offset} + length {length} overflows a 64-bit offset");
        }
    }

    /// <summary>[offset, offset+length) lies within the file, without overflowing;
    /// <paramref name="what"/> names the file where its role does not say enough (a concat's part).</summary>
    internal static void WithinSize(FileFacts f, long offset, long length, string offsetName, long blockSize = 0, string? what = null)
    {
        NoOverflow(offset, length, offsetName);
        if (offset + length > f.Size)
        {
            string block = blockSize > 0 ? $"; block size {blockSize}" : "";
            throw OutOfRange(offsetName, $"{offsetName} {offset} + length {length} = {offset + length} is past the end of the {what ?? f.Role} ({f.Size} bytes{block})");
        }
    }

    /// <summary>A collapse's range ends before the end of the file (one that reaches it is a truncate).</summary>
    internal static void EndsBeforeEnd(FileFacts f, long offset, long length, string offsetName)
    {
        if (offset > long.MaxValue - length || offset + length >= f.Size)
        {
            throw OutOfRange(offsetName,
                $"collapse needs offset + length < size; {offset} + {length} reaches the end of the {f.Role} ({f.Size} bytes; block size {f.BlockSize}); truncate instead");
        }
    }

    /// <summary>The file can grow by <paramref name="length"/> at <paramref name="offset"/>: the
    /// offset is inside it (or, where <paramref name="mayAppend"/>, at its end), and the new size
    /// fits in 64 bits.</summary>
    internal static void CanGrowAt(FileFacts f, long offset, long length, string offsetName, bool mayAppend)
    {
        if (mayAppend ? offset > f.Size : offset >= f.Size)
        {
            throw OutOfRange(offsetName, mayAppend
                ? $"{offsetName} {offset} is past the end of the {f.Role} ({f.Size} bytes)"
                : $"insert needs offset < size; {offset} is at or past the end of the {f.Role} ({f.Size} bytes); extend with truncate instead");
        }
        if (f.Size > long.MaxValue - length)
        {
            throw OutOfRange(nameof(length), $"size {f.Size} + length {length} overflows a 64-bit offset");
        }
    }

    /// <summary>A new file will be made at <paramref name="path"/>: nothing may be there. The
    /// refusal is an IOException with EEXIST: "<paramref name="shownPath"/> exists; " and
    /// <paramref name="because"/>.</summary>
    internal static void Absent(string path, string shownPath, string because)
    {
        if (File.Exists(path) || Directory.Exists(path))
        {
            throw new IOException($"{shownPath} exists; {because}", Interop.EEXIST);
        }
    }

    internal static void NoOverlap(FileFacts a, long offsetA, FileFacts b, long offsetB, long length)
    {
        if (a.SameFileAs(b) && offsetA < offsetB + length && offsetB < offsetA + length)
        {
            throw new ContractViolationException(ContractRule.Overlap, nameof(length),
                $"the {a.Role} and {b.Role} are the same file and [{offsetA}, {offsetA + length}) overlaps [{offsetB}, {offsetB + length})");
        }
    }

    internal static void KnownFlags(MoveFlags flags)
    {
        if ((flags & ~MoveFlags.ZeroCopyOnly) != 0)
        {
            throw new ContractViolationException(ContractRule.Flags, nameof(flags),
                $"flags 0x{(int)flags:x} has bits this version does not know (known: 0x{(int)MoveFlags.ZeroCopyOnly:x})");
        }
    }

    /// <summary>The larger block size of the files involved: offsets must suit both.</summary>
    /// <summary>The checks a Move and a Splice share, before any lock: flags, both files
    /// writable regular files, offsets not negative, a length above 0. Returns their facts.</summary>
    internal static (FileFacts Donor, FileFacts Receiver) DonorAndReceiver(SafeFileHandle donor, long donorOffset, SafeFileHandle receiver, long receiverOffset, long length, MoveFlags flags)
    {
        KnownFlags(flags);
        FileFacts d = FileFacts.Of(donor, "donor");
        FileFacts r = FileFacts.Of(receiver, "receiver");
        Writable(d);
        Writable(r);
        NonNegative(donorOffset, "donorOffset");
        NonNegative(receiverOffset, "receiverOffset");
        Positive(length, "length");
        return (d, r);
    }

    internal static long BlockSize(FileFacts a, FileFacts b) => Math.Max(a.BlockSize, b.BlockSize);

    /// <summary>The checks a Clone and an Exchange share: offsets not negative, a length above
    /// 0, all three multiples of the larger block size, no overlap. Returns that block size.</summary>
    internal static long Pair(FileFacts a, long offsetA, string nameA, FileFacts b, long offsetB, string nameB, long length)
    {
        NonNegative(offsetA, nameA);
        NonNegative(offsetB, nameB);
        Positive(length, "length");
        long bs = BlockSize(a, b);
        Aligned(offsetA, nameA, bs);
        Aligned(offsetB, nameB, bs);
        Aligned(length, "length", bs);
        NoOverlap(a, offsetA, b, offsetB, length);
        return bs;
    }
}
