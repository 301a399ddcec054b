using System.Buffers.Binary;
using MovData.Edits;

namespace MovData.Media.IsoBmff;

/// <summary>
/// A text track (subtitles) of a fragmented MP4 across the ranges of a cut of fragments.
/// Text is sparse: ffmpeg writes each cue in the fragment where it starts, lasting until the
/// next, so the fragments a range removes may hold none of the track's samples while the cue
/// before the range is shown on across it. Its time lost at a range is therefore the
/// video's, not the sum of its removed fragments' durations: every cue after the range moves
/// back as the video does. The last cue kept before a range, where it is shown on past the
/// range's start, ends there (its duration in its track run, or in tfhd where it is its
/// fragment's one sample), so that no cue overlaps the next; where that duration cannot be
/// written (trex's default, a tfhd default that several samples share, or moov's tables
/// list the cue), the cues after move back only as far as it ends: late, never overlapping
/// (an empty one, which shows nothing, only as far as it starts). The first cue kept after a
/// range that would start before then (ffmpeg puts a cue that starts up to a few frames before
/// a keyframe into that keyframe's fragment) starts then instead, shown that much less, where
/// it is the first sample of its track fragment and its duration can be written: its
/// fragment's tfdt for the track moves back that much less, and the cues after it keep their
/// places; where it cannot be so, the track moves back only as far as it may. No cue moves
/// before the track's time 0. A chapter track (named by another's <c>tref/chap</c>; ffmpeg writes it
/// whole in the first fragment), or one whose kept samples before a range start past the
/// range's start, is left as its fragments' durations move it.
/// </summary>
internal static class TextAcrossJoins
{
    /// <summary>
    /// Sets each text track's time lost at each range in <paramref name="lost"/> (by range, by
    /// track, in its timescale; the video's as the cut counts it), and returns the writes that
    /// end the cues kept before the ranges and shorten those that start later (offsets before
    /// any collapse), and how much less than the time lost before it each such cue's track
    /// fragment moves back (by fragment, track and ticks).
    /// <paramref name="taken"/> holds each range's fragments, <paramref name="removed"/> says
    /// which fragments go, and <paramref name="keptIn"/> how many of each track's samples a
    /// fragment a range begins inside of keeps, by fragment.
    /// </summary>
    internal static (List<Patch> Writes, List<(int Fragment, int Track, long Ticks)> Later) Plan(Movie movie, List<FragmentSpan> spans, bool[] removed,
        List<(int First, int Next)> taken, IReadOnlyDictionary<int, Dictionary<int, int>> keptIn, List<Dictionary<int, long>> lost, string path)
    {
        var writes = new List<Patch>();
        var later = new List<(int, int, long)>();
        foreach (Track text in movie.Tracks.Where(t => t.ShowsText && t != movie.Lead && t.Fragments is not null && !movie.NamesChapters(t)))
        {
            if (Across(movie, text, spans, removed, taken, keptIn, lost, path) is { } planned)
            {
                for (int r = 0; r < taken.Count; r++)
                {
                    lost[r][text.Id] = planned.Lost[r];
                }
                writes.AddRange(planned.Durations.Select(e => Patches.Of(e.Key, 4, b => BinaryPrimitives.WriteUInt32BigEndian(b, checked((uint)e.Value)))));
                later.AddRange(planned.Later.Select(l => (l.Fragment, text.Id, l.Ticks)));
            }
        }
        return (writes, later);
    }

