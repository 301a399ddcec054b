using MovData.Edits;

namespace MovData.Media.IsoBmff;

/// <summary>
/// A cut of an MP4 or MOV whose samples are indexed in moov (not fragmented): the ranges
/// snapped to the video's sync samples (<see cref="CutSnapping"/>); every track loses the
/// same time (audio to its nearest frame; a sample that spans a whole range, as a timecode
/// track's one sample, is shortened instead; a chapter or subtitle keeps the time it shows
/// outside the ranges, and the chpl's chapters move with it: <see cref="ChapterList"/>); the whole blocks of mdat that hold only removed
/// samples collapse, the rest stays as bytes no sample references (legal: demuxers seek to
/// each sample); and a new moov, with the kept samples and their offsets shifted, is written
/// where the old one was. The collapsed blocks can go, moved, into a movie of their own
/// (<see cref="SavedMovie"/>) that the cut is undone from.
/// </summary>
internal static class MovieCut
{
    /// <summary>More samples than this in all tracks (a long MOV with PCM, a sample per audio
    /// frame) are not listed one by one for a cut.</summary>
    private const long MaxSamples = 20_000_000;

    /// <summary>A millisecond: times of different clocks that differ by less are the same.</summary>
    private const double Epsilon = 0.001;

    /// <exception cref="InvalidDataException">This file cannot be cut (yet): the message says why; nothing changed.</exception>
    /// <exception cref="ArgumentException">A range starts past the end or removes everything.</exception>
    internal static CutPlan Plan(Movie movie, string path, IReadOnlyList<TimeRange> remove, CutOptions options, long blockSize, CancellationToken cancel)
    {
        Refuse(movie, path, options);
        (List<PlannedCut> cuts, List<TimeRange> unchanged) = CutSnapping.Snap(movie, remove, options.Exact, cancel);
        AvcJoins? avc = AvcJoins.Of(movie);
        if (options.Exact)
        {
            cuts = InDecodeOrder(movie, cuts);
        }
        else if (avc is not null)
        {
            cuts = avc.Ordered(cuts, preferKeyframes: options.SaveRemovedTo is not null, cancel);
        }
        if (cuts.Count == 0)
        {
            return new CutPlan(cuts, unchanged, new CutLayout([], [], null));
        }
        List<TrackCut> tracks = [.. movie.Tracks.Select(t => CutTrack(movie, t, cuts, path))];

        // Bytes: the block-aligned inside of each gap between kept samples that holds removed ones.
        List<(long Offset, long End)> kept = InFileOrder([.. tracks.Select(t => (t.Samples, t.Kept))]);
        List<(long Offset, long End)> removed = InFileOrder([.. tracks.Select(t => (t.Samples, TrackCut.IndexesOf(t.Keep, false)))]);
        var collapses = new List<(long Offset, long Length)>();
        var gaps = new List<RemovedGap>(); // what --save-removed takes: every gap, and its collapse
        int pending = 0; // the first removed sample that ends after the gap's start (both lists in file order)
        foreach (Box mdat in movie.TopLevel.Where(b => b.Type == FourCc.Mdat))
        {
            long at = mdat.PayloadOffset;
            foreach ((long from, long to) in kept.Where(k => k.End > mdat.PayloadOffset && k.Offset < mdat.End).Append((mdat.End, mdat.End)))
            {
                while (pending < removed.Count && removed[pending].End <= at)
                {
                    pending++;
                }
                if (from > at && pending < removed.Count && removed[pending].Offset < from)
                {
                    long start = (at + blockSize - 1) / blockSize * blockSize, end = from / blockSize * blockSize;
                    if (end > start)
                    {
                        collapses.Add((start, end - start));
                    }
                    gaps.Add(new RemovedGap(at, from - at, start, Math.Max(0, end - start)));
                }
                at = Math.Max(at, to);
            }
        }
        var collapsed = new CollapsedBytes(collapses);
        long Shift(long offset) => collapsed.Before(offset);

        CutTime removedTime = CutTime.Of(movie, cuts, headFromStart: true);
        var chapters = new ChapterList(removedTime);
        byte[] moov = MoovWriter.Write(movie, tracks, new OffsetShift(Shift, EndToEnd: true), path, chapters: chapters);
        var writes = new List<Patch>();
        foreach (Box mdat in movie.TopLevel.Where(b => b.Type == FourCc.Mdat && b.Size > 0))
        {
            long lost = collapses.Where(c => c.Offset >= mdat.Offset && c.Offset < mdat.End).Sum(c => c.Length);
            if (lost > 0)
            {
                writes.Add(mdat.HeaderSize == 16
                    ? Patches.Of(mdat.Offset - Shift(mdat.Offset) + 8, 8, b => System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(b, (ulong)(mdat.Size - lost)))
                    : Patches.Of(mdat.Offset - Shift(mdat.Offset), 4, b => System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(b, (uint)(mdat.Size - lost))));
            }
        }
        // Bytes of kept pictures after a join (none of them collapse): H.264's releases, HEVC's broken links.
        List<(long Offset, byte Value)> marks = avc?.Releases(cuts, tracks.Single(t => t.Track == movie.Lead).Keep, cancel) ?? BrokenLinks.Marks(movie, cuts);
        writes.AddRange(marks.Select(m => new Patch(m.Offset - Shift(m.Offset), 1, [m.Value])));
        foreach (TrackCut t in tracks.Where(t => t.TimecodeFrames != 0))
        {
            // The timecode's one sample is kept (it spans the cut), so none of its bytes collapse.
            long at = t.Samples.Offset(0);
            uint number = (uint)(t.Track.TimecodeStart!.Value + t.TimecodeFrames);
            writes.Add(Patches.Of(at - Shift(at), 4, b => System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(b, number)));
        }
        var removals = collapses.Select(c => new BlockRemoval(c.Offset, c.Length, ToEnd: false)).ToList();
        Box old = movie.Moov;
        if (old.End == movie.Size)
        {
            // At the end (ffmpeg, phones, OBS): cut the old one off first, write the new one after what is left.
            removals.Add(new BlockRemoval(old.Offset, 0, ToEnd: true));
            writes.Add(new Patch(old.Offset - Shift(old.Offset), moov.Length, moov));
        }
        else
        {
            // At the front (+faststart), or after the media with other boxes after it (a uuid
            // with XMP, a free box; moved back by the collapses): the new one takes the old
            // one's place, a free box the rest.
            long left = old.Size - moov.Length, at = old.Offset - Shift(old.Offset);
            writes.Add(new Patch(at, moov.Length, moov));
            if (left >= 8)
            {
                writes.Add(Patches.Free(at + moov.Length, left));
            }
            else if (left > 0 && movie.TopLevel.FirstOrDefault(b => b.Offset == old.End) is { } next && (next.Type == FourCc.Free || next.Type == FourCc.Skip) && next.HeaderSize == 8)
            {
                writes.Add(Patches.Free(at + moov.Length, left + next.Size));
            }
            else if (left != 0)
            {
                string where = movie.TopLevel.Any(b => b.Type == FourCc.Mdat && b.Offset > old.Offset) ? "before the media" : $"before the {movie.TopLevel.First(b => b.Offset == old.End).Name} box after it";
                throw new InvalidDataException(
                    $"{path}: the new moov ({moov.Length} bytes) does not fit the old one's place ({old.Size} bytes) {where}; cutting this file is not supported yet (nothing was changed)");
            }
        }
        RemovedOutput? output = options.SaveRemovedTo is { } savedPath ? SavedMovie.Layout(movie, tracks, gaps, savedPath, blockSize, path, removedTime, cancel) : null;
        return new CutPlan(cuts, unchanged, new CutLayout(removals, writes, output));
    }

