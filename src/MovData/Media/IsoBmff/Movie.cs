using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace MovData.Media.IsoBmff;

/// <summary>
/// An MP4 or MOV file opened for reading: its top-level boxes (read a header at a time), its
/// <c>moov</c> (read whole: the sample tables), and, in a fragmented file, its <c>moof</c>s.
/// No byte of media data is read, so what opening costs grows with the tables, not the file.
/// The timeline is the video track's (without video, the audio's: <see cref="Lead"/>):
/// positions are its sample numbers in decode order, time 0 the presentation of its first
/// frame shown after the edit list, as ffprobe counts.
/// </summary>
internal sealed partial class Movie
{
    /// <summary>More than any real moov: a two-hour 60 fps recording's is tens of MB.</summary>
    private const long MaxMoov = 1L << 30;

    private Movie(SafeFileHandle file, long size, IReadOnlyList<Box> top, Box moov, byte[] moovBytes, (string Major, uint Minor, string[] Compatible)? brands,
        long movieTimescale, long movieDuration, IReadOnlyList<Track> tracks, Track lead, SampleList samples, IReadOnlyList<MovieFragment> fragments)
    {
        MovieFragments = fragments;
        File = file;
        Size = size;
        TopLevel = top;
        Moov = moov;
        MoovBytes = moovBytes;
        Brands = brands;
        MovieTimescale = movieTimescale;
        MovieDuration = movieDuration;
        Tracks = tracks;
        Lead = lead;
        Samples = samples;
        (long mediaTime, _) = lead.EditStart();
        // Time 0: the first frame the edit list shows; frames before it are decoded but not shown.
        long first = long.MaxValue, any = long.MaxValue, end = long.MinValue;
        for (int i = 0; i < samples.Count; i++)
        {
            long pts = samples.Pts(i);
            any = Math.Min(any, pts);
            if (pts >= mediaTime)
            {
                first = Math.Min(first, pts);
            }
            end = Math.Max(end, pts + samples.Duration(i));
        }
        // Without video, an audio frame can straddle the edit's start (Opus's pre-skip, 312
        // samples into its first frame): time 0 is that start itself, as ffprobe counts.
        Pts0 = lead.Kind == MediaStreamKind.Audio && any <= mediaTime && first != long.MaxValue ? mediaTime
            : first != long.MaxValue ? first : any;
        MediaEnd = end;
        long shown = lead.Edits.Where(e => !e.Empty).Sum(e => e.SegmentDuration);
        if (shown > 0 && movieTimescale > 0)
        {
            end = Math.Min(end, mediaTime + (long)((Int128)shown * lead.Timescale / movieTimescale));
        }
        EndTicks = Math.Max(0, end - Pts0);
    }

    /// <summary>The file it was opened from (a cut that saves what it removes reads the
    /// bytes beside the blocks it moves out).</summary>
    internal SafeFileHandle File { get; }

    internal long Size { get; }

    /// <summary>The top-level boxes, in file order.</summary>
    internal IReadOnlyList<Box> TopLevel { get; }

    /// <summary>The moov box, its offset absolute.</summary>
    internal Box Moov { get; }

    /// <summary>Its bytes, as read (a cut rewrites them).</summary>
    internal byte[] MoovBytes { get; }

    /// <summary>ftyp's major brand, minor version and compatible brands; null where there is
    /// no ftyp (QuickTime files from before it).</summary>
    internal (string Major, uint Minor, string[] Compatible)? Brands { get; }

    internal long MovieTimescale { get; }

    /// <summary>mvhd's duration, on the movie's clock.</summary>
    internal long MovieDuration { get; }

    internal IReadOnlyList<Track> Tracks { get; }

    /// <summary>The track cuts are made on and time 0 is taken from: the video track with the
    /// most samples, or in a file without video its audio track with the most (<see cref="LeadOf"/>).</summary>
    internal Track Lead { get; }

    /// <summary>Its samples in decode order.</summary>
    internal SampleList Samples { get; }

    /// <summary>The presentation time (the lead track's timescale) that is time 0.</summary>
    internal long Pts0 { get; }

    /// <summary>Where the lead track's last frame's presentation ends (its own clock, before the edit list).</summary>
    internal long MediaEnd { get; }

    /// <summary>Ticks of the lead track's clock from time 0 to the end of its last frame shown.</summary>
    internal long EndTicks { get; }

