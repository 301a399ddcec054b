using Microsoft.Win32.SafeHandles;
using static MovData.Media.IsoBmff.FragmentFlags;

namespace MovData.Media.IsoBmff;

/// <summary>The defaults a track's fragments fall back on (trex in mvex).</summary>
internal readonly record struct TrackDefaults(uint Duration, uint Size, uint Flags);

/// <summary>What the fragments of a fragmented file hold of one track: counts and length,
/// and its samples one by one.</summary>
internal sealed class FragmentSamples
{
    /// <summary>The fragments' samples (not those moov's tables hold).</summary>
    internal long Count { get; set; }
    internal long SyncCount { get; set; }
    internal long Duration { get; set; }

    /// <summary>Every sample of the track, in decode order: those moov's tables hold (ffmpeg's
    /// frag_keyframe without empty_moov indexes the first fragment there), then the fragments'.</summary>
    internal SampleList List { get; } = new(1024);
}

/// <summary>
/// One track fragment (traf) as a cut rewrites it: its track, where its fields that hold
/// absolute positions and times lie in the file (-1: it has none), the samples it adds to
/// its track's <see cref="FragmentSamples.List"/> and their decode duration.
/// </summary>
/// <param name="TrackId">Its track (tfhd's track_ID).</param>
/// <param name="BaseOffsetAt">Where tfhd's 64-bit base_data_offset lies (an absolute file offset), or -1.</param>
/// <param name="DecodeTimeAt">Where tfdt's baseMediaDecodeTime lies, or -1 without a tfdt.</param>
/// <param name="DecodeTimeVersion">tfdt's version: 1 for a 64-bit time, 0 for 32 bits.</param>
/// <param name="BaseOffset">base_data_offset's value (0 without one).</param>
/// <param name="DecodeTime">The decode time of its first sample, in its track's timescale.</param>
/// <param name="FirstSample">Its first sample's number in its track's list.</param>
/// <param name="SampleCount">How many samples it has.</param>
/// <param name="Duration">Their decode durations' sum, in its track's timescale.</param>
/// <param name="DataStart">Where its first sample's data begins in the file.</param>
/// <param name="DataEnd">Where its last sample's data ends (its base, without samples).</param>
internal readonly record struct TrackFragment(int TrackId, long BaseOffsetAt, long DecodeTimeAt, byte DecodeTimeVersion, long BaseOffset, long DecodeTime,
    int FirstSample, int SampleCount, long Duration, long DataStart, long DataEnd);

/// <summary>One movie fragment: its moof, and its track fragments in order.</summary>
internal sealed record MovieFragment(Box Moof, IReadOnlyList<TrackFragment> Tracks);

/// <summary>
/// The movie fragments of a fragmented MP4 (<c>moof</c>: <c>tfhd</c>, <c>tfdt</c>,
/// <c>trun</c>; ISO/IEC 14496-12 §8.8), read box by box (each <c>moof</c> is a few hundred
/// bytes) to count samples and sync samples, time them, and check that each run's data lies
/// in the file. Media data is not read.
/// </summary>
internal static class Fragments
{
    /// <summary>Adds what each <c>moof</c> of <paramref name="moofs"/> holds to its track's
    /// <see cref="Track.Fragments"/>, and returns the fragments as a cut rewrites them.</summary>
    /// <exception cref="InvalidDataException">A fragment is damaged, or its data lies past the end of the file.</exception>
    internal static List<MovieFragment> Read(SafeFileHandle file, long fileSize, IReadOnlyList<Box> moofs, IReadOnlyList<Track> tracks,
        IReadOnlyDictionary<int, TrackDefaults> defaults, CancellationToken cancel)
    {
        var nextDts = new Dictionary<int, long>();
        foreach (Track t in tracks)
        {
            t.Fragments = new FragmentSamples();
            SampleList table = t.Table.List();
            for (int i = 0; i < table.Count; i++)
            {
                t.Fragments.List.Add(table.Offset(i), table.Size(i), table.Dts(i), table.Pts(i), table.Duration(i), table.IsSync(i));
            }
            if (table.Count > 0)
            {
                nextDts[t.Id] = table.Dts(table.Count - 1) + table.Duration(table.Count - 1);
            }
        }
        var fragments = new List<MovieFragment>(moofs.Count);
        int number = 0;
        foreach (Box moof in moofs)
        {
            cancel.ThrowIfCancellationRequested();
            number++;
            if (moof.Size > 64 << 20)
            {
                throw new InvalidDataException($"the moof box at offset {moof.Offset} claims {moof.Size} bytes, more than a fragment's index ever needs (a corrupt file)");
            }
            byte[] bytes = new byte[moof.Size];
            MediaReads.Read(file, bytes, moof.Offset);
            var box = moof with { Offset = 0 };
            string path = $"moof {number} (offset {moof.Offset})";
            long dataEnd = moof.Offset; // where the previous track run's data ended: the base of a traf without one
            var trafs = new List<TrackFragment>();
            foreach (Box traf in Boxes.Children(bytes, box, path).Where(b => b.Name == "traf"))
            {
                TrackFragment t = ReadTraf(bytes, traf, moof.Offset, dataEnd, fileSize, tracks, defaults, nextDts, $"{path}/traf");
                trafs.Add(t);
                dataEnd = t.DataEnd;
            }
            fragments.Add(new MovieFragment(moof, trafs));
        }
        return fragments;
    }

