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
/// (an empty one, which shows nothing, only as far as it starts). No cue moves before the
/// track's time 0. A chapter track (named by another's <c>tref/chap</c>; ffmpeg writes it
/// whole in the first fragment), or one whose kept samples before a range start past the
/// range's start, is left as its fragments' durations move it.
/// </summary>
internal static class TextAcrossJoins
{
    /// <summary>
    /// Sets each text track's time lost at each range in <paramref name="lost"/> (by range, by
    /// track, in its timescale; the video's as the cut counts it), and returns the writes that
    /// end the cues kept before the ranges (offsets before any collapse).
    /// <paramref name="taken"/> holds each range's fragments, <paramref name="removed"/> says
    /// which fragments go, and <paramref name="keptIn"/> how many of each track's samples a
    /// fragment a range begins inside of keeps, by fragment.
    /// </summary>
    internal static List<Patch> Plan(Movie movie, List<FragmentSpan> spans, bool[] removed, List<(int First, int Next)> taken,
        IReadOnlyDictionary<int, Dictionary<int, int>> keptIn, List<Dictionary<int, long>> lost, string path)
    {
        var writes = new List<Patch>();
        foreach (Track text in movie.Tracks.Where(t => t.ShowsText && t != movie.Video && t.Fragments is not null && !movie.NamesChapters(t)))
        {
            if (Across(movie, text, spans, removed, taken, keptIn, lost, path) is { } planned)
            {
                for (int r = 0; r < taken.Count; r++)
                {
                    lost[r][text.Id] = planned.Lost[r];
                }
                writes.AddRange(planned.Ends.Select(e => Patches.Of(e.Field, 4, b => BinaryPrimitives.WriteUInt32BigEndian(b, checked((uint)e.Duration)))));
            }
        }
        return writes;
    }

    /// <summary>A cue to end: its duration, written at <c>Field</c> in the file, made <c>Duration</c>.</summary>
    private readonly record struct End(long Field, long Duration);

    /// <summary>One text track's time lost at each range, and the cues it ends; null where it
    /// is left as its fragments move it.</summary>
    private static (long[] Lost, List<End> Ends)? Across(Movie movie, Track text, List<FragmentSpan> spans, bool[] removed, List<(int First, int Next)> taken,
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
        var ends = new List<End>();
        var ended = new Dictionary<int, long>(); // a kept sample's end where a range ends it
        long LostBefore(int fragment, int upTo) => Enumerable.Range(0, upTo).Where(r => taken[r].First < fragment).Sum(r => losses[r]);
        for (int r = 0; r < taken.Count; r++)
        {
            (int first, int next) = taken[r];
            bool inside = keptIn.ContainsKey(first);
            long video = lost[r].GetValueOrDefault(movie.Video.Id);
            losses[r] = (long)Math.Round((double)video / movie.Video.Timescale * text.Timescale);
            if (spans[first].FirstVideoSample < 0)
            {
                return null;
            }
            long start = spans[first].ShownFrom(movie, inside ? keptIn[first][movie.Video.Id] : 0, text);
            int before = kept.FindLastIndex(x => x.Fragment < next);
            // Where the next kept cue may start at the earliest, on the new clock: where the
            // one before it ends (where it starts, if it is empty and cannot be ended), or 0.
            long floor = 0;
            if (before >= 0)
            {
                (int fragment, int traf, int sample) = kept[before];
                if (s.Dts(sample) >= start)
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
                        ends.Add(new End(field, start - s.Dts(sample)));
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
                int after = kept[before + 1].Sample;
                long room = s.Dts(after) - LostBefore(kept[before + 1].Fragment, r) - floor;
                losses[r] = Math.Clamp(room, 0, losses[r]);
            }
        }
        return (losses, ends);
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
