using System.Buffers.Binary;
using MovData.Edits;
using static MovData.Media.IsoBmff.FragmentFlags;

namespace MovData.Media.IsoBmff;

/// <summary>
/// The fragment a cut of a fragmented MP4 begins inside of, where an H.264 join needs the cut
/// to start a few pictures past a fragment's keyframe (<see cref="AvcJoins.Ordered"/>: the
/// I picture the video resumes on would count below the pictures kept before it). The
/// fragment keeps each track's first samples, as far into it as the video's kept pictures
/// last, and loses the rest: each track run's sample count is made that many (its entries
/// for the rest become a free box inside its traf); the removed samples between one track's
/// kept ones and the next's collapse by their whole blocks inside mdat (a run after them has
/// its data offset moved back), and mdat ends after the last kept sample's data, where the
/// cut's range begins. Nothing of the moof moves and no byte of media is written.
/// </summary>
internal static class ShortenedFragment
{
    /// <summary>
    /// How many of each track's samples fragment <paramref name="span"/> keeps where its video
    /// keeps those before sample <paramref name="resume"/> (its list number): the video those,
    /// every other track those whose middle is shown before as long into its fragment as the
    /// kept pictures' decode durations last, so that the tracks stay in step as their
    /// fragments' starts are; a text (a subtitle, a chapter) those that start before the first
    /// picture removed is shown, on the movie's clock (ffmpeg writes texts that last seconds,
    /// and in the fragment where they start), none if none does. Null where a track other
    /// than a text would keep none, or all of the video would be kept.
    /// </summary>
    internal static Dictionary<int, int>? Kept(Movie movie, FragmentSpan span, int resume)
    {
        int first = span.FirstVideoSample;
        if (first < 0 || VideoOf(movie, span) is not { SampleCount: > 0 } v
            || resume <= first || resume >= first + v.SampleCount)
        {
            return null;
        }
        var kept = new Dictionary<int, int> { [v.TrackId] = resume - first };
        foreach (TrackFragment t in span.Fragment.Tracks.Where(t => t.TrackId != v.TrackId && t.SampleCount > 0))
        {
            Track track = TrackOf(movie, t);
            SampleList s = track.Fragments!.List;
            long until = Until(movie, span, resume - first, t);
            int n = 0;
            while (n < t.SampleCount && s.Dts(t.FirstSample + n) + (track.ShowsText ? 0 : s.Duration(t.FirstSample + n) / 2) < until + (track.ShowsText ? 0 : 1))
            {
                n++;
            }
            if (n == 0 && !track.ShowsText)
            {
                return null;
            }
            kept[t.TrackId] = n;
        }
        return kept;
    }

    /// <summary>Where in track fragment <paramref name="t"/> (its track's time) the kept part of
    /// fragment <paramref name="span"/> ends: as far into it as the decode durations of the
    /// video's first <paramref name="videoKept"/> pictures there last; for a text, where the
    /// first picture removed is shown.</summary>
    private static long Until(Movie movie, FragmentSpan span, int videoKept, TrackFragment t)
    {
        SampleList video = movie.Samples;
        Track track = TrackOf(movie, t);
        int first = span.FirstVideoSample, count = VideoOf(movie, span).SampleCount;
        if (track.ShowsText)
        {
            return span.ShownFrom(movie, videoKept, track);
        }
        double seconds = (double)(video.Dts(first + videoKept) - video.Dts(first)) / movie.Lead.Timescale;
        return track.Fragments!.List.Dts(t.FirstSample) + (long)Math.Round(seconds * track.Timescale);
    }

