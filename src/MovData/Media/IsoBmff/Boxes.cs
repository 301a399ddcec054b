using System.Buffers.Binary;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace MovData.Media.IsoBmff;

/// <summary>
/// One box (ISO/IEC 14496-12 §4.2): where it begins, how long its header is (8, 16 with a
/// 64-bit size, 4 more for a full box's version and flags is the payload's business), and its
/// whole size. Offsets are absolute in the file, or relative to a buffer read from it.
/// </summary>
internal readonly record struct Box(long Offset, uint Type, int HeaderSize, long Size)
{
    internal long End => Offset + Size;

    internal long PayloadOffset => Offset + HeaderSize;

    internal long PayloadSize => Size - HeaderSize;

    internal string Name => FourCc.Text(Type);
}

/// <summary>Four-character codes as the big-endian integers boxes carry.</summary>
internal static class FourCc
{
    internal static uint Of(string code) => BinaryPrimitives.ReadUInt32BigEndian(Encoding.Latin1.GetBytes(code));

    /// <summary>"avc1"; a code with bytes that are not printable shows them in hex.</summary>
    internal static string Text(uint code)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, code);
        foreach (byte c in b)
        {
            if (c < 0x20 || c > 0x7E)
            {
                return $"0x{code:x8}";
            }
        }
        return Encoding.Latin1.GetString(b);
    }

    internal static readonly uint Ftyp = Of("ftyp"), Moov = Of("moov"), Mdat = Of("mdat"), Free = Of("free"), Skip = Of("skip"),
        Wide = Of("wide"), Moof = Of("moof"), Mfra = Of("mfra"), Sidx = Of("sidx"), Pnot = Of("pnot"), Styp = Of("styp");
}

/// <summary>Reading box headers: at the top level of a file (one small read a box, never the
/// payload), and inside a buffer already read (a <c>moov</c>, a <c>moof</c>).</summary>
internal static class Boxes
{
    /// <summary>The header of the box at <paramref name="offset"/> of <paramref name="data"/>,
    /// whose boxes must end by <paramref name="end"/> (size 0 reaches it); null if fewer than 8
    /// bytes are left. <paramref name="problem"/> says what is wrong with a header that is
    /// there but cannot be a box (a size under its header's, one past
    /// <paramref name="end"/>), and the box is then returned with the size it claims.</summary>
    internal static Box? Header(ReadOnlySpan<byte> data, long offset, long end, out string? problem)
    {
        problem = null;
        if (end - offset < 8 || data.Length < 8)
        {
            return null;
        }
        long size = BinaryPrimitives.ReadUInt32BigEndian(data);
        uint type = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
        int header = 8;
        if (size == 1)
        {
            if (end - offset < 16 || data.Length < 16)
            {
                problem = "its 64-bit size is cut off";
                return new Box(offset, type, 16, end - offset);
            }
            ulong large = BinaryPrimitives.ReadUInt64BigEndian(data[8..]);
            size = large > long.MaxValue ? long.MaxValue : (long)large;
            header = 16;
        }
        else if (size == 0)
        {
            size = end - offset;
        }
        if (size < header)
        {
            problem = $"its size {size} is less than its {header}-byte header";
        }
        else if (size > end - offset)
        {
            problem = $"it claims {size} bytes but only {end - offset} are left";
        }
        return new Box(offset, type, header, size);
    }

    /// <summary>The boxes at the top level of a file, read header by header (16 bytes each).
    /// A box that cannot be one, or runs past the end, is the last one listed, with
    /// <paramref name="problem"/> saying what is wrong with it (else null).</summary>
    internal static List<Box> TopLevel(SafeFileHandle file, long size, out string? problem, CancellationToken cancel)
    {
        var boxes = new List<Box>();
        Span<byte> buffer = stackalloc byte[16];
        long offset = 0;
        problem = null;
        while (offset < size)
        {
            cancel.ThrowIfCancellationRequested();
            int read = MediaReads.Read(file, buffer, offset);
            if (Header(buffer[..read], offset, size, out problem) is not { } box)
            {
                break; // a leftover under 8 bytes at the end: not a box, and readers stop there
            }
            boxes.Add(box);
            if (problem is not null)
            {
                break;
            }
            offset = box.End;
        }
        return boxes;
    }

