using System.Buffers.Binary;
using System.Text;
using MovData.Edits;

namespace MovData.Media.IsoBmff;

/// <summary>A run of bytes between two kept samples that holds removed ones, and the whole
/// blocks inside it that the cut collapses (<see cref="CollapseLength"/> 0: none).</summary>
internal readonly record struct RemovedGap(long Offset, long Length, long CollapseOffset, long CollapseLength);

/// <summary>
/// The file of removed parts of an MP4 or MOV cut (<see cref="CutOptions.SaveRemovedTo"/>),
/// itself a movie of what was cut: the recording's ftyp; an mdat (a 16-byte header) that holds
/// the removed gaps in file order, each as far into a block as it was in the recording, so
/// that its collapsed blocks move in without a byte copied where the filesystem can; the
/// bytes of a gap beside its collapse (its partial edge blocks) and the gaps too small to
/// hold a whole block are written in as well, read from the recording (where they stay, as
/// bytes no sample references), as long as they fit <see cref="WrittenBudget"/>; the texts
/// (chapters, subtitles) shown in the removed time that the gaps do not hold, copied (a few
/// bytes each); then a moov whose tables list the removed samples that lie wholly in what the
/// file holds, at their new offsets, and each text for the time it showed in the ranges; then (added by <see cref="CutUndo"/>) the manifest in a <see cref="ManifestBox"/>.
/// So that each run of a track decodes on its own, a video run starts at its first sync
/// sample and leaves out the pictures shown before it (an open GOP's leading pictures). Only
/// the collapsed blocks are parts of the manifest: they are all a restore moves back.
/// </summary>
internal static class SavedMovie
{
    /// <summary>mdat's header here: a 64-bit size, whatever the parts add up to.</summary>
    private const int MdatHeader = 16;

    /// <summary>At most this many bytes of the recording beside the collapsed blocks are
    /// written into the saved movie a cut (a cut writes at most 256 KiB besides moov), but for
    /// the texts shown in the ranges, a few bytes each, which are always written.</summary>
    private const long WrittenBudget = 128 * 1024;

