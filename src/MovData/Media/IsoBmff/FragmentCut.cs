using System.Buffers.Binary;
using MovData.Edits;

namespace MovData.Media.IsoBmff;

/// <summary>
/// A cut of a fragmented MP4 (moof boxes: ffmpeg's frag_keyframe+empty_moov, OBS's
/// fragmented MP4, DASH and CMAF files) by fragments. A fragment (its moof, its mdat,
/// and the styp, prft or emsg boxes just before it) is self-contained: its samples' offsets
/// are relative to it or absolute in tfhd, their times start at tfdt. A range snaps to the
/// fragments whose video starts with a sync sample (<see cref="FragmentTimeline"/>); the
/// fragments it covers go, as one run of bytes: the whole blocks inside it collapse and what
/// is left of it (its partial edge blocks) becomes one free box. Every later fragment then has
/// its absolute tfhd base offset moved back by the bytes collapsed before it and its tfdt by
/// the time its track lost before it, so each track's decode times run on without a gap;
/// a segment index (sidx) before the fragments, the random-access index (mfra) after them,
/// and mehd's duration are rewritten to match. A first fragment that moov's tables index
/// (ffmpeg's frag_keyframe without empty_moov) is the bytes between moov and the first moof,
/// cut whole as any other: where it goes, moov is written again with its tables emptied. Where
/// an H.264 join needs its cut to start a few pictures past a fragment's keyframe (its I
/// picture would count below the pictures kept before it), that fragment keeps them and is
/// shortened, and the range begins after its kept data (<see cref="ShortenedFragment"/>).
/// At each join the fragment the video resumes on
/// leaves out its keyframe's leading pictures where its moof can be rewritten so
/// (<see cref="ResumedFragment"/>), and the picture it resumes on is mended as in a whole movie
/// where that can be done in place: an HEVC CRA marked a broken link, H.264 releases of removed
/// frames rewritten (<see cref="BrokenLinks"/>, <see cref="AvcJoins"/>).
/// What a cut writes grows with the fragments after its first range (a few bytes each),
/// never with the media.
/// </summary>
internal static class FragmentCut
{
    /// <exception cref="NotSupportedException">A fragmented file this cut does not rewrite: the message says why; nothing changed.</exception>
    /// <exception cref="InvalidDataException">A damaged index (a sidx, an mfra); nothing changed.</exception>
    /// <exception cref="ArgumentException">A range starts past the end or removes everything.</exception>
    internal static CutPlan Plan(Movie movie, string path, IReadOnlyList<TimeRange> remove, CutOptions options, long blockSize, CancellationToken cancel)
    {
        List<FragmentSpan> spans = FragmentSpans.Read(movie, path);
        if (options.Exact)
        {
            throw new NotSupportedException(
                $"{path} is a fragmented MP4: it is cut at its fragments' keyframes, and --exact would cut inside a fragment (its moof rewritten), which MovData does not do; nothing was changed");
        }
        var timeline = new FragmentTimeline(movie, spans);
        (List<PlannedCut> cuts, List<TimeRange> unchanged) = CutSnapping.Snap(timeline, remove, exact: false, cancel);
        if (cuts.Count == 0)
        {
            return new CutPlan(cuts, unchanged, new CutLayout([], [], null));
        }

        // Which fragments go, and the bytes they take: from the first one's start (or, in a
        // fragment the cut begins inside of, from its kept data's end) to the next kept one's.
        var taken = new List<(int First, int Next)>();
        foreach (PlannedCut cut in cuts)
        {
            taken.Add((cut.Head ? 0 : timeline.SpanStartingAt(cut.Start), cut.End == movie.Samples.Count ? spans.Count : timeline.SpanStartingAt(cut.End)));
        }
        Dictionary<int, Shortened> shortened = StartLater(movie, spans, cuts, taken, options, blockSize, path, cancel);
        var removed = new bool[spans.Count];
        var ranges = new List<(long Start, long End)>();
        for (int c = 0; c < cuts.Count; c++)
        {
            (int first, int next) = taken[c];
            for (int k = first; k < next; k++)
            {
                removed[k] = k != first || !shortened.ContainsKey(c);
            }
            ranges.Add((shortened.TryGetValue(c, out Shortened? s) ? s.Shortening.End : spans[first].Start, next < spans.Count ? spans[next].Start : spans[^1].End));
        }

        // The whole blocks inside each range collapse; the rest of it is one free box (at least
        // its 8-byte header). Before it, in a fragment shortened, those of the removed bytes
        // between its tracks' kept data, inside its mdat.
        var collapses = new List<(long Offset, long Length)>();
        var gaps = new List<RemovedGap>();
        var frees = new List<(long At, long Size)>(); // one per range: its free box (size 0: none)
        for (int c = 0; c < cuts.Count; c++)
        {
            foreach (RemovedGap hole in shortened.TryGetValue(c, out Shortened? s) ? s.Shortening.Holes : [])
            {
                if (hole.CollapseLength > 0)
                {
                    collapses.Add((hole.CollapseOffset, hole.CollapseLength));
                }
                gaps.Add(hole);
            }
            (long a, long b) = ranges[c];
            int moves = taken[c].Next < spans.Count ? MoofMoves(movie, spans[taken[c].Next], path) ?? 0 : 0;
            // Without room for the moof (a range under a block), it keeps its leading pictures (LeaveLeading).
            (long start, long length) = Collapse(a, b, blockSize, moves) ?? Collapse(a, b, blockSize, 0)
                ?? throw new InvalidOperationException($"{path}: a range of {b - a} bytes at offset {a}, too few for a free box, was planned (a defect: nothing was changed)");
            if (length > 0)
            {
                collapses.Add((start, length));
            }
            if (b > a)
            {
                gaps.Add(new RemovedGap(a, b - a, start, length));
            }
            frees.Add((a, b - a - length));
        }
        var collapsed = new CollapsedBytes(collapses);
        long Shift(long offset) => collapsed.Before(offset);

        // How far each track's later fragments move back: the video by the time it lost, so its
        // decode times run on; every other track by the time it lost, but no more than the
        // video's (its fragments' edges are not the video's by up to a frame or two): so it
        // stays in step with the video, at worst with a gap of that much at the join, never
        // an overlap.
        // A text track loses the video's time, its cue before a range ended there (TextAcrossJoins).
        var keptIn = shortened.ToDictionary(s => taken[s.Key].First, s => s.Value.Kept);
        List<Dictionary<int, long>> losses = [.. taken.Select((t, c) => Shifts(movie, spans, t, shortened.GetValueOrDefault(c)?.KeptDurations))];
        (List<Patch> cueEnds, List<(int Fragment, int Track, long Ticks)> cuesLater) = TextAcrossJoins.Plan(movie, spans, removed, taken, keptIn, losses, path);
        var lostBefore = new Dictionary<int, long>[spans.Count + 1];
        var lost = new Dictionary<int, long>();
        int range = 0;
        for (int k = 0; k < spans.Count; k++)
        {
            if (range < taken.Count && k == taken[range].Next)
            {
                range++;
            }
            lostBefore[k] = new Dictionary<int, long>(lost);
            if (range < taken.Count && k == taken[range].First)
            {
                foreach ((int track, long ticks) in losses[range])
                {
                    lost[track] = lost.GetValueOrDefault(track) + ticks;
                }
            }
        }
        lostBefore[spans.Count] = lost;
        foreach ((int fragment, int track, long ticks) in cuesLater)
        {
            lostBefore[fragment][track] = lostBefore[fragment].GetValueOrDefault(track) - ticks; // its first cue starts later, the rest where they were
        }

        var writes = new List<Patch>();
        for (int k = 0; k < spans.Count; k++)
        {
            if (removed[k])
            {
                continue;
            }
            foreach (TrackFragment t in spans[k].Fragment.Tracks)
            {
                if (t.BaseOffsetAt >= 0 && Shift(t.BaseOffset) > 0)
                {
                    long value = t.BaseOffset - Shift(t.BaseOffset);
                    writes.Add(Patches.Of(t.BaseOffsetAt - Shift(t.BaseOffsetAt), 8, b => BinaryPrimitives.WriteInt64BigEndian(b, value)));
                }
                if (t.DecodeTimeAt >= 0 && lostBefore[k].GetValueOrDefault(t.TrackId) is not 0 and var minus)
                {
                    long value = t.DecodeTime - minus;
                    writes.Add(t.DecodeTimeVersion == 1
                        ? Patches.Of(t.DecodeTimeAt - Shift(t.DecodeTimeAt), 8, b => BinaryPrimitives.WriteInt64BigEndian(b, value))
                        : Patches.Of(t.DecodeTimeAt - Shift(t.DecodeTimeAt), 4, b => BinaryPrimitives.WriteUInt32BigEndian(b, (uint)value)));
                }
            }
        }
        foreach (Patch w in shortened.Values.SelectMany(s => s.Shortening.Writes).Concat(cueEnds))
        {
            writes.Add(w with { Offset = w.Offset - Shift(w.Offset) });
        }
        // The fragment each join resumes on leaves out the pictures shown before its keyframe
        // (an open GOP's leading pictures, whose references are gone), its moof moved into the
        // join's free box or leaving it larger (ResumedFragment); kept where that cannot be.
        var leftOut = new HashSet<int>();
        var rewritten = new Dictionary<int, RewrittenMoof>();
        for (int c = 0; c < cuts.Count; c++)
        {
            if (taken[c].Next < spans.Count && LeaveLeading(movie, spans[taken[c].Next], frees[c].Size, Shift, writes, path) is ({ } left, { } moof))
            {
                leftOut.UnionWith(left);
                rewritten[taken[c].Next] = moof;
                frees[c] = (frees[c].At, frees[c].Size + moof.Moved);
            }
        }
        double seconds = cuts.Sum(c => c.To.Seconds - c.From.Seconds);
        // The fragments' tracks move back by what each lost, a video's delay left as it was;
        // the saved movie holds all the first fragment showed, from the movie's start.
        var chapters = new ChapterList(CutTime.Of(movie, cuts, headFromStart: false));
        bool emptied = movie.IndexedInBoth && removed[0];
        if (emptied)
        {
            // The first fragment's samples were moov's: its tables are emptied (and mehd, copied
            // with mvex, shortened), the new moov takes the old one's place, and the range's free
            // box begins right after it.
            byte[] moov = EmptiedMoov(movie, path, chapters);
            if (MovieExtendsDuration(moov, 0, seconds, movie.MovieTimescale) is { } inNew)
            {
                inNew.Bytes.CopyTo(moov, (int)inNew.Offset);
            }
            long left = movie.Moov.Size - moov.Length;
            if (left > 0 && left < 8 && frees[0].Size == 0)
            {
                throw new InvalidDataException(
                    $"{path}: the new moov ({moov.Length} bytes) leaves {left} bytes of the old one's place, too few for a free box; cutting this file so is not supported (nothing was changed)");
            }
            writes.Add(new Patch(movie.Moov.Offset, moov.Length, moov));
            frees[0] = (movie.Moov.Offset + moov.Length, frees[0].Size + left);
        }
        foreach ((long at, long size) in frees.Where(f => f.Size > 0))
        {
            writes.Add(Patches.Free(at - Shift(at), size));
        }
        // HEVC: the CRA each join resumes on becomes a broken link, so that a decoder skips any
        // leading pictures left in its fragment instead of decoding them from the pictures kept
        // before the join. H.264: releases of frames the cut removed, by the pictures kept after
        // a join, become releases of long-term frames (AvcJoins.Releases), as in a whole movie.
        List<(long Offset, byte Value)> marks = AvcJoins.Of(movie) is { } avc ? avc.Releases(cuts, KeptVideo(movie, cuts, leftOut), cancel) : BrokenLinks.Marks(movie, cuts);
        writes.AddRange(marks.Select(m => new Patch(m.Offset - Shift(m.Offset), 1, [m.Value])));

        var layout = new FragmentLayout(movie, spans, removed, ranges, [.. frees.Select(f => f.At)], lostBefore, Shift, rewritten);
        foreach (Box sidx in movie.TopLevel.Where(b => b.Type == FourCc.Sidx))
        {
            writes.Add(SegmentIndex.Rewrite(movie, sidx, layout, path));
        }
        if (!emptied && MovieExtendsDuration(movie.MoovBytes, movie.Moov.Offset, seconds, movie.MovieTimescale) is { } mehd)
        {
            writes.Add(mehd);
        }
        // The chpl's chapters move as the cut moves time, in moov's own place (before every range).
        if (!emptied && chapters.InPlace(movie.MoovBytes, movie.Moov.Offset) is { } chpl)
        {
            writes.Add(chpl);
        }
        var removals = collapses.Select(c => new BlockRemoval(c.Offset, c.Length, ToEnd: false)).ToList();
        if (movie.TopLevel.FirstOrDefault(b => b.Type == FourCc.Mfra) is { Size: > 0 } mfra)
        {
            // At the end (mfro, its last box, gives its size from the file's end): cut off, written again after what is left.
            byte[] index = RandomAccessIndex.Rewrite(movie, mfra, layout, path);
            removals.Add(new BlockRemoval(mfra.Offset, 0, ToEnd: true));
            writes.Add(new Patch(mfra.Offset - Shift(mfra.Offset), index.Length, index));
        }
        RemovedOutput? output = null;
        if (options.SaveRemovedTo is { } savedPath)
        {
            List<TrackCut> tracks = [.. movie.Tracks.Select(t => TrackCutOf(t, spans, removed, keptIn))];
            output = SavedMovie.Layout(movie, tracks, gaps, savedPath, blockSize, path, CutTime.Of(movie, cuts, headFromStart: true), cancel);
        }
        return new CutPlan(cuts, unchanged, new CutLayout(removals, writes, output));
    }