    /// <summary>The boxes inside <paramref name="parent"/>'s payload (from
    /// <paramref name="skip"/> bytes into it, past a full box's fields or a sample entry's),
    /// with offsets in <paramref name="buffer"/> as <paramref name="parent"/>'s are. A
    /// leftover under 8 bytes at the end is not a box and is passed over, as ffmpeg does.</summary>
    /// <exception cref="InvalidDataException">A child does not fit in its parent: the parent was cut short.</exception>
    internal static List<Box> Children(ReadOnlySpan<byte> buffer, Box parent, string path, int skip = 0)
    {
        var children = new List<Box>();
        long offset = parent.PayloadOffset + skip;
        while (offset + 8 <= parent.End)
        {
            Box child = Header(buffer[(int)offset..(int)parent.End], offset, parent.End, out string? problem)!.Value;
            if (problem is not null)
            {
                throw new InvalidDataException($"the '{child.Name}' box in {path} is damaged: {problem} (a truncated or corrupt moov)");
            }
            children.Add(child);
            offset = child.End;
        }
        return children;
    }
}

/// <summary>Big-endian fields read in order from one box's payload; reading past its end is
/// a box cut short, and says which.</summary>
internal ref struct FieldReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly string _path;
    private int _at;

    /// <summary>Reads <paramref name="box"/>'s payload in <paramref name="buffer"/> (offsets as the box's).</summary>
    internal FieldReader(ReadOnlySpan<byte> buffer, Box box, string path)
    {
        _data = buffer[(int)box.PayloadOffset..(int)box.End];
        _path = path;
    }

    internal readonly int Remaining => _data.Length - _at;

    /// <summary>A full box's version and flags.</summary>
    internal (byte Version, uint Flags) FullBox()
    {
        uint v = U32();
        return ((byte)(v >> 24), v & 0xFFFFFF);
    }

    internal byte U8() => Take(1)[0];

    internal ushort U16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    internal uint U32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    internal int I32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    internal ulong U64() => BinaryPrimitives.ReadUInt64BigEndian(Take(8));

    /// <summary>A 64-bit field in version 1 of a full box, a 32-bit one in version 0.</summary>
    internal long Sized(byte version) => version == 1 ? (long)U64() : U32();

    internal void Skip(int bytes) => Take(bytes);

    /// <summary>The count of a table whose entries take <paramref name="entryBytes"/> each,
    /// checked against the bytes the box holds.</summary>
    internal int Count(int entryBytes)
    {
        uint n = U32();
        if ((long)n * entryBytes > Remaining)
        {
            throw new InvalidDataException($"the {_path} table claims {n} entries of {entryBytes} bytes but its box holds {Remaining} (a truncated or corrupt moov)");
        }
        return (int)n;
    }

    /// <summary>A table of a count and that many 32-bit entries (stsz, stss: a long
    /// recording's hundreds of thousands of sizes, byte-swapped in one pass).</summary>
    internal uint[] U32Table()
    {
        ReadOnlySpan<uint> big = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(Take(Count(4) * 4));
        var entries = new uint[big.Length];
        if (BitConverter.IsLittleEndian)
        {
            BinaryPrimitives.ReverseEndianness(big, entries);
        }
        else
        {
            big.CopyTo(entries);
        }
        return entries;
    }

    internal ReadOnlySpan<byte> Take(int bytes)
    {
        if (bytes > Remaining)
        {
            throw new InvalidDataException($"the {_path} box ends {bytes - Remaining} byte(s) short of its fields (a truncated or corrupt moov)");
        }
        ReadOnlySpan<byte> s = _data.Slice(_at, bytes);
        _at += bytes;
        return s;
    }
}