    /// <summary>The byte ranges of the given samples of every track (those it keeps, or
    /// those it removes: indexes in decode order), by offset, ranges that meet made one (their
    /// gaps are what the cut looks at, and are the same). A track's samples lie in file order
    /// in its chunks as writers lay them out, so the tracks are merged as they are, read
    /// where they are listed; a track whose samples do not is sorted first (as primitive keys:
    /// with a tuple comparer a sort was a tenth of a long recording's plan). Ranges that share
    /// an offset may come in either order: the gaps found between them are the same.</summary>
    internal static List<(long Offset, long End)> InFileOrder(IReadOnlyList<(SampleList Samples, int[] Indexes)> tracks)
    {
        var lanes = new List<(SampleList Samples, int[] Order)>(tracks.Count);
        foreach ((SampleList samples, int[] indexes) in tracks)
        {
            int[] order = indexes;
            for (int k = 1; k < indexes.Length; k++)
            {
                if (samples.Offset(indexes[k]) < samples.Offset(indexes[k - 1]))
                {
                    order = [.. indexes];
                    Array.Sort(Array.ConvertAll(order, samples.Offset), order);
                    break;
                }
            }
            lanes.Add((samples, order));
        }
        var ranges = new List<(long Offset, long End)>();
        var next = new int[lanes.Count];
        while (true)
        {
            int lane = -1;
            long offset = long.MaxValue, others = long.MaxValue; // the lowest next offset, and the other lanes'
            for (int l = 0; l < lanes.Count; l++)
            {
                if (next[l] < lanes[l].Order.Length && lanes[l].Samples.Offset(lanes[l].Order[next[l]]) is var o)
                {
                    if (lane < 0 || o < offset)
                    {
                        (lane, offset, others) = (l, o, Math.Min(others, offset));
                    }
                    else
                    {
                        others = Math.Min(others, o);
                    }
                }
            }
            if (lane < 0)
            {
                return ranges;
            }
            // The lane's samples that follow end to end (a chunk's) are taken at once while no
            // other lane's comes first: the same ranges, without a comparison per sample.
            (SampleList samples, int[] order) = lanes[lane];
            long end = offset + samples.Size(order[next[lane]++]);
            while (next[lane] < order.Length && samples.Offset(order[next[lane]]) is var o && o == end && o <= others)
            {
                end += samples.Size(order[next[lane]++]);
            }
            if (ranges.Count > 0 && ranges[^1].End == offset)
            {
                ranges[^1] = (ranges[^1].Offset, end);
            }
            else
            {
                ranges.Add((offset, end));
            }
        }
    }