    /// <summary>
    /// The writes that make fragment <paramref name="span"/> keep only <paramref name="kept"/>
    /// samples of each track (<see cref="Kept"/>), the removed samples' bytes between its
    /// tracks' kept ones (each track's samples are one run: ffmpeg writes the video's, then the
    /// audio's) whose whole blocks collapse inside its mdat, and where its kept data ends: the
    /// cut's range begins there, or at <paramref name="next"/> (where the fragment after it
    /// begins) if less than a free box's 8 bytes would lie between, which mdat then takes in.
    /// A run whose data lies after a collapse has its data offset moved back, and a text's last
    /// kept sample (a subtitle lasts until the next) its duration cut to end there. Null where it
    /// cannot be done so: a traf with a box besides tfhd, tfdt and one trun (sdtp, sbgp,
    /// subs, saiz, senc list samples and would be left stale), a traf after the first whose
    /// data is found from the end of the one before (which moves), a run whose data moves
    /// without a data offset, a trun with a 64-bit size, a run's entries that leave too few
    /// bytes for a free box, a text's duration that is neither its own entry's nor, where it is
    /// the one kept, tfhd's default, or kept data outside one mdat.
    /// </summary>
    internal static Shortening? Shorten(Movie movie, FragmentSpan span, IReadOnlyDictionary<int, int> kept, long next, long blockSize, string path)
    {
        Box moof = span.Fragment.Moof;
        byte[] bytes = new byte[moof.Size];
        if (MediaReads.Read(movie.File, bytes, moof.Offset) != bytes.Length)
        {
            throw new InvalidDataException($"{path} is truncated: the file ended inside the moof at offset {moof.Offset}");
        }
        string at = $"{path}: moof at offset {moof.Offset}";

        // Each track's kept data: from its run's start to its last kept sample's end.
        var keptData = new Dictionary<int, (long Start, long End)>();
        foreach (TrackFragment t in span.Fragment.Tracks.Where(t => t.SampleCount > 0 && kept.GetValueOrDefault(t.TrackId, t.SampleCount) > 0))
        {
            SampleList s = TrackOf(movie, t).Fragments!.List;
            int last = t.FirstSample + Math.Min(kept.GetValueOrDefault(t.TrackId, t.SampleCount), t.SampleCount) - 1;
            keptData[t.TrackId] = (t.DataStart, s.Offset(last) + s.Size(last));
        }
        long end = keptData.Values.Max(d => d.End);
        if (movie.TopLevel.FirstOrDefault(b => b.Type == FourCc.Mdat && b.Offset >= moof.End && b.PayloadOffset < end && end <= b.End) is not { Size: > 0 } mdat
            || keptData.Values.Any(d => d.Start < mdat.PayloadOffset))
        {
            return null;
        }
        end = next - end < 8 ? next : end;
        // The removed bytes between kept data, and the whole blocks inside them.
        var holes = new List<RemovedGap>();
        (long Start, long End)[] runs = [.. keptData.Values.OrderBy(d => d.Start)];
        for (int i = 1; i < runs.Length; i++)
        {
            (long a, long b) = (runs[i - 1].End, runs[i].Start);
            if (b < a)
            {
                return null; // runs that overlap: not one track's after another's
            }
            long from = (a + blockSize - 1) / blockSize * blockSize, to = b / blockSize * blockSize;
            if (b > a)
            {
                holes.Add(new RemovedGap(a, b - a, from, Math.Max(0, to - from)));
            }
        }
        long CollapsedBefore(long offset) => holes.Where(h => h.CollapseOffset + h.CollapseLength <= offset).Sum(h => h.CollapseLength);

        var writes = new List<Patch>();
        var trafs = Boxes.Children(bytes, moof with { Offset = 0 }, at).Where(b => b.Name == "traf").ToList();
        for (int i = 0; i < trafs.Count; i++)
        {
            List<Box> parts = Boxes.Children(bytes, trafs[i], $"{at}/traf");
            var h = new FieldReader(bytes, parts.FirstOrDefault(b => b.Name == "tfhd"), $"{at}/traf/tfhd");
            (_, uint flags) = h.FullBox();
            int id = (int)h.U32();
            long @base = (flags & BaseDataOffset) != 0 ? (long)h.U64() : moof.Offset;
            List<Box> trafRuns = parts.FindAll(b => b.Name == "trun");
            if (parts.Any(b => b.Name is not ("tfhd" or "tfdt" or "trun")) || trafRuns.Count > 1
                || (i > 0 && (flags & (BaseDataOffset | BaseIsMoof)) == 0))
            {
                return null;
            }
            if (trafRuns.Count == 0 || !kept.ContainsKey(id))
            {
                continue;
            }
            Box trun = trafRuns[0];
            if (trun.HeaderSize != 8)
            {
                return null;
            }
            var r = new FieldReader(bytes, trun, $"{at}/traf/trun");
            (_, uint tr) = r.FullBox();
            int perSample = EntrySize(tr);
            int count = r.Count(perSample);
            long trunAt = moof.Offset + trun.Offset;
            // Its data moves back by the collapses before it, its base by those before that (a
            // run that keeps none has none).
            long moved = keptData.TryGetValue(id, out var data) ? CollapsedBefore(data.Start) - CollapsedBefore(@base) : 0;
            if (moved != 0)
            {
                if ((tr & RunDataOffset) == 0)
                {
                    return null;
                }
                long offset = r.I32() - moved;
                writes.Add(Patches.Of(trunAt + 16, 4, b => BinaryPrimitives.WriteInt32BigEndian(b, checked((int)offset))));
            }
            int keep = kept.GetValueOrDefault(id, count);
            TrackFragment t = span.Fragment.Tracks.First(x => x.TrackId == id && x.SampleCount > 0);
            if (TrackOf(movie, t).ShowsText && keep > 0)
            {
                long field = Fragments.DurationField(bytes, moof.Offset, trafs[i], Math.Min(keep, count) - 1, alone: keep == 1, $"{at}/traf");
                if (!EndText(movie, span, kept, t, Math.Min(keep, count), field, out Patch? ended))
                {
                    return null;
                }
                if (ended is { } e)
                {
                    writes.Add(e);
                }
            }
            if (keep >= count)
            {
                continue;
            }
            long left = (long)perSample * (count - keep);
            if (left is > 0 and < 8)
            {
                return null;
            }
            writes.Add(Patches.Of(trunAt + 12, 4, b => BinaryPrimitives.WriteUInt32BigEndian(b, (uint)keep)));
            if (left > 0)
            {
                uint size = (uint)(trun.Size - left);
                writes.Add(Patches.Of(trunAt, 4, b => BinaryPrimitives.WriteUInt32BigEndian(b, size)));
                writes.Add(Patches.Free(trunAt + size, left));
            }
        }

        // mdat ends with the last kept sample's data (or takes in what is left before the next
        // fragment), less the blocks collapsed inside it.
        long length = end - mdat.Offset - holes.Sum(h => h.CollapseLength);
        writes.Add(mdat.HeaderSize == 16
            ? Patches.Of(mdat.Offset + 8, 8, b => BinaryPrimitives.WriteInt64BigEndian(b, length))
            : Patches.Of(mdat.Offset, 4, b => BinaryPrimitives.WriteUInt32BigEndian(b, checked((uint)length))));
        return new Shortening(writes, holes, end);
    }

