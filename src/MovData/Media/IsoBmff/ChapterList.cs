using System.Buffers.Binary;
using MovData.Edits;

namespace MovData.Media.IsoBmff;

/// <summary>
/// The Nero chapter list, moov/udta/chpl, which ffmpeg writes beside its QuickTime chapter
/// track and reads as well: a full box, 4 more bytes in version 1, a count (one byte), then
/// each chapter's start in 100 ns units on the movie's clock and its title (a length byte and
/// UTF-8). A cut moves each start as it moves time: a chapter that starts before a range stays
/// where it was, one that starts inside it starts at the join, one after it moves back by the
/// time removed before it; one shown only inside ranges, or starting in a range that runs to
/// the end, goes.
/// </summary>
/// <param name="removed">The time the cut removes.</param>
internal sealed class ChapterList(CutTime removed)
{
    private const double UnitsPerSecond = 10_000_000;

    /// <summary>The chpl in <paramref name="udta"/> (a box of <paramref name="moov"/>), or null
    /// where it has none or its boxes cannot be read (it is then copied as it was).</summary>
    internal static Box? In(byte[] moov, Box udta)
    {
        try
        {
            return Boxes.Children(moov, udta, "moov/udta").FirstOrDefault(b => b.Name == "chpl") is { Size: > 0 } chpl ? chpl : null;
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>
    /// The chpl of <paramref name="moov"/> (at <paramref name="offset"/> in the file) written
    /// again in its own place, where moov cannot change size (a fragmented MP4's, before its
    /// fragments): as long as it was, or shorter by the chapters that went (each at least 9
    /// bytes) and followed by a free box in the rest of its place (zeros inside it where that
    /// would be under 8 bytes), so udta and moov keep their sizes. Null where moov has no chpl or the chapters do not move.
    /// </summary>
    internal Patch? InPlace(byte[] moov, long offset)
    {
        Box root = Boxes.Header(moov, 0, moov.Length, out _) ?? throw new InvalidDataException("moov is not a box");
        if (Boxes.Children(moov, root, "moov").FirstOrDefault(b => b.Name == "udta") is not { Size: > 0 } udta || In(moov, udta) is not { } chpl)
        {
            return null;
        }
        var w = new BoxWriter((int)chpl.Size);
        Write(w, moov, chpl);
        byte[] bytes = new byte[chpl.Size];
        w.ToArray().CopyTo(bytes, 0);
        if (chpl.Size - w.Length >= 8)
        {
            Patches.FreeHeader(bytes.AsSpan(w.Length), chpl.Size - w.Length);
        }
        else if (w.Length < chpl.Size)
        {
            // Too little left for a free box (bytes after the last chapter, which it leaves
            // out): the chpl keeps its size, zeros after its chapters, as it had bytes there.
            BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)chpl.Size);
        }
        return bytes.AsSpan().SequenceEqual(moov.AsSpan((int)chpl.Offset, (int)chpl.Size)) ? null : new Patch(offset + chpl.Offset, bytes.Length, bytes);
    }

    /// <summary>Writes <paramref name="chpl"/> (a box of <paramref name="moov"/>) with its
    /// chapters moved; as it was where it is cut short (ffmpeg reads what it can of it).</summary>
    internal void Write(BoxWriter w, byte[] moov, Box chpl)
    {
        try
        {
            WriteMoved(w, moov, chpl);
        }
        catch (InvalidDataException)
        {
            w.Copy(moov, chpl);
        }
    }

    private void WriteMoved(BoxWriter w, byte[] moov, Box chpl)
    {
        var r = new FieldReader(moov, chpl, "moov/udta/chpl");
        (byte version, uint flags) = r.FullBox();
        uint reserved = version == 1 ? r.U32() : 0;
        int n = r.U8();
        var chapters = new List<(double Start, byte[] Title)>(n);
        for (int i = 0; i < n; i++)
        {
            double start = r.U64() / UnitsPerSecond;
            byte[] title = new byte[r.U8()];
            for (int k = 0; k < title.Length; k++)
            {
                title[k] = r.U8();
            }
            chapters.Add((start, title));
        }
        var kept = new List<(ulong Start, byte[] Title)>(n);
        for (int i = 0; i < n; i++)
        {
            double next = i + 1 < n ? chapters[i + 1].Start : double.PositiveInfinity;
            if (Moved(chapters[i].Start, next) is { } now)
            {
                kept.Add(((ulong)Math.Round(Math.Max(0, now) * UnitsPerSecond), chapters[i].Title));
            }
        }
        int box = w.FullBox(chpl.Type, version, flags);
        if (version == 1)
        {
            w.U32(reserved);
        }
        w.U8((byte)kept.Count);
        foreach ((ulong start, byte[] title) in kept)
        {
            w.U64(start);
            w.U8((byte)title.Length);
            w.Bytes(title);
        }
        w.End(box);
    }

    /// <summary>Where a chapter shown from <paramref name="start"/> until <paramref name="next"/>
    /// begins after the cut; null where all of it went.</summary>
    private double? Moved(double start, double next)
    {
        double lost = 0;
        foreach ((double from, double to, bool toEnd) in removed.Ranges)
        {
            if (start < from)
            {
                break;
            }
            if (start < to || toEnd)
            {
                return toEnd || next <= to ? null : from - lost;
            }
            lost += to - from;
        }
        return start - lost;
    }
}