    /// <summary>
    /// An --exact cut's ends in decode order. The frames nearest FROM and TO are found by when
    /// they are shown, but with B pictures a picture decoded before either may be shown after
    /// it (the P picture the B pictures before it lean on), and a cut removes a run of samples
    /// in decode order. So each end moves back to the first picture, decoded since the
    /// keyframe before it, that is shown at or after the frame found: what is kept before the
    /// join is then all shown before FROM, and the pictures kept after it are shown from TO on
    /// (those after it shown before TO are dropped, as an open GOP's leading pictures are).
    /// Left as found, a P picture shown inside the range stayed before the join and its
    /// decode time fell behind those moved back after it: the cut was refused.
    /// </summary>
    private static List<PlannedCut> InDecodeOrder(Movie movie, List<PlannedCut> cuts)
    {
        SampleList s = movie.Samples;
        int FirstShownFrom(long at, long floor)
        {
            long pts = s.Pts((int)at);
            int sync = s.LastSyncAtOrBefore((int)at) ?? 0; // none before: the first sample
            for (long i = Math.Max(sync, floor); i < at; i++)
            {
                if (s.Pts((int)i) >= pts)
                {
                    return (int)i;
                }
            }
            return (int)at;
        }
        var moved = new List<PlannedCut>(cuts.Count);
        long kept = 0; // where what the cut before keeps begins
        foreach (PlannedCut cut in cuts)
        {
            long start = cut.Head ? cut.Start : FirstShownFrom(cut.Start, kept);
            long end = cut.End == s.Count ? cut.End : FirstShownFrom(cut.End, start + 1);
            if (moved.Count > 0 && start <= kept)
            {
                // Moved back onto the cut before (nothing kept between them): one cut, as
                // ranges that touch after snapping are.
                PlannedCut before = moved[^1];
                moved[^1] = before with { End = Math.Max(before.End, end), To = MediaTime.Max(before.To, cut.To) };
                if (moved[^1].Head && moved[^1].End == s.Count)
                {
                    throw new ArgumentException(
                        $"the ranges up to {cut.To.Seconds:0.###} s remove the whole recording ({((IMediaTimeline)movie).EndTime.Seconds:0.###} s): with --exact, the frames between them lean on pictures the ranges remove (B pictures decoded after them), so nothing would be left; nothing was changed");
                }
            }
            else
            {
                moved.Add(cut with { Start = start, End = end });
            }
            kept = moved[^1].End;
        }
        return moved;
    }

