using System.Collections.Concurrent;
using System.Globalization;
using MovData.Tests.Harness;

namespace MovData.Tests.Media;

/// <summary>
/// Recordings made by ffmpeg at test time (Debian package ffmpeg), small enough to keep the
/// suite quick but long enough that a few seconds removed are several lcm(packet, block)
/// units: 24 s of 320x180 at 25 fps, a keyframe every 2 s (MPEG-2: every second), made once
/// per test run and copied to each scratch filesystem.
/// </summary>
public static class Recordings
{
    /// <summary>The kinds the suite cuts, each a case the issue names.</summary>
    public static readonly string[] Kinds = ["h264-aac", "h264-open-gop", "hevc-ac3", "mpeg2-mp2", "m2ts", "pts-wrap", "no-rai", "mid-packet"];

    /// <summary>Recordings as broadcasts carry them (issue #22): ffmpeg's video with two audio
    /// tracks (MP2 and AC-3) and the streams <see cref="BroadcastInjector"/> adds (SCTE-35,
    /// teletext, DVB subtitles, private data, EIT); an H.264 open GOP as broadcast encoders
    /// place keyframes (x264's default placement between 25 and 100 frames), 60 s long.</summary>
    public static readonly string[] Broadcasts = ["broadcast", "h264-open-gop-broadcast"];

    /// <summary>Radio: audio only, one stream, in each codec DVB radio uses.</summary>
    public static readonly string[] Radio = ["radio-mp2", "radio-aac", "radio-latm", "radio-ac3"];

