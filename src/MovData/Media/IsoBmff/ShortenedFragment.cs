using System.Buffers.Binary;
using MovData.Edits;

namespace MovData.Media.IsoBmff;

/// <summary>
/// The fragment a cut of a fragmented MP4 begins inside of, where an H.264 join needs the cut
/// to start a few pictures past a fragment's keyframe (<see cref="AvcJoins.Ordered"/>: the
/// I picture the video resumes on would count below the pictures kept before it). The
/// fragment keeps each track's first samples, as far into it as the video's kept pictures
/// last, and loses the rest: each track run's sample count is made that many (its entries
/// for the rest become a free box inside its traf), and mdat ends after the last kept sample's
/// data, where the cut's range begins. The removed pictures' bytes before that stay in mdat,
/// referenced by nothing. Nothing of the moof moves and no byte of media is written.
/// </summary>
internal static class ShortenedFragment
{
    private const uint BaseDataOffset = 0x1, BaseIsMoof = 0x20000;

    /// <summary>
    /// How many of each track's samples fragment <paramref name="span"/> keeps where its video
    /// keeps those before sample <paramref name="resume"/> (its list number): the video those,
    /// every other track those whose middle is shown before as long into its fragment as the
    /// kept pictures' decode durations last, so that the tracks stay in step as their
    /// fragments' starts are. Null where a track would keep none, or all of the video would
    /// be kept.
    /// </summary>
    internal static Dictionary<int, int>? Kept(Movie movie, FragmentSpan span, int resume)
    {
        SampleList video = movie.Samples;
        int first = span.FirstVideoSample;
        if (first < 0 || span.Fragment.Tracks.FirstOrDefault(t => t.TrackId == movie.Video.Id && t.SampleCount > 0) is not { SampleCount: > 0 } v
            || resume <= first || resume >= first + v.SampleCount)
        {
            return null;
        }
        double seconds = (double)(video.Dts(resume) - video.Dts(first)) / movie.Video.Timescale;
        var kept = new Dictionary<int, int> { [v.TrackId] = resume - first };
        foreach (TrackFragment t in span.Fragment.Tracks.Where(t => t.TrackId != v.TrackId && t.SampleCount > 0))
        {
            Track track = movie.Tracks.First(x => x.Id == t.TrackId);
            SampleList s = track.Fragments!.List;
            long until = s.Dts(t.FirstSample) + (long)Math.Round(seconds * track.Timescale);
            int n = 0;
            while (n < t.SampleCount && s.Dts(t.FirstSample + n) + s.Duration(t.FirstSample + n) / 2 <= until)
            {
                n++;
            }
            if (n == 0)
            {
                return null;
            }
            kept[t.TrackId] = n;
        }
        return kept;
    }