    /// <summary>What this cut does not do yet, refused before anything is read further.</summary>
    private static void Refuse(Movie movie, string path, CutOptions options)
    {
        string? why = null;
        if (movie.TopLevel.Any(b => b.Type == FourCc.Mdat && b.Offset < movie.Moov.Offset) && movie.TopLevel.Any(b => b.Type == FourCc.Mdat && b.Offset > movie.Moov.Offset))
        {
            why = "its moov lies between media data boxes (neither before nor after all of the media)";
        }
        else if (movie.Tracks.Sum(t => t.Samples) > MaxSamples)
        {
            why = $"its tracks hold {movie.Tracks.Sum(t => t.Samples)} samples (a PCM track has one per audio frame), more than a cut lists one by one";
        }
        else if (movie.Tracks.FirstOrDefault(t => t.Edits.Count(e => !e.Empty) > 1) is { } edited)
        {
            why = $"track {edited.Id} has an edit list of {edited.Edits.Count(e => !e.Empty)} shown segments";
        }
        if (why is not null)
        {
            throw new InvalidDataException($"{path} cannot be cut: {why}; nothing was changed");
        }
    }

    /// <summary>The video samples <paramref name="cut"/> removes, in decode order: its run,
    /// then the pictures after the keyframe it resumes on that are shown before where the
    /// kept pictures begin to be shown (the keyframe's presentation, or, --exact, the frame's
    /// found nearest TO: <see cref="InDecodeOrder"/>): an open GOP's leading pictures, whose
    /// references are gone.</summary>
    internal static IEnumerable<int> VideoRemoved(Movie movie, PlannedCut cut)
    {
        SampleList s = movie.Samples;
        for (int i = (int)cut.Start; i < s.Count && !(i > cut.End && s.IsSync(i)); i++)
        {
            if (VideoRemoves(movie, cut, i))
            {
                yield return i;
            }
        }
    }

    /// <summary>Whether <paramref name="cut"/> removes video sample <paramref name="i"/>
    /// (<see cref="VideoRemoved"/>).</summary>
    internal static bool VideoRemoves(Movie movie, PlannedCut cut, int i)
    {
        SampleList s = movie.Samples;
        long ptsEnd = cut.End == s.Count ? long.MaxValue : movie.Pts0 + cut.To.Ticks;
        return i >= cut.Start && (i < cut.End || (i > cut.End && (s.LastSyncAtOrBefore(i) ?? -1) <= cut.End && s.Pts(i) < ptsEnd));
    }