    /// <summary>Which video samples the cuts keep, in decode order: all but their runs (whole
    /// fragments: each cut's first sample to the one its video resumes on) and the leading
    /// pictures <paramref name="leftOut"/>.</summary>
    private static bool[] KeptVideo(Movie movie, List<PlannedCut> cuts, HashSet<int> leftOut)
    {
        var keep = new bool[movie.Samples.Count];
        Array.Fill(keep, true);
        foreach (PlannedCut cut in cuts)
        {
            Array.Fill(keep, false, (int)cut.Start, (int)(cut.End - cut.Start));
        }
        foreach (int i in leftOut)
        {
            keep[i] = false;
        }
        return keep;
    }

    /// <summary>
    /// The cuts (by number) that begin inside their first fragment: H.264 joins whose I picture
    /// would count below the pictures kept before it, where a whole movie's cut would start a
    /// few pictures later (<see cref="AvcJoins.Ordered"/>), start so where that fragment can
    /// be shortened to keep them (<see cref="ShortenedFragment"/>); <paramref name="cuts"/>
    /// is updated so. Every other cut stays at its fragments' edges.
    /// </summary>
    private static Dictionary<int, Shortened> StartLater(Movie movie, List<FragmentSpan> spans, List<PlannedCut> cuts, List<(int First, int Next)> taken,
        CutOptions options, long blockSize, string path, CancellationToken cancel)
    {
        var shortened = new Dictionary<int, Shortened>();
        if (AvcJoins.Of(movie) is not { } avc)
        {
            return shortened;
        }
        List<PlannedCut> ordered = avc.Ordered(cuts, preferKeyframes: options.SaveRemovedTo is not null, cancel, (c, later) =>
        {
            FragmentSpan span = spans[taken[c].First];
            long next = taken[c].Next < spans.Count ? spans[taken[c].Next].Start : spans[^1].End;
            int? moves = taken[c].Next < spans.Count ? MoofMoves(movie, spans[taken[c].Next], path) : null;
            if (ShortenedFragment.Kept(movie, span, (int)later.Start) is not { } kept)
            {
                return false;
            }
            Shortening? shortening = ShortenedFragment.Shorten(movie, span, kept, next, blockSize, path);
            // The fragment the join resumes on leaves out its leading pictures by a moof that
            // moves into the range's free box (ResumedFragment): a range of a few bytes may have
            // no room for it, and they would stay, decoded from what went, with no error said.
            // Where a subtitle's cue, last in mdat, leaves it so, the fragment keeps no subtitle
            // (its cues start in it: at its keyframe or later, inside the range asked for, or
            // as ffmpeg interleaves them a few frames before), and where that leaves no room
            // either, the cut stays at its fragment's edge, where they would go too.
            bool Roomy(Shortening s) => moves is not { } m || Collapse(s.End, next, blockSize, m) is not null;
            bool Subtitles(int id) => movie.Tracks.First(t => t.Id == id) is { ShowsText: true } t && !movie.NamesChapters(t);
            if (shortening is { } tight && !Roomy(tight) && kept.Keys.Any(id => Subtitles(id) && kept[id] > 0))
            {
                foreach (int id in kept.Keys.Where(Subtitles).ToList())
                {
                    kept[id] = 0;
                }
                shortening = ShortenedFragment.Shorten(movie, span, kept, next, blockSize, path);
            }
            if (shortening is null || !Roomy(shortening))
            {
                return false;
            }
            shortened[c] = new Shortened(kept, ShortenedFragment.KeptDurations(movie, span, kept), shortening);
            return true;
        });
        cuts.Clear();
        cuts.AddRange(ordered);
        return shortened;
    }