    /// <summary>
    /// Where in the file the decode duration of sample <paramref name="n"/> (from 0) of track
    /// fragment <paramref name="traf"/> is written (<paramref name="moof"/> holds the moof's
    /// bytes, which begin at <paramref name="moofOffset"/> in the file): its entry in the
    /// traf's one track run, or, where the run has no durations and the sample is the one the
    /// fragment keeps (<paramref name="alone"/>), tfhd's default_sample_duration. -1 where it is
    /// neither: trex's default, which every fragment shares, a tfhd default that other samples
    /// of the fragment share, or a traf of several runs.
    /// </summary>
    internal static long DurationField(byte[] moof, long moofOffset, Box traf, int n, bool alone, string path)
    {
        List<Box> parts = Boxes.Children(moof, traf, path);
        List<Box> runs = parts.FindAll(b => b.Name == "trun");
        if (runs.Count != 1 || parts.FirstOrDefault(b => b.Name == "tfhd") is not { Size: > 0 } tfhd)
        {
            return -1;
        }
        var r = new FieldReader(moof, runs[0], $"{path}/trun");
        (_, uint run) = r.FullBox();
        if ((run & RunDurations) != 0)
        {
            int count = r.Count(EntrySize(run));
            return n < count
                ? moofOffset + runs[0].PayloadOffset + 8 + ((run & RunDataOffset) != 0 ? 4 : 0) + ((run & RunFirstFlags) != 0 ? 4 : 0) + (long)n * EntrySize(run)
                : -1;
        }
        var h = new FieldReader(moof, tfhd, $"{path}/tfhd");
        (_, uint flags) = h.FullBox();
        return alone && (flags & DefaultDuration) != 0
            ? moofOffset + tfhd.PayloadOffset + 8 + ((flags & BaseDataOffset) != 0 ? 8 : 0) + ((flags & DescriptionIndex) != 0 ? 4 : 0)
            : -1;
    }

    /// <summary>One track fragment, its samples added to its track's list.</summary>
    private static TrackFragment ReadTraf(byte[] moof, Box traf, long moofOffset, long previousEnd, long fileSize, IReadOnlyList<Track> tracks,
        IReadOnlyDictionary<int, TrackDefaults> defaults, Dictionary<int, long> nextDts, string path)
    {
        List<Box> children = Boxes.Children(moof, traf, path);
        Box tfhd = children.FirstOrDefault(b => b.Name == "tfhd");
        if (tfhd.Size == 0)
        {
            throw new InvalidDataException($"{path} has no tfhd: the fragment names no track");
        }
        var h = new FieldReader(moof, tfhd, $"{path}/tfhd");
        (_, uint flags) = h.FullBox();
        int id = (int)h.U32();
        Track track = tracks.FirstOrDefault(t => t.Id == id)
            ?? throw new InvalidDataException($"{path} is of track {id}, which moov does not have");
        TrackDefaults d = defaults.GetValueOrDefault(id);
        long @base = (flags & BaseIsMoof) != 0 ? moofOffset : previousEnd;
        long baseAt = -1;
        if ((flags & BaseDataOffset) != 0)
        {
            baseAt = moofOffset + tfhd.PayloadOffset + 8; // after version, flags and track_ID
            @base = (long)h.U64();
        }
        if ((flags & DescriptionIndex) != 0)
        {
            h.Skip(4); // sample_description_index
        }
        uint duration = (flags & DefaultDuration) != 0 ? h.U32() : d.Duration;
        uint size = (flags & DefaultSize) != 0 ? h.U32() : d.Size;
        uint sampleFlags = (flags & DefaultFlags) != 0 ? h.U32() : d.Flags;

        long dts = nextDts.GetValueOrDefault(id);
        long timeAt = -1;
        byte timeVersion = 0;
        if (children.FirstOrDefault(b => b.Name == "tfdt") is { Size: > 0 } tfdt)
        {
            var t = new FieldReader(moof, tfdt, $"{path}/tfdt");
            (timeVersion, _) = t.FullBox();
            dts = t.Sized(timeVersion);
            timeAt = moofOffset + tfdt.PayloadOffset + 4;
        }
        FragmentSamples into = track.Fragments!;
        long firstDts = dts;
        int firstSample = into.List.Count;
        long start = long.MaxValue, end = @base;
        foreach (Box trun in children.Where(b => b.Name == "trun"))
        {
            var r = new FieldReader(moof, trun, $"{path}/trun");
            (byte version, uint tr) = r.FullBox();
            int perSample = EntrySize(tr);
            int count = r.Count(perSample);
            long at = (tr & RunDataOffset) != 0 ? @base + r.I32() : end;
            uint? first = (tr & RunFirstFlags) != 0 ? r.U32() : null;
            for (int i = 0; i < count; i++)
            {
                uint dur = (tr & RunDurations) != 0 ? r.U32() : duration;
                uint sz = (tr & RunSizes) != 0 ? r.U32() : size;
                uint fl = (tr & RunFlags) != 0 ? r.U32() : i == 0 && first is { } f ? f : sampleFlags;
                long cto = (tr & RunOffsets) != 0 ? (version == 0 ? r.U32() : r.I32()) : 0;
                bool sync = (fl & SampleIsNonSync) == 0;
                if (at < 0 || at + sz > fileSize)
                {
                    throw new InvalidDataException(
                        $"track {id}'s sample in {path} lies at bytes {at}-{at + sz}, outside the file ({fileSize} bytes): its index points outside the file (a truncated file or a corrupt index)");
                }
                into.List.Add(at, sz, dts, dts + cto, dur, sync);
                start = Math.Min(start, at);
                into.Count++;
                into.SyncCount += sync ? 1 : 0;
                into.Duration += dur;
                at += sz;
                dts += dur;
            }
            end = Math.Max(end, at);
        }
        nextDts[id] = dts;
        int samples = into.List.Count - firstSample;
        return new TrackFragment(id, baseAt, timeAt, timeVersion, baseAt >= 0 ? @base : 0, firstDts, firstSample, samples, dts - firstDts,
            samples > 0 ? start : end, end);
    }
}