    /// <summary>Which samples of <paramref name="track"/> the cuts remove, and the new
    /// durations that keep every kept sample where it was less the time removed before it.</summary>
    private static TrackCut CutTrack(Movie movie, Track track, List<PlannedCut> cuts, string path)
    {
        bool video = track == movie.Lead;
        SampleList s = video ? movie.Samples : track.Table.List();
        int n = s.Count;
        var keep = new bool[n];
        Array.Fill(keep, true);
        long ts = track.Timescale;
        (long mt, long delay) = track.EditStart();
        double t0 = movie.Lead.ShownAt(movie.Pts0, movie.MovieTimescale);
        double Rel(int i) => track.ShownAt(s.Pts(i), movie.MovieTimescale) - t0;

        // A track shown in decode order (no ctts: audio, a timecode) has Rel growing with the
        // sample number, so the samples about a time are found by a binary search, not a walk
        // over all of them for every cut: a long recording's audio is a hundred thousand.
        bool ordered = !video && track.Table.CompositionOffsets is null;
        int FirstFrom(double t)
        {
            int lo = 0, hi = n;
            while (lo < hi)
            {
                int mid = (int)((uint)(lo + hi) >> 1);
                (lo, hi) = Rel(mid) < t ? (mid + 1, hi) : (lo, mid);
            }
            return lo;
        }
        // A second more than the longest sample on either side: what a sample's end or middle is
        // compared with below lies within that of its start.
        double reach = ordered && track.Table.TimeToSample.Length > 0 ? 1 + track.Table.TimeToSample.Max(r => r.Delta) / (double)ts : 1;

        // The decode ticks each kept sample moves back by: the head's, which moves every one, and
        // each join's, which moves those after it; and the shortening of samples that span a range.
        // Listed per cut, not per sample: a long recording's audio is a hundred thousand samples.
        long headLost = 0;
        var joins = new List<(long End, double From, int FirstFrom, long Lost)>(); // FirstFrom: a shown-in-order track's first sample at or after From
        var shorten = new Dictionary<int, long>();
        long mediaTime = mt;
        long shownLost = 0;
        long? emptyEdit = null; // after a cut of the head: the track's delay, shortened by it
        // Where the track is shown on the timeline (its edit list's shown segments, after its
        // delay), and how much of a range it shows: what its edit list loses with the range (a
        // sound that ends before the video loses less of a tail, one ahead of it more of a head).
        long segments = track.Edits.Where(e => !e.Empty).Sum(e => e.SegmentDuration);
        double shownFrom = (double)delay / movie.MovieTimescale - t0;
        double shownTo = segments > 0 ? shownFrom + (double)segments / movie.MovieTimescale : double.PositiveInfinity;
        double ShownIn(double from, double to) => Math.Max(0, Math.Min(to, shownTo) - Math.Max(from, shownFrom));
        long timecodeFrames = 0;
        bool timecode = track.TimecodeStart is not null; // one sample, a frame number
        bool text = ordered && track.ShowsText; // chapters, subtitles: each kept for as long as it shows outside the ranges
        var late = new Dictionary<int, long>(); // text that began inside a range: shown from its join, so moved back less
        foreach (PlannedCut cut in cuts)
        {
            bool toEnd = cut.End == movie.Samples.Count;
            double from = cut.From.Seconds, to = cut.To.Seconds;
            long lost = (long)Math.Round((to - from) * ts);
            if (video)
            {
                foreach (int i in VideoRemoved(movie, cut))
                {
                    keep[i] = false;
                }
                lost = cut.To.Ticks - cut.From.Ticks;
            }
            else
            {
                // At the head, every sample ending after it "spans" it: shortened by nothing,
                // except a timecode's, which is looked for wherever it starts.
                int first = cut.Head || !ordered ? 0 : FirstFrom(from - reach), last = toEnd || !ordered || (cut.Head && timecode) ? n : FirstFrom(to + reach);
                for (int i = first; i < last; i++)
                {
                    double start = Rel(i), end = start + (double)s.Duration(i) / ts, mid = (start + end) / 2;
                    if (text)
                    {
                        TextAcross(i, start, end);
                    }
                    else if ((cut.Head || start <= from + Epsilon) && end >= to - Epsilon)
                    {
                        // Spans the whole range (a timecode track's one sample): shortened, not
                        // removed (at the head, the edit list shows it from later instead,
                        // unless it is a timecode whose number moves on: below).
                        shorten[i] = shorten.GetValueOrDefault(i) + (cut.Head && !timecode ? 0 : lost);
                    }
                    else if ((cut.Head || mid >= from) && (toEnd || mid < to))
                    {
                        keep[i] = false;
                    }
                }

                // A text (a chapter, a subtitle) goes only if it is shown wholly inside the range;
                // one shown across an edge is kept for the time it shows outside it.
                void TextAcross(int i, double start, double end)
                {
                    if ((!cut.Head && end <= from + Epsilon) || (!toEnd && start >= to - Epsilon))
                    {
                        return; // not in the range
                    }
                    if ((cut.Head || start >= from - Epsilon) && (toEnd || end <= to + Epsilon))
                    {
                        keep[i] = false;
                    }
                    else if (toEnd)
                    {
                        // Shown into a range that runs to the end: up to its start.
                        shorten[i] = shorten.GetValueOrDefault(i) + (long)Math.Round((end - from) * ts);
                    }
                    else if (cut.Head)
                    {
                        // Shown from inside the head on: shortened to start at the range's end (below).
                    }
                    else if (start < from - Epsilon)
                    {
                        // Shown before the range: across all of it, shortened by it; into it, its
                        // duration runs to the join (to the next kept sample's new start).
                        shorten[i] = shorten.GetValueOrDefault(i) + (end > to + Epsilon ? lost : 0);
                    }
                    else if (start >= from)
                    {
                        // Shown from inside the range on past it: shown from the join, moved
                        // back by the time from the range's start to its own, not all the range's.
                        late[i] = late.GetValueOrDefault(i) + (long)Math.Round((to - start) * ts);
                        shorten[i] = shorten.GetValueOrDefault(i) + (long)Math.Round((to - start) * ts); // where it is the last kept
                    }
                }
            }
            int firstAfter = Array.FindIndex(keep, k => k) is var f && f >= 0 ? f : n;
            // A cut of the head takes all that is shown before its end, on the movie's clock:
            // before time 0 too (audio ahead of a delayed video, a lead before the video's first
            // frame), so every track starts at the new time 0 as it stood to the video at the
            // range's end. Where that end lies in this track's media, seconds from its edit's
            // start; less than 0 where the track starts later, its delay shortened.
            double into = to + t0 - (double)delay / movie.MovieTimescale;
            if (cut.Head)
            {
                emptyEdit = (long)Math.Round(Math.Max(0, -into) * movie.MovieTimescale);
            }
            if (cut.Head && timecode)
            {
                // The sample now starts at the first kept frame: its number moves on by the frames removed.
                timecodeFrames += track.Timecode!.Value.Frames(to - from);
            }
            else if (cut.Head)
            {
                // stts gives the first sample decode time 0: everything kept moves back by its
                // decode time, and the edit list shows it from where the range ended.
                lost = firstAfter < n ? s.Dts(firstAfter) : 0;
                // The range's end in the media: for the video, its first kept frame.
                long at = video && cut.To.Timescale == ts ? movie.Pts0 + cut.To.Ticks : mt + (long)Math.Round(Math.Max(0, into) * ts);
                if (text && firstAfter < n && at > s.Pts(firstAfter))
                {
                    // A text shown from inside the head on starts at the new time 0, shortened by
                    // what the head took of it, and those after it move back that much more: an
                    // edit list that starts inside a text, ffmpeg shows it and the rest a text early.
                    long part = at - s.Pts(firstAfter);
                    lost += part;
                    late[firstAfter] = late.GetValueOrDefault(firstAfter) + part;
                    shorten[firstAfter] = shorten.GetValueOrDefault(firstAfter) + part; // where it is the last kept
                }
                mediaTime = Math.Max(0, at - lost);
                headLost += lost;
            }
            else if (!toEnd)
            {
                joins.Add((cut.End, from, ordered ? FirstFrom(from) : -1, lost));
            }
            double shownOfRange = video ? (cut.Head ? into : to - from) : timecode ? to - from
                : ShownIn(cut.Head ? double.NegativeInfinity : from, toEnd ? double.PositiveInfinity : to);
            shownLost += (long)Math.Round(shownOfRange * movie.MovieTimescale);
        }
        if (!keep.Contains(true))
        {
            throw new InvalidDataException($"{path} cannot be cut so: track {track.Id} ({track.Codec}) would keep no sample; nothing was changed");
        }

        // New durations: from each kept sample's new decode time to the next one's.
        long Shift(int i)
        {
            long shift = headLost;
            double rel = video || ordered || joins.Count == 0 ? 0 : Rel(i);
            foreach (ref readonly var join in System.Runtime.InteropServices.CollectionsMarshal.AsSpan(joins))
            {
                shift += (video ? i >= join.End : ordered ? i >= join.FirstFrom : rel >= join.From) ? join.Lost : 0;
            }
            return shift - (late.Count == 0 ? 0 : late.GetValueOrDefault(i));
        }
        int[] kept = TrackCut.IndexesOf(keep);
        var durations = new uint[kept.Length];
        var earlier = new Dictionary<int, long>(); // DecodedEarlier
        long NewDts(int k) => s.Dts(kept[k]) - Shift(kept[k]) - (earlier.Count == 0 ? 0 : earlier.GetValueOrDefault(kept[k]));
        long carried = kept.Length > 0 ? NewDts(0) : 0; // the sample's new decode time, worked out as the one before's next
        for (int k = 0; k < kept.Length; k++)
        {
            int i = kept[k];
            long dts = carried;
            long next = k + 1 < kept.Length ? NewDts(k + 1) : dts + s.Duration(i) - shorten.GetValueOrDefault(i);
            bool join = k + 1 < kept.Length && kept[k + 1] != i + 1; // removed samples between the two
            if ((next < dts || (next == dts && join)) && k + 1 < kept.Length && track.Table.CompositionOffsets is not null)
            {
                // A join after which the first picture is decoded before (or with) the last ones kept
                // ahead of it (--exact from a B picture, in reordered B pictures of different
                // depths). Those are decoded earlier instead, each a tick before the next, as
                // far back as it takes; where they are shown does not change (ctts takes up
                // what stts gives).
                int j = k;
                for (; j >= 0 && NewDts(j) >= NewDts(j + 1); j--)
                {
                    earlier[kept[j]] = earlier.GetValueOrDefault(kept[j]) + NewDts(j) - NewDts(j + 1) + 1;
                }
                if (j < 0)
                {
                    throw new InvalidDataException($"{path} cannot be cut so: track {track.Id}'s samples would not stay in decode order after the join; nothing was changed");
                }
                for (int m = j; m < k; m++)
                {
                    durations[m] = (uint)(NewDts(m + 1) - NewDts(m));
                }
                dts = NewDts(k);
            }
            if (next < dts || next - dts > uint.MaxValue)
            {
                throw new InvalidDataException($"{path} cannot be cut so: track {track.Id}'s samples would not stay in decode order after the join; nothing was changed");
            }
            durations[k] = (uint)(next - dts);
            carried = next; // a join's respacing above moves only samples up to this one
        }
        return new TrackCut
        {
            Track = track, Samples = s, Keep = keep, Kept = kept, Durations = durations, MediaTime = mediaTime, ShownLost = shownLost,
            TimecodeFrames = timecodeFrames, DecodedEarlier = earlier, EmptyEdit = emptyEdit,
        };
    }
}