    /// <summary>
    /// The output of <paramref name="movie"/>'s cut <paramref name="cuts"/> (each track's kept
    /// samples) that leaves <paramref name="gaps"/> (in file order) and collapses the blocks
    /// inside them, saved to <paramref name="savedPath"/> on a filesystem of
    /// <paramref name="blockSize"/>, which shows the time <paramref name="removed"/> (its chpl's
    /// chapters, and its texts, moved so). Reads the gaps' bytes beside the collapses, and the
    /// texts shown in that time that the gaps do not hold.
    /// </summary>
    /// <exception cref="InvalidDataException">A table this does not rewrite (as for the cut itself).</exception>
    internal static RemovedOutput Layout(Movie movie, IReadOnlyList<TrackCut> cuts, List<RemovedGap> gaps, string savedPath, long blockSize, string path, CutTime removed,
        CancellationToken cancel)
    {
        byte[] ftyp = Ftyp(movie);
        long mdatAt = ftyp.Length;
        long at = mdatAt + MdatHeader;
        long budget = WrittenBudget;
        var parts = new List<(long Source, long Target, long Length)>();
        var held = new List<(long Source, long Target, long Length)>(); // what the file holds of the recording
        var writes = new List<Patch>();
        foreach (RemovedGap g in gaps)
        {
            long beside = g.Length - g.CollapseLength;
            bool whole = beside <= budget;
            if (g.CollapseLength == 0 && !whole)
            {
                continue;
            }
            if (g.CollapseLength > 0)
            {
                // As far into a block as it was in the recording, so its whole blocks line up.
                at += ((g.Offset - at) % blockSize + blockSize) % blockSize;
                parts.Add((g.CollapseOffset, at + g.CollapseOffset - g.Offset, g.CollapseLength));
            }
            if (whole)
            {
                budget -= beside;
                held.Add((g.Offset, at, g.Length));
                // The bytes before the collapse and after it (all of a gap without one).
                long head = g.CollapseLength > 0 ? g.CollapseOffset - g.Offset : g.Length, tail = beside - head;
                if (head > 0)
                {
                    writes.Add(new Patch(at, head, MediaReads.ReadAll(movie.File, g.Offset, head)));
                }
                if (tail > 0)
                {
                    writes.Add(new Patch(at + g.Length - tail, tail, MediaReads.ReadAll(movie.File, g.Offset + g.Length - tail, tail)));
                }
            }
            else
            {
                held.Add(parts[^1]);
            }
            at += g.Length;
        }
        // Texts (chapters, subtitles) shown in the ranges whose bytes the file does not hold
        // (most are kept in the recording: shown outside the ranges too) are written in after
        // the gaps: a few bytes each.
        var copied = new Dictionary<long, (long At, long Size)>(); // a text's offset in the recording: its copy here
        var saved = new List<TrackCut>(cuts.Count);
        foreach (TrackCut c in cuts)
        {
            if (!ShownInOrder(c.Track))
            {
                saved.Add(Saved(movie, c, held, removed));
                continue;
            }
            saved.Add(SavedText(c, removed, movie.MovieTimescale, out List<int> shown));
            foreach (int i in shown)
            {
                (long offset, long size) = (c.Samples.Offset(i), c.Samples.Size(i));
                int k = Holding(held, offset);
                if ((k >= 0 && offset + size <= held[k].Source + held[k].Length) || (copied.TryGetValue(offset, out var copy) && copy.Size >= size))
                {
                    continue;
                }
                // Two texts at one offset: both take the longer's copy.
                copied[offset] = (at, size);
                if (size > 0)
                {
                    writes.Add(new Patch(at, size, MediaReads.ReadAll(movie.File, offset, size)));
                    at += size;
                }
            }
        }
        // A sample's place here: its copy, or the run of the recording that holds it, less how far that moved.
        long Moved(long offset)
        {
            if (copied.TryGetValue(offset, out var copy))
            {
                return offset - copy.At;
            }
            int k = Holding(held, offset);
            return held[k].Source - held[k].Target;
        }
        // H.264 open GOPs: a run's pictures release frames from before it, which a decoder
        // of this movie never held (ffmpeg: "mmco: unref short failure"); those releases are
        // rewritten as at a cut's joins, a bit each (the recording's bytes put back by restore).
        // HEVC: the CRA each run after the first begins with is marked a broken link, as at a cut's joins.
        if (saved.FirstOrDefault(t => t.Track == movie.Lead) is { } video)
        {
            List<(long Offset, byte Value)> marks = AvcJoins.Of(movie) is { } avc ? avc.RunReleases(video.Keep, cancel) : BrokenLinks.RunMarks(movie, video.Keep);
            foreach ((long offset, byte value) in marks)
            {
                writes.Add(new Patch(offset - Moved(offset), 1, [value]));
            }
        }
        byte[] moov = MoovWriter.Write(movie, saved, new OffsetShift(Moved, EndToEnd: false), path, chapters: new ChapterList(removed.Outside()));
        byte[] mdat = new byte[MdatHeader];
        BinaryPrimitives.WriteUInt32BigEndian(mdat, 1);
        BinaryPrimitives.WriteUInt32BigEndian(mdat.AsSpan(4), FourCc.Mdat);
        BinaryPrimitives.WriteInt64BigEndian(mdat.AsSpan(8), at - mdatAt);
        writes.Insert(0, new Patch(mdatAt, MdatHeader, mdat));
        if (ftyp.Length > 0)
        {
            writes.Insert(0, new Patch(0, ftyp.Length, ftyp));
        }
        writes.Add(new Patch(at, moov.Length, moov));
        return new RemovedOutput(savedPath, at + moov.Length, parts, writes);
    }

    /// <summary>The recording's ftyp, made again from its brands; none for a QuickTime file without one.</summary>
    private static byte[] Ftyp(Movie movie)
    {
        if (movie.Brands is not { } b)
        {
            return [];
        }
        byte[] box = new byte[16 + 4 * b.Compatible.Length];
        BinaryPrimitives.WriteUInt32BigEndian(box, (uint)box.Length);
        BinaryPrimitives.WriteUInt32BigEndian(box.AsSpan(4), FourCc.Ftyp);
        Encoding.Latin1.GetBytes(b.Major).CopyTo(box, 8);
        BinaryPrimitives.WriteUInt32BigEndian(box.AsSpan(12), b.Minor);
        for (int i = 0; i < b.Compatible.Length; i++)
        {
            Encoding.Latin1.GetBytes(b.Compatible[i]).CopyTo(box, 16 + 4 * i);
        }
        return box;
    }