    /// <summary>
    /// The writes that make fragment <paramref name="span"/> keep only <paramref name="kept"/>
    /// samples of each track (<see cref="Kept"/>), and where its kept data ends (the cut's range
    /// begins there). Null where it cannot be done so: a traf with a box besides tfhd, tfdt and
    /// one trun (sdtp, sbgp, subs, saiz, senc list samples and would be left stale), a traf
    /// after the first whose data is found from the end of the one before (which moves), a
    /// run's entries that leave too few bytes for a free box, or kept data outside one mdat.
    /// </summary>
    internal static (List<Patch> Writes, long End)? Shorten(Movie movie, FragmentSpan span, IReadOnlyDictionary<int, int> kept, string path)
    {
        Box moof = span.Fragment.Moof;
        byte[] bytes = new byte[moof.Size];
        if (MediaReads.Read(movie.File, bytes, moof.Offset) != bytes.Length)
        {
            throw new InvalidDataException($"{path} is truncated: the file ended inside the moof at offset {moof.Offset}");
        }
        string at = $"{path}: moof at offset {moof.Offset}";
        var writes = new List<Patch>();
        var trafs = Boxes.Children(bytes, moof with { Offset = 0 }, at).Where(b => b.Name == "traf").ToList();
        for (int i = 0; i < trafs.Count; i++)
        {
            List<Box> parts = Boxes.Children(bytes, trafs[i], $"{at}/traf");
            var h = new FieldReader(bytes, parts.FirstOrDefault(b => b.Name == "tfhd"), $"{at}/traf/tfhd");
            (_, uint flags) = h.FullBox();
            int id = (int)h.U32();
            List<Box> runs = parts.FindAll(b => b.Name == "trun");
            if (parts.Any(b => b.Name is not ("tfhd" or "tfdt" or "trun")) || runs.Count > 1
                || (i > 0 && (flags & (BaseDataOffset | BaseIsMoof)) == 0))
            {
                return null;
            }
            if (runs.Count == 0 || !kept.TryGetValue(id, out int keep))
            {
                continue;
            }
            Box trun = runs[0];
            var r = new FieldReader(bytes, trun, $"{at}/traf/trun");
            (_, uint tr) = r.FullBox();
            int perSample = 4 * BitCount(tr & 0xF00);
            int count = r.Count(perSample);
            if (keep >= count)
            {
                continue;
            }
            long left = (long)perSample * (count - keep);
            if (left is > 0 and < 8 || trun.HeaderSize != 8)
            {
                return null;
            }
            long trunAt = moof.Offset + trun.Offset;
            writes.Add(Patches.Of(trunAt + 8 + 4, 4, b => BinaryPrimitives.WriteUInt32BigEndian(b, (uint)keep)));
            if (left > 0)
            {
                uint size = (uint)(trun.Size - left);
                writes.Add(Patches.Of(trunAt, 4, b => BinaryPrimitives.WriteUInt32BigEndian(b, size)));
                writes.Add(Patches.Free(trunAt + size, left));
            }
        }

        // mdat ends with the last kept sample's data.
        long end = 0;
        foreach (TrackFragment t in span.Fragment.Tracks.Where(t => t.SampleCount > 0))
        {
            SampleList s = movie.Tracks.First(x => x.Id == t.TrackId).Fragments!.List;
            for (int i = t.FirstSample; i < t.FirstSample + Math.Min(kept.GetValueOrDefault(t.TrackId, t.SampleCount), t.SampleCount); i++)
            {
                end = Math.Max(end, s.Offset(i) + s.Size(i));
            }
        }
        if (movie.TopLevel.FirstOrDefault(b => b.Type == FourCc.Mdat && b.Offset >= moof.End && b.PayloadOffset < end && end <= b.End) is not { Size: > 0 } mdat
            || span.Fragment.Tracks.Any(t => t.SampleCount > 0 && t.DataStart < mdat.PayloadOffset))
        {
            return null;
        }
        long length = end - mdat.Offset;
        writes.Add(mdat.HeaderSize == 16
            ? Patches.Of(mdat.Offset + 8, 8, b => BinaryPrimitives.WriteInt64BigEndian(b, length))
            : Patches.Of(mdat.Offset, 4, b => BinaryPrimitives.WriteUInt32BigEndian(b, (uint)length)));
        return (writes, end);
    }

    /// <summary>How far each track's time is shortened: the decode durations of the samples
    /// fragment <paramref name="span"/> keeps (<see cref="Kept"/>) by track.</summary>
    internal static Dictionary<int, long> KeptDurations(Movie movie, FragmentSpan span, IReadOnlyDictionary<int, int> kept)
    {
        var durations = new Dictionary<int, long>();
        foreach (TrackFragment t in span.Fragment.Tracks.Where(t => kept.ContainsKey(t.TrackId)))
        {
            SampleList s = movie.Tracks.First(x => x.Id == t.TrackId).Fragments!.List;
            int n = Math.Min(kept[t.TrackId], t.SampleCount);
            durations[t.TrackId] = durations.GetValueOrDefault(t.TrackId) + s.Dts(t.FirstSample + n - 1) + s.Duration(t.FirstSample + n - 1) - s.Dts(t.FirstSample);
        }
        return durations;
    }

    private static int BitCount(uint v) => System.Numerics.BitOperations.PopCount(v);
}