    internal bool Fragmented => MovieFragments.Count > 0;

    /// <summary>The movie fragments, in file order; none in a file that is not fragmented.</summary>
    internal IReadOnlyList<MovieFragment> MovieFragments { get; }

    /// <summary>Whether some samples are indexed in moov and the rest in fragments (ffmpeg's
    /// frag_keyframe without empty_moov: the first fragment's samples are in moov's tables).</summary>
    internal bool IndexedInBoth => Fragmented && Tracks.Any(t => t.Table.Count > 0);

    /// <summary>Whether another track names <paramref name="track"/> its chapters (<c>tref/chap</c>).</summary>
    internal bool NamesChapters(Track track) => Tracks.Any(t => t.ChapterTracks.Contains(track.Id));

    internal RecordingFormat Format => Brands is not { } b || b.Major == "qt  " ? RecordingFormat.Mov : RecordingFormat.Mp4;

    /// <summary>Opens the file: its boxes, moov, and fragments.</summary>
    /// <exception cref="InvalidDataException">No moov (an unfinished recording), a truncated
    /// or damaged moov, tables that point outside the file, no video or audio track; the message says which.</exception>
    internal static Movie Open(SafeFileHandle file, CancellationToken cancel)
    {
        long size = RandomAccess.GetLength(file);
        List<Box> top = Boxes.TopLevel(file, size, out string? problem, cancel);
        int moovAt = top.FindIndex(b => b.Type == FourCc.Moov);
        if (moovAt < 0)
        {
            string mdat = top.FirstOrDefault(b => b.Type == FourCc.Mdat) is { Size: > 0 } m ? $"; its media data ({m.Size} bytes at offset {m.Offset}) has no index" : "";
            string damage = problem is null ? "" : $"; the last box, '{top.LastOrDefault().Name}' at offset {top.LastOrDefault().Offset}, is damaged: {problem}";
            throw new InvalidDataException(
                $"no moov box: an unfinished recording (the muxer writes moov when it stops) or one whose index is lost{mdat}{damage}. Nothing can play or cut it until moov is rebuilt");
        }
        Box moov = top[moovAt];
        if (problem is not null && moovAt == top.Count - 1)
        {
            throw new InvalidDataException($"the moov box at offset {moov.Offset} is truncated: {problem} (the file was cut short or copied incompletely)");
        }
        if (moov.Size > MaxMoov)
        {
            throw new InvalidDataException($"the moov box at offset {moov.Offset} claims {moov.Size} bytes, more than any recording's index (a corrupt file)");
        }
        byte[] bytes = new byte[moov.Size];
        if (MediaReads.Read(file, bytes, moov.Offset) != bytes.Length)
        {
            throw new InvalidDataException($"the moov box at offset {moov.Offset} is truncated: the file ended while reading it");
        }
        Box local = moov with { Offset = 0 };
        (long timescale, long duration) = MovieHeader(bytes, local);
        var tracks = new List<Track>();
        var defaults = new Dictionary<int, TrackDefaults>();
        foreach (Box child in Boxes.Children(bytes, local, "moov"))
        {
            if (child.Name == "trak")
            {
                tracks.Add(ReadTrack(bytes, child, $"moov/trak[{tracks.Count + 1}]"));
            }
            else if (child.Name == "mvex")
            {
                foreach (Box trex in Boxes.Children(bytes, child, "moov/mvex").Where(b => b.Name == "trex"))
                {
                    var r = new FieldReader(bytes, trex, "moov/mvex/trex");
                    r.FullBox();
                    int id = (int)r.U32();
                    r.Skip(4); // default_sample_description_index
                    defaults[id] = new TrackDefaults(r.U32(), r.U32(), r.U32());
                }
            }
        }
        Track? lead = LeadOf(tracks, t => t.Table.Count);
        List<Box> moofs = [.. top.Where(b => b.Type == FourCc.Moof)];
        List<MovieFragment> fragments = [];
        if (moofs.Count > 0)
        {
            fragments = Fragments.Read(file, size, moofs, tracks, defaults, cancel);
            lead = LeadOf(tracks, t => t.Samples);
        }
        foreach (Track t in tracks)
        {
            CheckInFile(t, size);
        }
        foreach (Track t in tracks.Where(t => t.Timecode is { Counter: false } && t.Table.Count == 1))
        {
            // The timecode where the track starts: its one sample, a frame number.
            SampleList one = t.Table.List();
            byte[] number = new byte[4];
            if (one.Size(0) == number.Length && MediaReads.Read(file, number, one.Offset(0)) == number.Length)
            {
                t.TimecodeStart = BinaryPrimitives.ReadUInt32BigEndian(number);
            }
        }
        if (lead is null || lead.Samples == 0)
        {
            string found = tracks.Count == 0 ? "no tracks" : string.Join(", ", tracks.Select(t => $"{t.Handler} ({t.Codec})"));
            throw new InvalidDataException($"no video or audio track with samples (found {found}): a cut is made on the video's keyframes, or without video on the audio's frames");
        }
        SampleList samples = lead.Fragments?.List is { Count: > 0 } listed ? listed : lead.Table.List();
        return new Movie(file, size, top, moov, bytes, ReadBrands(file, top), timescale, duration, tracks, lead, samples, fragments);
    }

