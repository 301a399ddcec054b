using Microsoft.Win32.SafeHandles;

namespace MovData.Media.IsoBmff;

/// <summary>The defaults a track's fragments fall back on (trex in mvex).</summary>
internal readonly record struct TrackDefaults(uint Duration, uint Size, uint Flags);

/// <summary>What the fragments of a fragmented file hold of one track: counts and length,
/// and for the video track its samples one by one.</summary>
internal sealed class FragmentSamples
{
    internal long Count { get; set; }
    internal long SyncCount { get; set; }
    internal long Duration { get; set; }

    /// <summary>The samples, listed for the video track only.</summary>
    internal SampleList? List { get; init; }
}

/// <summary>
/// The movie fragments of a fragmented MP4 (<c>moof</c>: <c>tfhd</c>, <c>tfdt</c>,
/// <c>trun</c>; ISO/IEC 14496-12 §8.8), read box by box (each <c>moof</c> is a few hundred
/// bytes) to count samples and sync samples, time them, and check that each run's data lies
/// in the file. Media data is not read.
/// </summary>
internal static class Fragments
{
    private const uint SampleIsNonSync = 0x10000;

    /// <summary>Adds what each <c>moof</c> of <paramref name="moofs"/> holds to its track's
    /// <see cref="Track.Fragments"/> (the video tracks' samples listed one by one).</summary>
    /// <exception cref="InvalidDataException">A fragment is damaged, or its data lies past the end of the file.</exception>
    internal static void Read(SafeFileHandle file, long fileSize, IReadOnlyList<Box> moofs, IReadOnlyList<Track> tracks,
        IReadOnlyDictionary<int, TrackDefaults> defaults, CancellationToken cancel)
    {
        foreach (Track t in tracks)
        {
            t.Fragments = new FragmentSamples { List = t.Kind == MediaStreamKind.Video ? new SampleList(1024) : null };
        }
        var nextDts = new Dictionary<int, long>();
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
            foreach (Box traf in Boxes.Children(bytes, box, path).Where(b => b.Name == "traf"))
            {
                dataEnd = ReadTraf(bytes, traf, moof.Offset, dataEnd, fileSize, tracks, defaults, nextDts, $"{path}/traf");
            }
        }
    }

    /// <summary>One track fragment; returns where its data ends.</summary>
    private static long ReadTraf(byte[] moof, Box traf, long moofOffset, long previousEnd, long fileSize, IReadOnlyList<Track> tracks,
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
        long @base = (flags & 0x20000) != 0 ? moofOffset : previousEnd; // default-base-is-moof
        if ((flags & 0x1) != 0)
        {
            @base = (long)h.U64();
        }
        if ((flags & 0x2) != 0)
        {
            h.Skip(4); // sample_description_index
        }
        uint duration = (flags & 0x8) != 0 ? h.U32() : d.Duration;
        uint size = (flags & 0x10) != 0 ? h.U32() : d.Size;
        uint sampleFlags = (flags & 0x20) != 0 ? h.U32() : d.Flags;

        long dts = nextDts.GetValueOrDefault(id);
        if (children.FirstOrDefault(b => b.Name == "tfdt") is { Size: > 0 } tfdt)
        {
            var t = new FieldReader(moof, tfdt, $"{path}/tfdt");
            (byte version, _) = t.FullBox();
            dts = t.Sized(version);
        }
        FragmentSamples into = track.Fragments!;
        long end = @base;
        foreach (Box trun in children.Where(b => b.Name == "trun"))
        {
            var r = new FieldReader(moof, trun, $"{path}/trun");
            (byte version, uint tr) = r.FullBox();
            int perSample = 4 * (((tr & 0x100) != 0 ? 1 : 0) + ((tr & 0x200) != 0 ? 1 : 0) + ((tr & 0x400) != 0 ? 1 : 0) + ((tr & 0x800) != 0 ? 1 : 0));
            int count = r.Count(perSample);
            long at = (tr & 0x1) != 0 ? @base + r.I32() : end;
            uint? first = (tr & 0x4) != 0 ? r.U32() : null;
            for (int i = 0; i < count; i++)
            {
                uint dur = (tr & 0x100) != 0 ? r.U32() : duration;
                uint sz = (tr & 0x200) != 0 ? r.U32() : size;
                uint fl = (tr & 0x400) != 0 ? r.U32() : i == 0 && first is { } f ? f : sampleFlags;
                long cto = (tr & 0x800) != 0 ? (version == 0 ? r.U32() : r.I32()) : 0;
                bool sync = (fl & SampleIsNonSync) == 0;
                if (at < 0 || at + sz > fileSize)
                {
                    throw new InvalidDataException(
                        $"track {id}'s sample in {path} lies at bytes {at}-{at + sz}, outside the file ({fileSize} bytes): its index points outside the file (a truncated file or a corrupt index)");
                }
                into.List?.Add(at, sz, dts, dts + cto, dur, sync);
                into.Count++;
                into.SyncCount += sync ? 1 : 0;
                into.Duration += dur;
                at += sz;
                dts += dur;
            }
            end = Math.Max(end, at);
        }
        nextDts[id] = dts;
        return end;
    }
}