    /// <summary>The video samples of fragment <paramref name="span"/> shown before its first
    /// (a keyframe's leading pictures: <see cref="ResumedFragment.Leading"/>); null where it has no video.</summary>
    private static HashSet<int>? Leading(Movie movie, FragmentSpan span) =>
        span.Fragment.Tracks.FirstOrDefault(t => t.TrackId == movie.Lead.Id && t.SampleCount > 0) is { SampleCount: > 0 } video
            ? ResumedFragment.Leading(movie.Samples, video) : null;

    /// <summary>
    /// How the bytes [<paramref name="a"/>, <paramref name="b"/>) of a range go: the whole
    /// blocks inside it collapse (its start and length), and the rest is one free box, which
    /// the moof after it then moves into by <paramref name="moves"/> bytes (negative: it grows
    /// back into the box; <see cref="MoofMoves"/>). The box must end either gone or with at
    /// least its 8-byte header, so a block is kept back where it would not; null where no
    /// block is left to keep back (a range of a few bytes).
    /// </summary>
    internal static (long Start, long Length)? Collapse(long a, long b, long blockSize, int moves)
    {
        long start = (a + blockSize - 1) / blockSize * blockSize;
        for (long length = Math.Max(0, b / blockSize * blockSize - start); length >= 0; length -= blockSize)
        {
            long free = b - a - length + moves;
            if (free == 0 || free >= 8)
            {
                return (start, length);
            }
        }
        return null;
    }