    /// <summary>The track a cut's times and snapping follow: the video track with the most
    /// samples, or in a file without video (an .m4a, a voice memo) the audio track with the
    /// most, each of whose frames is a sync sample (as radio in a transport stream). A video
    /// track of one picture is a cover (an .m4a's art stored as a track): the audio leads.</summary>
    private static Track? LeadOf(List<Track> tracks, Func<Track, long> samples) =>
        tracks.Where(t => t.Kind == MediaStreamKind.Video && samples(t) > 1).MaxBy(samples)
        ?? tracks.Where(t => t.Kind == MediaStreamKind.Audio && samples(t) > 0).MaxBy(samples)
        ?? tracks.Where(t => t.Kind == MediaStreamKind.Video && samples(t) > 0).MaxBy(samples);

    /// <summary>mvhd: the movie's timescale and duration.</summary>
    private static (long Timescale, long Duration) MovieHeader(byte[] moov, Box local)
    {
        Box mvhd = Boxes.Children(moov, local, "moov").FirstOrDefault(b => b.Name == "mvhd");
        if (mvhd.Size == 0)
        {
            throw new InvalidDataException("the moov box has no mvhd (movie header): a corrupt moov");
        }
        var r = new FieldReader(moov, mvhd, "moov/mvhd");
        (byte version, _) = r.FullBox();
        r.Sized(version); // creation_time
        r.Sized(version); // modification_time
        long timescale = r.U32();
        return (timescale, r.Sized(version));
    }

    /// <summary>One trak: tkhd, edts/elst, mdia (mdhd, hdlr, minf/stbl).</summary>
    private static Track ReadTrack(byte[] moov, Box trak, string path)
    {
        int id = 0;
        long trackDuration = 0, timescale = 0, mediaDuration = 0;
        string handler = "", entry = "", codec = "";
        TimecodeEntry? timecode = null;
        DecoderConfig? decoder = null;
        var edits = new List<Edit>();
        var chapters = new List<int>();
        SampleTable? table = null;
        foreach (Box box in Boxes.Children(moov, trak, path))
        {
            switch (box.Name)
            {
                case "tkhd":
                {
                    var r = new FieldReader(moov, box, $"{path}/tkhd");
                    (byte version, _) = r.FullBox();
                    r.Sized(version);
                    r.Sized(version);
                    id = (int)r.U32();
                    r.Skip(4);
                    trackDuration = r.Sized(version);
                    break;
                }
                case "tref":
                    chapters.AddRange(ChapterReferences(moov, box));
                    break;
                case "edts":
                    foreach (Box elst in Boxes.Children(moov, box, $"{path}/edts").Where(b => b.Name == "elst"))
                    {
                        var r = new FieldReader(moov, elst, $"{path}/edts/elst");
                        (byte version, _) = r.FullBox();
                        int n = r.Count(version == 1 ? 20 : 12);
                        for (int i = 0; i < n; i++)
                        {
                            long segment = r.Sized(version);
                            long media = version == 1 ? (long)r.U64() : r.I32();
                            edits.Add(new Edit(segment, media, r.I32() / 65536.0));
                        }
                    }
                    break;
                case "mdia":
                    foreach (Box m in Boxes.Children(moov, box, $"{path}/mdia"))
                    {
                        string at = $"{path}/mdia/{m.Name}";
                        if (m.Name == "mdhd")
                        {
                            var r = new FieldReader(moov, m, at);
                            (byte version, _) = r.FullBox();
                            r.Sized(version);
                            r.Sized(version);
                            timescale = r.U32();
                            mediaDuration = r.Sized(version);
                        }
                        else if (m.Name == "hdlr")
                        {
                            var r = new FieldReader(moov, m, at);
                            r.FullBox();
                            r.Skip(4); // pre_defined (QuickTime: the component type)
                            handler = FourCc.Text(r.U32());
                        }
                        else if (m.Name == "minf" && Boxes.Children(moov, m, at).FirstOrDefault(b => b.Name == "stbl") is { Size: > 0 } stbl)
                        {
                            string stblPath = $"{at}/stbl";
                            table = SampleTable.Read(moov, stbl, stblPath);
                            if (Boxes.Children(moov, stbl, stblPath).FirstOrDefault(b => b.Name == "stsd") is { Size: > 0 } stsd)
                            {
                                (entry, codec) = SampleEntries.Read(moov, stsd, $"{stblPath}/stsd");
                                timecode = SampleEntries.Timecode(moov, stsd, $"{stblPath}/stsd");
                                decoder = SampleEntries.Decoder(moov, stsd, $"{stblPath}/stsd");
                            }
                        }
                    }
                    break;
            }
        }
        if (table is null || timescale == 0)
        {
            throw new InvalidDataException($"{path} (track {id}) has no {(table is null ? "sample table (stbl)" : "timescale in mdhd")}: a corrupt moov");
        }
        return new Track
        {
            Id = id, Handler = handler, SampleEntry = entry, Codec = codec, Timescale = timescale, MediaDuration = mediaDuration,
            TrackDuration = trackDuration, Edits = edits, Table = table, Timecode = timecode, Decoder = decoder, ChapterTracks = chapters,
        };
    }

