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
/// <param name="removed">The ranges removed, in order, on the cut's timeline (seconds from
/// time 0), and whether each runs to the end.</param>
/// <param name="timeZero">Where time 0 is on the movie's clock (seconds): the first video frame shown.</param>
internal sealed class ChapterList(IReadOnlyList<(double From, double To, bool ToEnd)> removed, double timeZero)
{
    private const double UnitsPerSecond = 10_000_000;

    /// <summary>The chapter lists of <paramref name="movie"/>'s cut <paramref name="cuts"/>:
    /// the recording's, which loses the ranges, and the saved movie's, which keeps only them
    /// (it shows the removed ranges one after another).</summary>
    internal static (ChapterList Cut, ChapterList Saved) Of(Movie movie, IReadOnlyList<PlannedCut> cuts)
    {
        (long mediaTime, long delay) = movie.Video.EditStart();
        double timeZero = (double)delay / movie.MovieTimescale + (double)(movie.Pts0 - mediaTime) / movie.Video.Timescale;
        List<(double From, double To, bool ToEnd)> removed = [.. cuts.Select(c => (c.From.Seconds, c.To.Seconds, c.End == movie.Samples.Count))];
        var outside = new List<(double From, double To, bool ToEnd)>(removed.Count + 1);
        double at = 0;
        foreach ((double from, double to, bool toEnd) in removed)
        {
            if (from > at)
            {
                outside.Add((at, from, false));
            }
            at = to;
            if (toEnd)
            {
                break;
            }
        }
        if (removed.Count == 0 || !removed[^1].ToEnd)
        {
            outside.Add((at, double.PositiveInfinity, true));
        }
        return (new ChapterList(removed, timeZero), new ChapterList(outside, timeZero));
    }

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
            double start = r.U64() / UnitsPerSecond - timeZero;
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
                kept.Add(((ulong)Math.Round(Math.Max(0, now + timeZero) * UnitsPerSecond), chapters[i].Title));
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
        start = Math.Max(0, start); // a chapter before time 0 (a delayed video) is at its head
        double lost = 0;
        foreach ((double from, double to, bool toEnd) in removed)
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