    /// <summary>How far the start of fragment <paramref name="span"/>'s moof moves when it
    /// leaves out its keyframe's leading pictures (<see cref="ResumedFragment.Rewrite"/>, on
    /// its bytes as the file has them: the writes a cut lays over them change no size);
    /// negative where the moof grows. Null where it has none or cannot leave them out.</summary>
    private static int? MoofMoves(Movie movie, FragmentSpan span, string path)
    {
        if (Leading(movie, span) is not { Count: > 0 } leading)
        {
            return null;
        }
        Box moof = span.Fragment.Moof;
        byte[] head = Head(movie, span, path);
        TrackFragment video = span.Fragment.Tracks.First(t => t.TrackId == movie.Lead.Id && t.SampleCount > 0);
        return ResumedFragment.Rewrite(head, (int)(moof.Offset - span.Start), video, movie.Samples, leading, long.MaxValue / 4, $"{path}: moof at offset {moof.Offset}")
            is (_, int moved, _) ? moved : null;
    }

    /// <summary>Fragment <paramref name="span"/>'s bytes from its start to its moof's end.</summary>
    private static byte[] Head(Movie movie, FragmentSpan span, string path)
    {
        Box moof = span.Fragment.Moof;
        byte[] head = new byte[moof.End - span.Start];
        return MediaReads.Read(movie.File, head, span.Start) == head.Length
            ? head : throw new InvalidDataException($"{path} is truncated: the file ended inside the moof at offset {moof.Offset}");
    }