    /// <summary>
    /// The write that ends text track fragment <paramref name="t"/>'s last kept sample (the
    /// <paramref name="keep"/>th) where fragment <paramref name="span"/> is cut, if it is shown
    /// on past there (a subtitle lasts until the next): its duration, written at
    /// <paramref name="field"/> (<see cref="Fragments.DurationField"/>; ffmpeg's mov_text has
    /// it in tfhd). False where it is shown on past there and <paramref name="field"/> is -1.
    /// </summary>
    private static bool EndText(Movie movie, FragmentSpan span, IReadOnlyDictionary<int, int> kept, TrackFragment t, int keep, long field, out Patch? write)
    {
        write = null;
        SampleList list = TrackOf(movie, t).Fragments!.List;
        int last = t.FirstSample + keep - 1;
        long until = Until(movie, span, kept[movie.Lead.Id], t);
        if (list.Dts(last) + list.Duration(last) <= until)
        {
            return true;
        }
        uint shortened = (uint)(until - list.Dts(last));
        if (field < 0)
        {
            return false;
        }
        write = Patches.Of(field, 4, b => BinaryPrimitives.WriteUInt32BigEndian(b, shortened));
        return true;
    }

    /// <summary>How far each track's time is shortened: the decode durations of the samples
    /// fragment <paramref name="span"/> keeps (<see cref="Kept"/>) by track, a text's last one
    /// cut where the fragment is (<see cref="Shorten"/>).</summary>
    internal static Dictionary<int, long> KeptDurations(Movie movie, FragmentSpan span, IReadOnlyDictionary<int, int> kept)
    {
        var durations = new Dictionary<int, long>();
        foreach (TrackFragment t in span.Fragment.Tracks.Where(t => kept.ContainsKey(t.TrackId)))
        {
            Track track = TrackOf(movie, t);
            SampleList s = track.Fragments!.List;
            int n = Math.Min(kept[t.TrackId], t.SampleCount);
            long shown = n == 0 ? 0 : s.Dts(t.FirstSample + n - 1) + s.Duration(t.FirstSample + n - 1) - s.Dts(t.FirstSample);
            durations[t.TrackId] = track.ShowsText ? Math.Min(shown, Until(movie, span, kept[movie.Lead.Id], t) - s.Dts(t.FirstSample)) : shown;
        }
        return durations;
    }

    private static Track TrackOf(Movie movie, TrackFragment t) => movie.Tracks.First(x => x.Id == t.TrackId);

    /// <summary>The video's track fragment in <paramref name="span"/>; one of no samples where it has none there.</summary>
    private static TrackFragment VideoOf(Movie movie, FragmentSpan span) =>
        span.Fragment.Tracks.FirstOrDefault(t => t.TrackId == movie.Lead.Id && t.SampleCount > 0);
}

/// <summary>A fragment shortened (<see cref="ShortenedFragment.Shorten"/>): the writes that do
/// it, the removed bytes between its tracks' kept data (and the whole blocks inside each,
/// which collapse), in file order, and where its kept data ends.</summary>
internal sealed record Shortening(List<Patch> Writes, List<RemovedGap> Holes, long End);