    /// <summary>One text track's time lost at each range; the durations it writes, by where in
    /// the file each is (a cue ended or shortened: the last write for a place wins); and the
    /// fragments whose first cue starts later, by how many ticks. Null where it is left as its
    /// fragments move it.</summary>
    private static (long[] Lost, Dictionary<long, long> Durations, List<(int Fragment, long Ticks)> Later)? Across(Movie movie, Track text, List<FragmentSpan> spans, bool[] removed, List<(int First, int Next)> taken,
        IReadOnlyDictionary<int, Dictionary<int, int>> keptIn, List<Dictionary<int, long>> lost, string path)
    {
        SampleList s = text.Fragments!.List;
        // Its kept samples in order, each with its fragment and track fragment.
        var kept = new List<(int Fragment, int Traf, int Sample)>();
        for (int k = 0; k < spans.Count; k++)
        {
            IReadOnlyList<TrackFragment> trafs = spans[k].Fragment.Tracks;
            for (int j = 0; j < trafs.Count; j++)
            {
                TrackFragment t = trafs[j];
                if (t.TrackId != text.Id || removed[k])
                {
                    continue;
                }
                int n = keptIn.TryGetValue(k, out var counts) ? Math.Min(counts.GetValueOrDefault(text.Id, t.SampleCount), t.SampleCount) : t.SampleCount;
                kept.AddRange(Enumerable.Range(t.FirstSample, n).Select(i => (k, j, i)));
            }
        }
        var losses = new long[taken.Count];
        var durations = new Dictionary<long, long>();
        var later = new List<(int Fragment, long Ticks)>();
        var ended = new Dictionary<int, long>(); // a kept sample's end where a range ends it
        var starts = new Dictionary<int, long>(); // a kept sample's start where a range moved it later (its end stays)
        long LostBefore(int fragment, int upTo) => Enumerable.Range(0, upTo).Where(r => taken[r].First < fragment).Sum(r => losses[r]);
        for (int r = 0; r < taken.Count; r++)
        {
            (int first, int next) = taken[r];
            bool inside = keptIn.ContainsKey(first);
            long video = lost[r].GetValueOrDefault(movie.Lead.Id);
            losses[r] = (long)Math.Round((double)video / movie.Lead.Timescale * text.Timescale);
            if (spans[first].FirstVideoSample < 0)
            {
                return null;
            }
            long start = spans[first].ShownFrom(movie, inside ? keptIn[first][movie.Lead.Id] : 0, text);
            int before = kept.FindLastIndex(x => x.Fragment < next);
            // Where the next kept cue may start at the earliest, on the new clock: where the
            // one before it ends (where it starts, if it is empty and cannot be ended), or 0.
            long floor = 0;
            if (before >= 0)
            {
                (int fragment, int traf, int sample) = kept[before];
                if (starts.GetValueOrDefault(sample, s.Dts(sample)) >= start)
                {
                    return null; // kept samples shown after the range: not a subtitle track's order
                }
                long end = ended.TryGetValue(sample, out long e) ? e : s.Dts(sample) + s.Duration(sample);
                if (end > start)
                {
                    if (inside && fragment == first)
                    {
                        end = start; // ended where its fragment is cut (ShortenedFragment)
                    }
                    else if (DurationAt(movie, spans[fragment], traf, sample, path) is >= 0 and var field)
                    {
                        durations[field] = start - starts.GetValueOrDefault(sample, s.Dts(sample));
                        end = start;
                    }
                    else if (s.Size(sample) <= 2)
                    {
                        end = s.Dts(sample) + 1; // an empty text (a length of 0) shows nothing over the next
                    }
                    ended[sample] = end;
                }
                floor = end - LostBefore(fragment, r);
            }
            if (before + 1 < kept.Count)
            {
                (int fragment, int traf, int after) = kept[before + 1];
                long room = s.Dts(after) - LostBefore(fragment, r) - floor;
                long late = losses[r] - room; // how far before the floor it would start
                // (Not in a fragment a later range begins inside of, whose texts' ends ShortenedFragment writes.)
                TrackFragment t = spans[fragment].Fragment.Tracks[traf];
                if (late > 0 && late < s.Duration(after) && room >= 0 && after == t.FirstSample && t.DecodeTimeAt >= 0 && !keptIn.ContainsKey(fragment)
                    && DurationAt(movie, spans[fragment], traf, after, path) is >= 0 and var field)
                {
                    // It starts at the floor, shown that much less; its fragment's tfdt for the
                    // track moves back that much less, and the cues after it keep their places.
                    durations[field] = s.Duration(after) - late;
                    starts[after] = s.Dts(after) + late;
                    later.Add((fragment, late));
                }
                else
                {
                    losses[r] = Math.Clamp(room, 0, losses[r]);
                }
            }
        }
        return (losses, durations, later);
    }

    /// <summary>Where in the file the duration of sample <paramref name="sample"/> (its track
    /// list's number) of the <paramref name="traf"/>th track fragment of <paramref name="span"/>
    /// is written (<see cref="Fragments.DurationField"/>); -1 where it cannot be written
    /// there, or moov's tables list it.</summary>
    private static long DurationAt(Movie movie, FragmentSpan span, int traf, int sample, string path)
    {
        Box moof = span.Fragment.Moof;
        if (moof.Type != FourCc.Moof)
        {
            return -1;
        }
        byte[] bytes = new byte[moof.Size];
        if (MediaReads.Read(movie.File, bytes, moof.Offset) != bytes.Length)
        {
            throw new InvalidDataException($"{path} is truncated: the file ended inside the moof at offset {moof.Offset}");
        }
        string at = $"{path}: moof at offset {moof.Offset}/traf";
        Box box = Boxes.Children(bytes, moof with { Offset = 0 }, at).Where(b => b.Name == "traf").ElementAt(traf);
        TrackFragment t = span.Fragment.Tracks[traf];
        return Fragments.DurationField(bytes, moof.Offset, box, sample - t.FirstSample, alone: t.SampleCount == 1, at);
    }
}