    /// <summary>
    /// The fragment <paramref name="span"/>, which a join resumes on after a free box of
    /// <paramref name="free"/> bytes, rewritten without the pictures shown before its keyframe
    /// (<see cref="ResumedFragment"/>): the writes already planned over its moof are laid
    /// over the moof and taken out of <paramref name="writes"/>, and one write of the moved
    /// moof (and the boxes before it) put in. Returns the samples left out, and how far the
    /// fragment's start moved and where its video samples are now; null where there are
    /// none, or it cannot be done so.
    /// </summary>
    private static (HashSet<int> Left, RewrittenMoof Moof)? LeaveLeading(Movie movie, FragmentSpan span, long free, Func<long, long> shift, List<Patch> writes, string path)
    {
        if (Leading(movie, span) is not { Count: > 0 } leading)
        {
            return null;
        }
        TrackFragment video = span.Fragment.Tracks.First(t => t.TrackId == movie.Lead.Id && t.SampleCount > 0);
        Box moof = span.Fragment.Moof;
        byte[] head = Head(movie, span, path);
        long after = span.Start - shift(span.Start);
        List<Patch> over = writes.FindAll(w => w.Offset < after + head.Length && w.Offset + w.Length > after);
        if (over.Any(w => w.Offset < after || w.Offset + w.Length > after + head.Length))
        {
            return null;
        }
        foreach (Patch w in over)
        {
            w.Bytes.CopyTo(head, w.Offset - after);
        }
        if (ResumedFragment.Rewrite(head, (int)(moof.Offset - span.Start), video, movie.Samples, leading, free, $"{path}: moof at offset {moof.Offset}")
            is not ({ } rewritten, int by, { } numbers))
        {
            return null;
        }
        writes.RemoveAll(over.Contains);
        writes.Add(new Patch(after + by, rewritten.Length, rewritten));
        return (leading, new RewrittenMoof(by, video.TrackId, numbers));
    }