    /// <summary>The run of <paramref name="runs"/> (in order of their sources) that holds <paramref name="offset"/>, or -1.</summary>
    private static int Holding(List<(long Source, long Target, long Length)> runs, long offset)
    {
        int lo = 0, hi = runs.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) / 2;
            if (offset < runs[mid].Source)
            {
                hi = mid - 1;
            }
            else if (offset >= runs[mid].Source + runs[mid].Length)
            {
                lo = mid + 1;
            }
            else
            {
                return mid;
            }
        }
        return -1;
    }

    /// <summary>A track of texts shown one after another in decode order (chapters, subtitles:
    /// no ctts), which the saved movie shows by time, not by the samples removed.</summary>
    private static bool ShownInOrder(Track track) => track.ShowsText && track.Table.CompositionOffsets is null;

    /// <summary>
    /// What of <paramref name="cut"/>'s texts the saved movie shows, which shows the ranges
    /// <paramref name="removed"/> one after another: each text shown inside them, from where
    /// its start is there (the time inside the ranges before it) to where the next one's is,
    /// the last for its time inside them; so a text shown across a range's edge is in both
    /// files, for its time in each, and one across the time kept between two ranges shows
    /// once, for its time in both, which meet here. The time before the first (a delay, or
    /// texts that begin later than the ranges) is an empty edit, where the track has an edit
    /// list (the ranges are on the movie's clock, as the saved movie shows them: from the
    /// movie's start where the first is a cut of the head, else from the first's start).
    /// <paramref name="shown"/>: the texts it shows, whose bytes it must hold.
    /// </summary>
    private static TrackCut SavedText(TrackCut cut, CutTime removed, long movieTimescale, out List<int> shown)
    {
        SampleList s = cut.Samples;
        Track track = cut.Track;
        var keep = new bool[s.Count];
        shown = [];
        var starts = new List<double>(); // seconds into the saved movie
        double last = 0;
        for (int i = 0; i < s.Count; i++)
        {
            double start = removed.Seconds(track, s.Pts(i));
            double inside = removed.Inside(start, start + (double)s.Duration(i) / track.Timescale);
            if (Math.Round(inside * track.Timescale) > 0)
            {
                keep[i] = true;
                shown.Add(i);
                starts.Add(removed.Inside(double.NegativeInfinity, start));
                last = inside;
            }
        }
        var durations = new uint[shown.Count];
        long total = 0;
        for (int j = 0; j < shown.Count; j++)
        {
            double seconds = j + 1 < shown.Count ? starts[j + 1] - starts[j] : last;
            durations[j] = (uint)Math.Clamp(Math.Round(seconds * track.Timescale), 0, uint.MaxValue);
            total += durations[j];
        }
        (long lost, long empty) = SavedEdits(track, total, shown.Count == 0 ? null : starts[0], movieTimescale);
        return new TrackCut { Track = track, Samples = s, Keep = keep, Durations = durations, MediaTime = 0, ShownLost = lost, EmptyEdit = empty };
    }

    /// <summary>
    /// What of <paramref name="cut"/>'s track the saved movie shows: its removed samples that
    /// lie wholly in one run of what it holds, each run of them from its first sync sample on, less the
    /// pictures shown before that sync sample. Each run keeps its own decode spacing and the
    /// runs follow one another; the edit list shows them from the first one's first picture,
    /// after the time the ranges <paramref name="removed"/> show before it (movie's clock).
    /// </summary>
    private static TrackCut Saved(Movie movie, TrackCut cut, List<(long Source, long Target, long Length)> held, CutTime removed)
    {
        SampleList s = cut.Samples;
        var keep = new bool[s.Count];
        var run = new int[s.Count];
        // A run: samples of the track in decode order, each in the saved movie; any other ends it.
        int current = 0;
        bool inRun = false, synced = false;
        long syncPts = long.MinValue;
        for (int i = 0; i < s.Count; i++)
        {
            int k = cut.Keep[i] ? -1 : Holding(held, s.Offset(i));
            if (k < 0 || s.Offset(i) + s.Size(i) > held[k].Source + held[k].Length)
            {
                current += inRun ? 1 : 0;
                (inRun, synced) = (false, false);
                continue;
            }
            inRun = true;
            if (!synced && s.IsSync(i))
            {
                (synced, syncPts) = (true, s.Pts(i));
            }
            keep[i] = synced && s.Pts(i) >= syncPts;
            run[i] = current;
        }
        int[] shown = [.. Enumerable.Range(0, s.Count).Where(i => keep[i])];
        var durations = new uint[shown.Length];
        long dts = 0, firstPts = long.MaxValue, total = 0;
        for (int j = 0; j < shown.Length; j++)
        {
            int i = shown[j];
            firstPts = Math.Min(firstPts, dts + s.Pts(i) - s.Dts(i));
            bool sameRun = j + 1 < shown.Length && run[shown[j + 1]] == run[i];
            long d = sameRun ? s.Dts(shown[j + 1]) - s.Dts(i) : s.Duration(i);
            durations[j] = (uint)Math.Clamp(d, 0, uint.MaxValue);
            dts += durations[j];
            total += durations[j];
        }
        if (shown.Length == 0)
        {
            // Kept with no sample (a timecode's, outside the ranges): shown for no time.
            (long none, _) = SavedEdits(cut.Track, 0, null, movie.MovieTimescale);
            return new TrackCut { Track = cut.Track, Samples = s, Keep = keep, Durations = durations, MediaTime = 0, ShownLost = none, EmptyEdit = 0 };
        }
        // Shown from its first picture (a B-frame video's earliest shown, a lead before it left
        // to the empty edit); from the track's first sample, where the recording's edit list
        // showed it from (past AAC's priming, say). Where that is on the movie's clock gives
        // where it is in the saved movie, which shows the ranges one after another: the empty
        // edit before it (0 where it starts with its range; a track that starts later in the
        // head, or has no sample in it, after the time before it).
        // A first sample shown from before its range (a sound frame removed by its middle, a
        // long first sample) is shown from the range's start, as the recording showed it there.
        long mediaTime = shown[0] == 0 ? Math.Max(firstPts, cut.Track.EditStart().MediaTime - s.Dts(0)) : firstPts;
        double from = removed.Seconds(cut.Track, s.Dts(shown[0]) + mediaTime);
        long early = (long)Math.Round(removed.BeforeRange(from) * cut.Track.Timescale);
        if (early > 0 && early < total - (mediaTime - firstPts))
        {
            mediaTime += early;
            from = removed.Seconds(cut.Track, s.Dts(shown[0]) + mediaTime);
        }
        (long lost, long empty) = SavedEdits(cut.Track, total - (mediaTime - firstPts), removed.Inside(double.NegativeInfinity, from), movie.MovieTimescale);
        return new TrackCut { Track = cut.Track, Samples = s, Keep = keep, Durations = durations, MediaTime = mediaTime, ShownLost = lost, EmptyEdit = empty };
    }

    /// <summary>A saved track's edit list, as <see cref="TrackCut"/> gives it: how much less it
    /// shows than its recording's shown segments did, where it shows <paramref name="shown"/>
    /// ticks of its media; and its empty edit, the <paramref name="before"/> seconds the ranges
    /// show before its first sample (null: it shows none, and has none).</summary>
    private static (long ShownLost, long EmptyEdit) SavedEdits(Track track, long shown, double? before, long movieTimescale)
    {
        long segments = track.Edits.Where(e => !e.Empty).Sum(e => e.SegmentDuration);
        long shownTicks = (long)((Int128)shown * movieTimescale / track.Timescale);
        return (Math.Max(0, segments - shownTicks), before is { } seconds ? (long)Math.Round(seconds * movieTimescale) : 0);
    }
}