    /// <summary>The track IDs a <c>tref</c>'s <c>chap</c> references name. Read leniently: a
    /// damaged reference names none (nothing a cut does rests on it but how a text track is
    /// moved), where a damaged box elsewhere in moov refuses the file.</summary>
    private static List<int> ChapterReferences(byte[] moov, Box tref)
    {
        var ids = new List<int>();
        for (long at = tref.PayloadOffset; Boxes.Header(moov.AsSpan((int)at, (int)(tref.End - at)), at, tref.End, out string? problem) is { } box && problem is null; at = box.End)
        {
            if (box.Name == "chap")
            {
                var r = new FieldReader(moov, box, "tref/chap");
                for (long i = 0; i < (box.Size - box.HeaderSize) / 4; i++)
                {
                    ids.Add((int)r.U32());
                }
            }
        }
        return ids;
    }

    /// <summary>Every chunk of <paramref name="track"/> must lie in the file: a table that
    /// points past its end is a file cut short or a corrupt moov, and a cut would move bytes
    /// that are not there.</summary>
    private static void CheckInFile(Track track, long size)
    {
        int n = 0;
        foreach ((long offset, long first, long samples, _) in track.Table.Chunks())
        {
            n++;
            long bytes = track.Table.ChunkBytes(first, samples);
            if (offset < 0 || offset + bytes > size)
            {
                throw new InvalidDataException(
                    $"track {track.Id} ({track.Codec}): its chunk {n} lies at bytes {offset}-{offset + bytes}, outside the file ({size} bytes): its tables point outside the file (a truncated file or a corrupt moov)");
            }
        }
    }

    /// <summary>ftyp's brands (it is small: read whole), or null without one.</summary>
    private static (string, uint, string[])? ReadBrands(SafeFileHandle file, IReadOnlyList<Box> top)
    {
        if (top.FirstOrDefault(b => b.Type == FourCc.Ftyp) is not { Size: >= 16 and <= 4096 } ftyp)
        {
            return null;
        }
        byte[] bytes = new byte[ftyp.Size];
        MediaReads.Read(file, bytes, ftyp.Offset);
        var r = new FieldReader(bytes, ftyp with { Offset = 0 }, "ftyp");
        string major = FourCc.Text(r.U32());
        uint minor = r.U32();
        var compatible = new List<string>();
        while (r.Remaining >= 4)
        {
            compatible.Add(FourCc.Text(r.U32()));
        }
        return (major, minor, [.. compatible]);
    }
}