    private static readonly string Dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"movdata-recordings-{Environment.ProcessId}");
    private static readonly ConcurrentDictionary<string, Lazy<string>> Made = new();

    /// <summary>The folder, made once and removed when the test process ends.</summary>
    private static readonly Lazy<string> Folder = new(() =>
    {
        Directory.CreateDirectory(Dir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(Dir, recursive: true);
            }
            catch (IOException)
            {
                // Leave it to /tmp's cleaning.
            }
        };
        return Dir;
    });

    private const string Video = "testsrc2=size=320x180:rate=25";
    private const string Audio = "sine=frequency=440:sample_rate=48000";

    /// <summary>The recording of <paramref name="kind"/>, made on first use.</summary>
    public static string Path(string kind) => Made.GetOrAdd(kind, k => new Lazy<string>(() => Make(k))).Value;

    /// <summary>A copy of the recording in <paramref name="dir"/>, durable there.</summary>
    public static string CopyTo(string kind, ScratchDir dir, string? name = null)
    {
        string source = Path(kind);
        string target = dir.File(name ?? System.IO.Path.GetFileName(source));
        File.Copy(source, target);
        return target;
    }

    /// <summary>The MP4 and MOV files the suite reads, each a case issue #19 names: 12 s, a
    /// keyframe every 2 s.</summary>
    public static readonly string[] Movies = ["mp4-h264-aac", "mp4-faststart", "mov-hevc-timecode", "mp4-two-audio", "mp4-bframes-late", "mp4-fragmented"];

    /// <summary>Fragmented MP4s beside <see cref="Movies"/>' own: with B-frames, fragments based
    /// on their moof and a segment index per track (DASH's layout); and ffmpeg's frag_keyframe
    /// without empty_moov, whose first fragment is indexed in moov, without and with a
    /// global segment index (frag_keyframe+global_sidx), edit lists (-use_editlist 1) or a
    /// timecode track (-timecode: its one sample in moov's tables, none in the fragments).</summary>
    public static readonly string[] MoreFragmented = ["mp4-fragmented-sidx", "mp4-fragmented-split", "mp4-fragmented-split-sidx", "mp4-fragmented-split-edit-list", "mp4-fragmented-split-timecode"];

    /// <summary>An MP4 whose H.264 keyframes after the first are open GOPs' I pictures, with a
    /// recovery point SEI (x264's open-gop, as the transport stream "h264-open-gop"): every
    /// join resumes on a picture that is not IDR.</summary>
    public const string OpenGopMovie = "mp4-h264-open-gop";

    /// <summary>H.264 and AAC with three chapters (Intro 0-4 s, Middle 4-8 s, End 8-12 s), which
    /// ffmpeg writes twice: a QuickTime text track the video's tref names, and a Nero chpl in udta.</summary>
    public const string ChaptersMovie = "mp4-chapters";

    /// <summary><see cref="ChaptersMovie"/> remuxed into a fragmented MP4 (frag_keyframe+empty_moov):
    /// the chpl in moov, the chapter track's three samples in the first fragment.</summary>
    public const string ChaptersFragmentedMovie = "mp4-chapters-fragmented";

    /// <summary>The same with chapters of different lengths (Intro 0-3 s, Middle 3-7 s, End
    /// 7-12 s): the first fragment's track run gives each its own duration.</summary>
    public const string ChaptersUnevenFragmentedMovie = "mp4-chapters-uneven-fragmented";

    /// <summary><see cref="ChaptersMovie"/> remuxed with frag_keyframe alone: moov indexes the
    /// first fragment's samples, all three of the chapter track's among them.</summary>
    public const string ChaptersSplitMovie = "mp4-chapters-split";

    /// <summary><see cref="ChaptersMovie"/> with its video delayed 1.5 s by an empty edit, as
    /// "mp4-bframes-late": the sound and the chapters from 0, the first picture at 1.5 s.</summary>
    public const string ChaptersLateMovie = "mp4-chapters-late";

    /// <summary>H.264 and AAC, the sound delayed 3 s by an empty edit: a track that starts
    /// after a cut of the head's end, or with none of its samples in it.</summary>
    public const string AudioLateMovie = "mp4-audio-late";

    /// <summary>x265's open GOPs as "mov-hevc-timecode", in a fragmented MP4
    /// (frag_keyframe+empty_moov): a fragment begins at each CRA, and is cut whole.</summary>
    public const string HevcFragmentedMovie = "mp4-hevc-fragmented";

    /// <summary><see cref="OpenGopMovie"/> in a fragmented MP4: a fragment begins at each I picture.</summary>
    public const string OpenGopFragmentedMovie = "mp4-h264-open-gop-fragmented";

    /// <summary><see cref="OpenGopFragmentedMovie"/> with DASH's layout, as "mp4-fragmented-sidx":
    /// fragments based on their moof, and a segment index per track.</summary>
    public const string OpenGopIndexedFragmentedMovie = "mp4-h264-open-gop-fragmented-sidx";

    /// <summary><see cref="OpenGopFragmentedMovie"/> with a subtitle track (mov_text), whose
    /// samples ffmpeg writes last in each fragment's mdat: among others, cues at 2 s and 2.5 s,
    /// one letter each (3 bytes), with a 2-byte empty sample between.</summary>
    public const string OpenGopSubtitledFragmentedMovie = "mp4-h264-open-gop-fragmented-subtitles";

    /// <summary>The same with cues at 2, 4.5 and 8 s: the one at 2 s is shown until the next,
    /// one sample lasting 2.5 s, timed by its tfhd's default duration.</summary>
    public const string OpenGopSparseSubtitledFragmentedMovie = "mp4-h264-open-gop-fragmented-subtitles-sparse";

    /// <summary>The same with cues at 0.5, 1.9 and 5 s, written with edit lists (-use_editlist
    /// 1): the video's starts 0.08 s into its media (its B pictures' delay), the subtitles' at
    /// 0, so the cue at 1.9 s lies in the fragment whose keyframe is decoded at 1.96 s.</summary>
    public const string OpenGopEditedSubtitledFragmentedMovie = "mp4-h264-open-gop-fragmented-subtitles-edited";

    /// <summary>The same with cues at 2, 5.92 and 9 s, each shown until the next: ffmpeg puts
    /// the one at 5.92 s into the fragment of the keyframe at 6 s, which a cut of 4-6 s
    /// resumes on, so that cue would start before the join.</summary>
    public const string OpenGopEarlyCueSubtitledFragmentedMovie = "mp4-h264-open-gop-fragmented-subtitles-early";

    /// <summary>"mp4-h264-aac" with a uuid box after its moov holding XMP metadata, as Adobe's
    /// tools and some cameras write it: moov after the media, but not at the end.</summary>
    public const string XmpAfterMoovMovie = "mp4-xmp-after-moov";

    /// <summary>B pictures and no edit lists (-use_editlist 0): the video shown from 0.08 s (its
    /// first picture's composition offset), the sound from 0.</summary>
    public const string NoEditListMovie = "mp4-bframes-no-edit-list";

    /// <summary>x264's open GOPs with a subtitle track, fragmented: made from the same movie.</summary>
    private static readonly string[] Subtitled =
        [OpenGopSubtitledFragmentedMovie, OpenGopSparseSubtitledFragmentedMovie, OpenGopEditedSubtitledFragmentedMovie, OpenGopEarlyCueSubtitledFragmentedMovie];

    private static string Make(string kind)
    {
        RequireFfmpeg();
        _ = Folder.Value;
        if (Movies.Contains(kind) || MoreFragmented.Contains(kind) || Subtitled.Contains(kind) || kind is XmpAfterMoovMovie or NoEditListMovie or OpenGopMovie or HevcFragmentedMovie or OpenGopFragmentedMovie or OpenGopIndexedFragmentedMovie or ChaptersMovie or ChaptersFragmentedMovie or ChaptersUnevenFragmentedMovie or ChaptersSplitMovie or ChaptersLateMovie or AudioLateMovie)
        {
            return MakeMovie(kind);
        }
        if (Radio.Contains(kind))
        {
            return MakeRadio(kind);
        }
        string h264 = "-c:v libx264 -preset ultrafast -g 50 -qp 12";
        string aac = "-c:a aac";
        (string ext, string codecs) = kind switch
        {
            "h264-aac" or "no-rai" or "mid-packet" => ("ts", $"{h264} {aac}"),
            // Keyframes after the first are I pictures with a recovery point SEI, and the B
            // pictures after them in decode order are shown before them (open GOPs).
            "h264-open-gop" => ("ts", $"-c:v libx264 -preset veryfast -x264-params open-gop=1:keyint=50:min-keyint=50:scenecut=0 -bf 3 -qp 12 {aac}"),
            // x264's defaults otherwise (preset medium, CRF 23): the kind whose joins ffmpeg
            // reported with falling timestamps (issue #22).
            "h264-open-gop-broadcast" => ("ts", $"-c:v libx264 -x264-params open-gop=1:keyint=100:min-keyint=25 -bf 3 {aac}"),
            // The open GOPs above with the sequence and picture parameter sets in front of every
            // picture, as many broadcast encoders send them: a picture an --exact cut resumes on
            // mid-GOP can then be read for its picture order (docs/media.md, "Timestamps at a join").
            "h264-open-gop-headers" => ("ts", "-c:v libx264 -preset veryfast -x264-params open-gop=1:keyint=50:min-keyint=50:scenecut=0 -bf 3 -qp 12 -flags:v +global_header -bsf:v dump_extra=freq=all -c:a aac"),
            // Gradual decoding refresh: no I picture after the first; each keyframe is a P
            // picture with a recovery point SEI, which ffmpeg's muxer marks random access.
            "h264-intra-refresh" => ("ts", "-c:v libx264 -preset veryfast -x264-params intra-refresh=1:keyint=50 -bf 3 -qp 12 -c:a aac"),
            "broadcast" => ("ts", $"-map 0:v -map 1:a -map 1:a {h264} -c:a:0 mp2 -c:a:1 ac3"),
            "hevc-ac3" => ("ts", "-c:v libx265 -preset ultrafast -x265-params log-level=error:keyint=50:qp=12 -c:a ac3"),
            "mpeg2-mp2" => ("ts", "-c:v mpeg2video -g 25 -bf 2 -q:v 2 -c:a mp2"),
            "m2ts" => ("m2ts", $"{h264} {aac} -mpegts_m2ts_mode 1"),
            // PTS wraps at 2^33 / 90 kHz = 95443.72 s: about 5 s in.
            "pts-wrap" => ("ts", $"{h264} {aac} -output_ts_offset 95439"),
            _ => throw new ArgumentException(kind),
        };
        string path = System.IO.Path.Combine(Dir, $"{kind}.{ext}");
        int seconds = kind == "h264-open-gop-broadcast" ? 60 : 24; // room for a 25 s break between keyframes 4 s apart
        string args = $"-v error -y -f lavfi -i {Video} -f lavfi -i {Audio} -t {seconds} {codecs} -f mpegts {path}";
        Tools.MustRun("ffmpeg", args.Split(' '));
        if (kind == "no-rai")
        {
            ClearRandomAccessIndicators(path);
        }
        if (kind == "broadcast")
        {
            BroadcastInjector.Inject(path);
        }
        if (kind == "mid-packet")
        {
            // Drop 1,000 bytes: the file begins 60 bytes into a packet, mid-GOP.
            byte[] all = File.ReadAllBytes(path);
            File.WriteAllBytes(path, all[1000..]);
        }
        return path;
    }

    /// <summary>A radio recording: 24 s of a tone, audio only, as a DVB radio service carries it.</summary>
    private static string MakeRadio(string kind)
    {
        string codec = kind switch
        {
            "radio-mp2" => "-c:a mp2 -b:a 192k",
            "radio-aac" => "-c:a aac",
            "radio-latm" => "-c:a aac -mpegts_flags latm",
            "radio-ac3" => "-c:a ac3",
            _ => throw new ArgumentException(kind),
        };
        string path = System.IO.Path.Combine(Dir, $"{kind}.ts");
        Tools.MustRun("ffmpeg", $"-v error -y -f lavfi -i {Audio} -t 24 {codec} -f mpegts {path}".Split(' '));
        return path;
    }

    /// <summary>An MP4 or MOV as the producers the issue names write them.</summary>
    private static string MakeMovie(string kind)
    {
        string h264 = "-c:v libx264 -preset ultrafast -g 50 -qp 12";
        (string ext, string codecs) = kind switch
        {
            // ffmpeg's default, as phones and OBS write it: ftyp, mdat, moov at the end.
            "mp4-h264-aac" or XmpAfterMoovMovie => ("mp4", $"{h264} -c:a aac"),
            "mp4-faststart" => ("mp4", $"{h264} -c:a aac -movflags +faststart"),
            // x265's open GOPs (CRA keyframes, B-frames) in a MOV with a timecode track.
            "mov-hevc-timecode" => ("mov", "-c:v libx265 -tag:v hvc1 -x265-params log-level=error:keyint=50:min-keyint=50:scenecut=0:bframes=3:open-gop=1:qp=12 -c:a aac -timecode 01:00:00:00"),
            "mp4-two-audio" => ("mp4", $"-map 0 -map 1 -map 2 {h264} -c:a:0 aac -c:a:1 ac3"),
            // B-frames (ctts), and an edit list that both skips the reorder delay and, after
            // the remux below, delays the video by 1.5 s with an empty edit.
            "mp4-bframes-late" => ("mp4", "-c:v libx264 -preset veryfast -bf 3 -g 50 -qp 12 -c:a aac"),
            NoEditListMovie => ("mp4", "-c:v libx264 -preset veryfast -bf 3 -g 50 -qp 12 -c:a aac -use_editlist 0"),
            // The sound delayed 3 s by an empty edit, after the remux below.
            AudioLateMovie => ("mp4", $"{h264} -c:a aac"),
            _ when kind == OpenGopMovie || Subtitled.Contains(kind) => ("mp4", "-c:v libx264 -preset veryfast -x264-params open-gop=1:keyint=50:min-keyint=50:scenecut=0 -bf 3 -qp 12 -c:a aac"),
            "mp4-fragmented" => ("mp4", $"{h264} -c:a aac -movflags frag_keyframe+empty_moov"),
            "mp4-fragmented-sidx" => ("mp4", "-c:v libx264 -preset veryfast -bf 3 -g 50 -qp 12 -c:a aac -movflags frag_keyframe+empty_moov+default_base_moof+global_sidx"),
            "mp4-fragmented-split" => ("mp4", $"{h264} -c:a aac -movflags frag_keyframe"),
            "mp4-fragmented-split-sidx" => ("mp4", $"{h264} -c:a aac -movflags frag_keyframe+global_sidx"),
            "mp4-fragmented-split-edit-list" => ("mp4", $"{h264} -c:a aac -movflags frag_keyframe -use_editlist 1"),
            "mp4-fragmented-split-timecode" => ("mp4", $"{h264} -c:a aac -timecode 01:00:00:00 -movflags frag_keyframe"),
            OpenGopFragmentedMovie => ("mp4", "-c:v libx264 -preset veryfast -x264-params open-gop=1:keyint=50:min-keyint=50:scenecut=0 -bf 3 -qp 12 -c:a aac -movflags frag_keyframe+empty_moov"),
            OpenGopIndexedFragmentedMovie => ("mp4", "-c:v libx264 -preset veryfast -x264-params open-gop=1:keyint=50:min-keyint=50:scenecut=0 -bf 3 -qp 12 -c:a aac -movflags frag_keyframe+empty_moov+default_base_moof+global_sidx"),
            ChaptersMovie or ChaptersFragmentedMovie or ChaptersUnevenFragmentedMovie or ChaptersSplitMovie or ChaptersLateMovie => ("mp4", $"{h264} -c:a aac"),
            HevcFragmentedMovie => ("mp4", "-c:v libx265 -tag:v hvc1 -x265-params log-level=error:keyint=50:min-keyint=50:scenecut=0:bframes=3:open-gop=1:qp=12 -c:a aac -movflags frag_keyframe+empty_moov"),
            _ => throw new ArgumentException(kind),
        };
        string path = System.IO.Path.Combine(Dir, $"{kind}.{ext}");
        string second = kind == "mp4-two-audio" ? $" -f lavfi -i {Audio.Replace("440", "880", StringComparison.Ordinal)}" : "";
        string made = Subtitled.Contains(kind) || kind is "mp4-bframes-late" or AudioLateMovie or XmpAfterMoovMovie or ChaptersMovie or ChaptersFragmentedMovie or ChaptersUnevenFragmentedMovie or ChaptersSplitMovie or ChaptersLateMovie ? System.IO.Path.Combine(Dir, $"{kind}-early.mp4") : path;
        Tools.MustRun("ffmpeg", $"-v error -y -f lavfi -i {Video} -f lavfi -i {Audio}{second} -t 12 {codecs} {made}".Split(' '));
        if (kind is ChaptersMovie or ChaptersFragmentedMovie or ChaptersUnevenFragmentedMovie or ChaptersSplitMovie or ChaptersLateMovie)
        {
            string chapters = System.IO.Path.Combine(Dir, $"{kind}.ffmetadata");
            (int Start, int End, string Title)[] list = kind == ChaptersUnevenFragmentedMovie
                ? [(0, 3, "Intro"), (3, 7, "Middle"), (7, 12, "End")]
                : [(0, 4, "Intro"), (4, 8, "Middle"), (8, 12, "End")];
            File.WriteAllText(chapters, string.Join('\n', [";FFMETADATA1",
                .. list.SelectMany(c => new[] { "[CHAPTER]", "TIMEBASE=1/1000", $"START={c.Start * 1000}", $"END={c.End * 1000}", $"title={c.Title}" })]) + "\n");
            string[] fragmented = kind switch
            {
                ChaptersFragmentedMovie or ChaptersUnevenFragmentedMovie => ["-movflags", "frag_keyframe+empty_moov"],
                ChaptersSplitMovie => ["-movflags", "frag_keyframe"],
                _ => [],
            };
            string[] inputs = kind == ChaptersLateMovie
                ? ["-itsoffset", "1.5", "-i", made, "-i", made, "-i", chapters, "-map", "0:v", "-map", "1:a", "-map_metadata", "2"]
                : ["-i", made, "-i", chapters, "-map", "0", "-map_metadata", "1"];
            Tools.MustRun("ffmpeg", ["-v", "error", "-y", .. inputs, "-c", "copy", .. fragmented, path]);
            File.Delete(made);
            File.Delete(chapters);
        }
        else if (Subtitled.Contains(kind))
        {
            string subtitles = System.IO.Path.Combine(Dir, $"{kind}.srt");
            var cues = kind switch
            {
                OpenGopSubtitledFragmentedMovie => new[] { ("00:00:02,000", "00:00:02,100", "a"), ("00:00:02,500", "00:00:02,600", "b"), ("00:00:06,000", "00:00:06,100", "c"), ("00:00:06,200", "00:00:09,000", "d") },
                OpenGopSparseSubtitledFragmentedMovie => [("00:00:02,000", "00:00:02,100", "a"), ("00:00:04,500", "00:00:04,600", "b"), ("00:00:08,000", "00:00:08,100", "c")],
                OpenGopEarlyCueSubtitledFragmentedMovie => [("00:00:02,000", "00:00:05,920", "a"), ("00:00:05,920", "00:00:09,000", "b"), ("00:00:09,000", "00:00:10,000", "c")],
                _ => [("00:00:00,500", "00:00:01,000", "a"), ("00:00:01,900", "00:00:02,500", "b"), ("00:00:05,000", "00:00:06,000", "c")],
            };
            File.WriteAllText(subtitles, string.Join('\n', cues.Select((c, i) => $"{i + 1}\n{c.Item1} --> {c.Item2}\n{c.Item3}\n")));
            string[] edits = kind == OpenGopEditedSubtitledFragmentedMovie ? ["-use_editlist", "1"] : [];
            Tools.MustRun("ffmpeg", ["-v", "error", "-y", "-i", made, "-i", subtitles, "-map", "0", "-map", "1", "-c", "copy", "-c:s", "mov_text",
                .. edits, "-movflags", "frag_keyframe+empty_moov", path]);
            File.Delete(made);
            File.Delete(subtitles);
        }
        else if (kind == AudioLateMovie)
        {
            Tools.MustRun("ffmpeg", "-v", "error", "-y", "-i", made, "-itsoffset", "3", "-i", made, "-map", "0:v", "-map", "1:a", "-c", "copy", path);
            File.Delete(made);
        }
        else if (kind == XmpAfterMoovMovie)
        {
            // uuid BE7ACFCB-97A9-42E8-9C71-999491E3AFAC is XMP's (ISO/IEC 16684-1), its payload the packet.
            byte[] xmp = System.Text.Encoding.UTF8.GetBytes("<?xpacket begin=\"\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?><x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>cut me</dc:title></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end=\"w\"?>");
            byte[] box = [.. new byte[4], .. "uuid"u8, .. Convert.FromHexString("BE7ACFCB97A942E89C71999491E3AFAC"), .. xmp];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(box, (uint)box.Length);
            File.Move(made, path, overwrite: true);
            using FileStream f = new(path, FileMode.Append);
            f.Write(box);
        }
        else if (made != path)
        {
            Tools.MustRun("ffmpeg", "-v", "error", "-y", "-itsoffset", "1.5", "-i", made, "-i", made, "-map", "0:v", "-map", "1:a", "-c", "copy", path);
            File.Delete(made);
        }
        return path;
    }

    /// <summary>Clears random_access_indicator in every packet: a muxer that does not set it,
    /// so keyframes must be found from the codec's own bytes.</summary>
    private static void ClearRandomAccessIndicators(string path)
    {
        byte[] ts = File.ReadAllBytes(path);
        int cleared = 0;
        for (int i = 0; i + 188 <= ts.Length; i += 188)
        {
            if ((ts[i + 3] & 0x20) != 0 && ts[i + 4] > 0 && (ts[i + 5] & 0x40) != 0)
            {
                ts[i + 5] &= 0xBF;
                cleared++;
            }
        }
        Assert.True(cleared > 10, $"only {cleared} random access indicators in {path}");
        File.WriteAllBytes(path, ts);
    }

    public static void RequireFfmpeg()
    {
        if (Tools.Run("sh", "-c", "command -v ffmpeg && command -v ffprobe").Code != 0)
        {
            string why = "ffmpeg and ffprobe are needed to make and judge recordings: apt-get install ffmpeg (.ci/run does)";
            if (Scratch.Required)
            {
                Assert.Fail(why);
            }
            Assert.Skip(why);
        }
    }
}