    /// <summary>moov once the first fragment, whose samples its tables list, is gone: every
    /// track kept with its tables emptied and durations those of no samples (as ffmpeg's
    /// empty_moov writes them), an edit list's shown time less what the fragment showed;
    /// mvex as it was, and the chpl's chapters moved by <paramref name="chapters"/>. The
    /// fragments left index the rest.</summary>
    private static byte[] EmptiedMoov(Movie movie, string path, ChapterList chapters)
    {
        List<TrackCut> tracks = [.. movie.Tracks.Select(t =>
        {
            SampleList s = t.Table.List();
            long shown = (long)((Int128)t.Table.TotalDuration * movie.MovieTimescale / t.Timescale);
            return new TrackCut { Track = t, Samples = s, Keep = new bool[s.Count], Durations = [], MediaTime = t.EditStart().MediaTime, ShownLost = shown };
        })];
        return MoovWriter.Write(movie, tracks, new OffsetShift(_ => 0, EndToEnd: true), path, fragmentsFollow: true, chapters: chapters);
    }

    /// <summary>How far each track moves back for the fragments [First, Next) removed, less
    /// what the first of them keeps where the cut begins inside it (<paramref name="kept"/>).</summary>
    private static Dictionary<int, long> Shifts(Movie movie, List<FragmentSpan> spans, (int First, int Next) taken, Dictionary<int, long>? kept)
    {
        var lost = new Dictionary<int, long>();
        for (int k = taken.First; k < taken.Next; k++)
        {
            foreach (TrackFragment t in spans[k].Fragment.Tracks)
            {
                lost[t.TrackId] = lost.GetValueOrDefault(t.TrackId) + t.Duration;
            }
        }
        foreach ((int track, long ticks) in kept ?? [])
        {
            lost[track] -= ticks;
        }
        double seconds = (double)lost.GetValueOrDefault(movie.Lead.Id) / movie.Lead.Timescale;
        foreach (Track t in movie.Tracks.Where(t => t != movie.Lead && lost.ContainsKey(t.Id)))
        {
            lost[t.Id] = Math.Min(lost[t.Id], (long)Math.Round(seconds * t.Timescale));
        }
        return lost;
    }