/// <summary>The judge: ffmpeg and ffprobe, not our parser.</summary>
public static class Ffmpeg
{
    /// <summary>What <c>ffmpeg -v error -copyts -i FILE -f null -</c> prints: empty when every
    /// frame decodes. -copyts keeps ffmpeg's own handling of the timestamp jumps a cut makes by
    /// design out of the verdict.</summary>
    public static string DecodeErrors(string path) => Tools.Run("ffmpeg", "-v", "error", "-copyts", "-i", path, "-f", "null", "-").Output.Trim();

    /// <summary>Each video packet's PTS, the file offset of its first TS packet and whether
    /// ffprobe flags it a keyframe, in file order.</summary>
    public static List<(long Pts, long Pos, bool Key)> VideoPackets(string path)
    {
        (int code, string output, string err) = Tools.Capture("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts,pos,flags", "-of", "csv=p=0", path);
        Assert.True(code == 0, $"ffprobe {path}: {err}");
        var list = new List<(long, long, bool)>();
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] w = line.Split(',');
            list.Add((long.Parse(w[0], CultureInfo.InvariantCulture), long.Parse(w[1], CultureInfo.InvariantCulture), w[2].StartsWith('K')));
        }
        return list;
    }

    /// <summary>Keyframes as ffprobe flags them.</summary>
    public static int Keyframes(string path) =>
        Tools.Capture("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=flags", "-of", "csv=p=0", path).Out
            .Split('\n').Count(l => l.StartsWith('K'));
}