    /// <summary>mehd (in the mvex of <paramref name="moov"/>, which is at <paramref name="offset"/>
    /// in the file): the fragments' whole duration, shortened by the time removed; null where there is none.</summary>
    private static Patch? MovieExtendsDuration(byte[] moov, long offset, double seconds, long movieTimescale)
    {
        Box root = Boxes.Header(moov, 0, moov.Length, out _) ?? throw new InvalidDataException("a moov the cut wrote is not a box");
        if (Boxes.Children(moov, root, "moov").FirstOrDefault(b => b.Name == "mvex") is not { Size: > 0 } mvex
            || Boxes.Children(moov, mvex, "moov/mvex").FirstOrDefault(b => b.Name == "mehd") is not { Size: > 0 } mehd)
        {
            return null;
        }
        var r = new FieldReader(moov, mehd, "moov/mvex/mehd");
        (byte version, _) = r.FullBox();
        long duration = r.Sized(version);
        if (duration == 0)
        {
            return null;
        }
        long value = Math.Max(0, duration - (long)Math.Round(seconds * movieTimescale));
        long at = offset + mehd.PayloadOffset + 4;
        return version == 1
            ? Patches.Of(at, 8, b => BinaryPrimitives.WriteInt64BigEndian(b, value))
            : Patches.Of(at, 4, b => BinaryPrimitives.WriteUInt32BigEndian(b, (uint)value));
    }

    /// <summary>What a track keeps, for the saved movie: its samples outside the removed
    /// fragments, and in a fragment a cut begins inside of (<paramref name="keptIn"/>: by
    /// fragment, how many of each track's samples it keeps) those it keeps.</summary>
    private static TrackCut TrackCutOf(Track track, List<FragmentSpan> spans, bool[] removed, Dictionary<int, Dictionary<int, int>> keptIn)
    {
        SampleList s = track.Fragments?.List ?? new SampleList(0);
        var keep = new bool[s.Count];
        Array.Fill(keep, true);
        for (int k = 0; k < spans.Count; k++)
        {
            foreach (TrackFragment t in spans[k].Fragment.Tracks.Where(t => t.TrackId == track.Id))
            {
                int from = removed[k] ? 0 : keptIn.TryGetValue(k, out var counts) ? Math.Min(counts.GetValueOrDefault(t.TrackId, t.SampleCount), t.SampleCount) : t.SampleCount;
                Array.Fill(keep, false, t.FirstSample + from, t.SampleCount - from);
            }
        }
        int kept = keep.Count(k => k);
        return new TrackCut
        {
            Track = track, Samples = s, Keep = keep, Durations = new uint[kept], MediaTime = track.EditStart().MediaTime, ShownLost = 0,
        };
    }


}

/// <summary>The first fragment of a cut that begins inside it (<see cref="ShortenedFragment"/>):
/// how many samples of each track it keeps, their decode durations, and how it is shortened.</summary>
internal sealed record Shortened(Dictionary<int, int> Kept, Dictionary<int, long> KeptDurations, Shortening Shortening);
