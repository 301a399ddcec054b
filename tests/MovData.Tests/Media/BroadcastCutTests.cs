using System.Globalization;
using System.Text.Json;
using MovData.Media;
using MovData.Tests.Cli;
using MovData.Tests.Harness;

namespace MovData.Tests.Media;

/// <summary>
/// Issue #22, part 4: whatever a broadcast carries survives a cut, and plays. On every
/// scratch filesystem: every PID's packets outside the removed ranges stay, unchanged and in
/// order (<see cref="PacketJudge"/>), the PMT lists the same streams and ffprobe sees them
/// all; decode timestamps rise across every join for every codec and GOP structure the suite
/// makes; and a radio recording (audio only) is cut on its audio frames.
/// </summary>
public sealed class BroadcastCutTests
{
    /// <summary>The codecs ffprobe names in the broadcast recording.</summary>
    private static readonly string[] Carried = ["h264", "mp2", "ac3", "scte_35", "dvb_teletext", "dvb_subtitle", "epg"];

    private static readonly TimeRange[] Breaks = [new(4.5, 9), new(11.5, 15.5), new(17.5, 22.5)];

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Cut_Broadcast_EveryPidKeepsItsPacketsAndEveryStreamPlays(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string original = Recordings.Path("broadcast");
        string rec = Recordings.CopyTo("broadcast", dir);
        List<string> streams = FfmpegStreams.Streams(original);
        // What the recording was made to hold: video, MP2 and AC-3, SCTE-35, teletext, DVB
        // subtitles, private data, and EIT though the PMT does not list it.
        Assert.True(Carried.All(c => streams.Any(s => s.Split(',')[1] == c)), string.Join(" | ", streams));
        Assert.Equal("", FfmpegStreams.DecodeErrors(original, copyts: true));

        CutResult r = MediaFile.Cut(rec, Breaks, cancel: TestContext.Current.CancellationToken);

        Assert.Equal(3, r.Removed.Count);
        PacketJudge.Verdict v = PacketJudge.AssertKeeps(File.ReadAllBytes(original), File.ReadAllBytes(rec), r.Removed);
        TestContext.Current.TestOutputHelper?.WriteLine($"{fs}: {v}");
        // The joins met what the recording was made for: PES and sections split, and a split
        // section that starts in a packet ending another.
        Assert.True(v.PesDropped >= 3 && v.SectionsDropped >= 3 && v.StuffedAfterAnEnd >= 1, v.ToString());
        Assert.Equal(PacketJudge.Pmt(File.ReadAllBytes(original)), PacketJudge.Pmt(File.ReadAllBytes(rec)));
        Assert.Equal(streams, FfmpegStreams.Streams(rec));
        Assert.Equal("", FfmpegStreams.DecodeErrors(rec, copyts: true));
        Assert.Equal("", FfmpegStreams.DecodeErrors(rec, copyts: false));
        // Each join marked the jump in every PES PID's continuity counter (the judge checked
        // each mark byte for byte), and no demuxer meets one unmarked but on a table's PID.
        byte[] originalBytes = File.ReadAllBytes(original);
        int pesPids = PacketJudge.ByPid(originalBytes).Keys.Except(PacketJudge.SectionPids(originalBytes)).Count();
        Assert.True(pesPids >= 6, $"{pesPids} PES PIDs: video, MP2, AC-3, teletext, subtitles, private data were made");
        Assert.True(v.PesMarked == 3 * pesPids, v.ToString());
        AssertCountsRunOn(rec, original);
        Assert.True(r.BytesWritten <= 3 * 256 * 1024, $"{r.BytesWritten} bytes written");
    }

    /// <summary>Every GOP structure the suite makes, closed and open, in each codec.</summary>
    public static TheoryData<string, string> GopCases() =>
        Scratch.EveryFileSystemWith(["h264-aac", "h264-open-gop", "h264-open-gop-broadcast", "hevc-ac3", "mpeg2-mp2"]);

    /// <summary>The ranges cut from each kind: three breaks, or from the 60 s broadcast kind
    /// (keyframes 4 s apart) the one whose join ffmpeg's decoder put out of order before the
    /// cut's start was moved for it.</summary>
    private static TimeRange[] RangesFor(string kind) => kind == "h264-open-gop-broadcast" ? [new(17.5, 42.5)] : Breaks;

    [Theory, MemberData(nameof(GopCases))]
    public void Cut_AnyGop_DecodeTimestampsRiseAcrossEveryJoin(string fs, string kind)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = Recordings.CopyTo(kind, dir);
        Assert.Equal("", FfmpegStreams.DecodeErrors(Recordings.Path(kind), copyts: false));
        TimeRange[] ranges = RangesFor(kind);

        CutResult r = MediaFile.Cut(rec, ranges, cancel: TestContext.Current.CancellationToken);

        Assert.Equal(ranges.Length, r.Removed.Count);
        AssertJoinsPlay(rec, kind, fs);
        AssertCountsRunOn(rec, Recordings.Path(kind));
        Assert.True(r.BytesWritten <= ranges.Length * 256 * 1024, $"{r.BytesWritten} bytes written");
        if (dir.Kind.ShiftMethod != RangeMethod.Copy)
        {
            Assert.Equal(0, r.BytesCopied);
        }
    }

    /// <summary>
    /// The same joins when what is removed is saved: the saved part must start on a keyframe,
    /// so the cut's start cannot move to mend an open GOP's picture order; pictures that
    /// bridge it are written in the padding instead (docs/media.md, "Timestamps at a join").
    /// Decode timestamps still rise, ffmpeg still decodes the cut silently, the removed part
    /// plays, and restore gives back the original byte for byte.
    /// </summary>
    [Theory, MemberData(nameof(GopCases))]
    public void Cut_AnyGop_WithSaveRemoved_TimestampsRiseAndRestoreGivesTheOriginal(string fs, string kind)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = Recordings.CopyTo(kind, dir);
        string saved = dir.File("removed.ts");
        string original = RestoreTests.Sha256(rec);
        TimeRange[] ranges = RangesFor(kind);

        CutResult r = MediaFile.Cut(rec, ranges, new CutOptions { SaveRemovedTo = saved }, cancel: TestContext.Current.CancellationToken);

        Assert.Equal(ranges.Length, r.Removed.Count);
        AssertJoinsPlay(rec, kind, fs);
        AssertCountsRunOn(rec, Recordings.Path(kind));
        // Each cut writes its padding in the recording and, in the saved file, the padding
        // that puts its part where it sat in its blocks (and the manifest): under 256 KiB each.
        Assert.True(r.BytesWritten <= ranges.Length * 2 * 256 * 1024, $"{r.BytesWritten} bytes written");
        // What was removed plays, silently: its parts start on open GOPs' I pictures whose
        // first P picture releases references from before them, which the part lacks, and
        // the part's copy of that picture no longer does (JoinReleases).
        (int code, string output) = Tools.Run("ffmpeg", "-v", "error", "-i", saved, "-map", "0:v?", "-map", "0:a?", "-f", "null", "-");
        Assert.True(code == 0, output);
        Assert.Equal("", output.Trim());
        AssertPicturesUnchanged(saved, Recordings.Path(kind));
        AssertCountsRunOn(saved, Recordings.Path(kind));

        MediaFile.Restore(rec, saved, cancel: TestContext.Current.CancellationToken);

        Assert.Equal(original, RestoreTests.Sha256(rec));
        Assert.False(File.Exists(saved));
    }

    /// <summary>
    /// The file of removed parts joins each part to the one before it as the cut joins what
    /// it keeps: where a part starts on an open GOP's I picture that counts in picture order
    /// below the last pictures of the part before, pictures bridge them
    /// (<c>CutPlanner.Bridge</c>). These three ranges of x264's open GOPs left such a join
    /// in the removed file: ffmpeg reported "non monotonically increasing dts" there, and
    /// put out fewer pictures than the file holds. Now it plays silently, every picture the
    /// original's or a bridge's copy, and restore still gives back the original.
    /// </summary>
    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Cut_WithSaveRemoved_RemovedPartsJoinInPictureOrder(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = Recordings.CopyTo("h264-open-gop", dir);
        string saved = dir.File("removed.ts");
        string sha = RestoreTests.Sha256(rec);

        CutResult r = MediaFile.Cut(rec, [new(2, 4), new(5.5, 8), new(13.3, 21)], new CutOptions { SaveRemovedTo = saved }, cancel: TestContext.Current.CancellationToken);

        Assert.Equal(3, r.Removed.Count);
        Assert.True(BridgePictures(saved) >= 1, "no join of the removed file was bridged");
        AssertDecodeTimestampsRise(saved, "h264-open-gop", fs);
        foreach (bool copyts in new[] { true, false })
        {
            Assert.Equal("", FfmpegStreams.DecodeErrors(saved, copyts));
        }
        Assert.Equal(Ffmpeg.VideoPackets(saved).Count, FramesDecoded(saved));
        AssertPicturesUnchanged(saved, Recordings.Path("h264-open-gop"));
        AssertJoinsPlay(rec, "h264-open-gop", fs);

        MediaFile.Restore(rec, saved, cancel: TestContext.Current.CancellationToken);

        Assert.Equal(sha, RestoreTests.Sha256(rec));
    }

    /// <summary>
    /// The joins bridged (<c>CutPlanner.Bridge</c>) and those not, by the picture the kept
    /// content resumes on: an --exact cut's B picture (x264 open GOPs, SPS and PPS in front of
    /// every picture), none; its P picture, with the sets in front of every picture or only
    /// of keyframes, and its I picture where it lands on an open GOP's keyframe, one or two; and a keyframe that is a P picture
    /// (gradual decoding refresh), its removed part saved so that the cut's start cannot
    /// move, one or two. Measured before the rule (docs/media.md, "Timestamps at a join"):
    /// bridged, the B picture's join made ffmpeg report "non monotonically increasing dts"
    /// and drop twelve frames; unbridged, the P pictures' joins did.
    /// </summary>
    public static TheoryData<string, string, double, double, bool, string> ResumeCases()
    {
        (string Kind, double From, double To, bool Exact, string Resumes)[] cases =
        [
            ("h264-open-gop-headers", 1.86, 3.16, true, "B"),
            ("h264-open-gop-headers", 14.87, 16.76, true, "P"),
            // The same P picture where only keyframes carry the sequence parameter set: read
            // with the set in front of its GOP's keyframe.
            ("h264-open-gop", 14.87, 16.76, true, "P"),
            ("h264-open-gop", 17.7, 20, true, "I"),
            ("h264-intra-refresh", 4.5, 9, false, "P"),
        ];
        var data = new TheoryData<string, string, double, double, bool, string>();
        foreach (string fs in Scratch.Names)
        {
            foreach ((string kind, double from, double to, bool exact, string resumes) in cases)
            {
                data.Add(fs, kind, from, to, exact, resumes);
            }
        }
        return data;
    }

    [Theory, MemberData(nameof(ResumeCases))]
    public void Cut_BridgesAJoinOnlyWhereItResumesOnAnIOrPPicture(string fs, string kind, double from, double to, bool exact, string resumes)
    {
        using ScratchDir dir = Scratch.On(fs);
        string original = Recordings.Path(kind);
        string rec = Recordings.CopyTo(kind, dir);
        string saved = dir.File("removed.ts");
        string sha = RestoreTests.Sha256(rec);
        Assert.Equal(0, BridgePictures(original));

        CutResult r = MediaFile.Cut(rec, [new(from, to)], new CutOptions { Exact = exact, SaveRemovedTo = exact ? null : saved }, cancel: TestContext.Current.CancellationToken);

        RemovedRange cut = Assert.Single(r.Removed);
        Assert.Equal(resumes, PictureTypeAt(original, cut.To));
        int bridges = BridgePictures(rec);
        Assert.True(resumes == "B" ? bridges == 0 : bridges is 1 or 2, $"{kind} on {fs}, {cut}: {bridges} bridge pictures where the join resumes on a {resumes} picture");
        AssertDecodeTimestampsRise(rec, kind, fs);
        // Every picture in the file comes out of ffmpeg's decoder, and in order: where it
        // puts a picture out of order it says so and drops it. (An --exact cut's pictures
        // until the next keyframe lean on removed ones, so other reports are expected.)
        foreach (bool copyts in new[] { true, false })
        {
            Assert.DoesNotContain("non monotonically increasing dts", FfmpegStreams.DecodeErrors(rec, copyts), StringComparison.Ordinal);
        }
        Assert.Equal(Ffmpeg.VideoPackets(rec).Count, FramesDecoded(rec));
        if (!exact)
        {
            MediaFile.Restore(rec, saved, cancel: TestContext.Current.CancellationToken);
            Assert.Equal(sha, RestoreTests.Sha256(rec));
        }
    }

    /// <summary>How many bridge pictures <paramref name="path"/> holds: each begins with an
    /// access unit delimiter of primary_pic_type 1 (09 30; x264 writes none, ffmpeg's muxer
    /// 09 F0) and goes on with a picture parameter set of its own (68).</summary>
    private static int BridgePictures(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        byte[] start = [0, 0, 0, 1, 0x09, 0x30, 0, 0, 0, 1, 0x68];
        int n = 0, at = 0;
        while (bytes.AsSpan(at).IndexOf(start) is var i and >= 0)
        {
            n++;
            at += i + start.Length;
        }
        return n;
    }

    /// <summary>The picture type ffprobe gives the frame of <paramref name="path"/> shown at
    /// <paramref name="seconds"/> (from the first frame shown).</summary>
    private static string PictureTypeAt(string path, double seconds)
    {
        (int code, string output, string err) = Tools.Capture("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts,pict_type", "-of", "csv=p=0", path);
        Assert.True(code == 0, $"ffprobe {path}: {err}");
        (long Pts, string Type)[] frames = [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(',')).Where(w => w.Length >= 2 && w[0].Length > 0)
            .Select(w => (long.Parse(w[0], CultureInfo.InvariantCulture), w[1]))];
        long at = frames.Min(f => f.Pts) + (long)Math.Round(seconds * 90_000);
        return frames.Single(f => Math.Abs(f.Pts - at) < 900).Type;
    }

    /// <summary>How many video frames ffmpeg's decoder puts out of <paramref name="path"/>.</summary>
    private static int FramesDecoded(string path)
    {
        (int code, string output, string err) = Tools.Capture("ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path);
        Assert.True(code == 0, $"ffprobe {path}: {err}");
        // The stream is printed twice: in its program and on its own.
        return int.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture);
    }

    /// <summary>Decode timestamps rise across each join in every stream of
    /// <paramref name="rec"/>, and ffmpeg decodes it without a word, with and without -copyts.</summary>
    private static void AssertJoinsPlay(string rec, string kind, string fs)
    {
        AssertDecodeTimestampsRise(rec, kind, fs);
        // And so do those of the frames the decoders put out: ffmpeg's null muxer says
        // "non monotonically increasing dts" where they do not.
        foreach (bool copyts in new[] { true, false })
        {
            // x264 at preset veryfast too, whose first P picture after the I picture where the
            // kept content resumes releases references the cut removed, which ffmpeg reported
            // ("mmco: unref short failure") until that release was rewritten (JoinReleases).
            Assert.Equal("", FfmpegStreams.DecodeErrors(rec, copyts));
        }
        AssertPicturesUnchanged(rec, Recordings.Path(kind));
    }

    /// <summary>
    /// Every picture ffmpeg decodes from <paramref name="cut"/> is the one it decodes from
    /// <paramref name="original"/> at the same presentation time (the bytes a join rewrites,
    /// broken-link marks and released references, change no picture; no picture that leans
    /// on a removed one is shown), but for the bridge pictures, each a copy of the picture
    /// put out just before it, at times of pictures removed.
    /// </summary>
    private static void AssertPicturesUnchanged(string cut, string original)
    {
        Dictionary<string, string> before = PictureHashes(original).GroupBy(p => p.Pts).ToDictionary(g => g.Key, g => g.First().Hash);
        var after = PictureHashes(cut);
        Assert.True(after.Count > 0, $"{cut}: no picture decoded");
        for (int i = 0; i < after.Count; i++)
        {
            (string pts, string hash) = after[i];
            bool same = before.TryGetValue(pts, out string? was) && was == hash;
            bool bridge = i > 0 && after[i - 1].Hash == hash;
            Assert.True(same || bridge, $"{Path.GetFileName(cut)}: the picture at {pts} (time base of the stream's frame rate) is not the original's");
        }
    }

    /// <summary>Each picture ffmpeg decodes from <paramref name="path"/>, in output order: its
    /// timestamp as the file gives it and the MD5 of its pixels.</summary>
    private static List<(string Pts, string Hash)> PictureHashes(string path)
    {
        (int code, string output, string err) = Tools.Capture("ffmpeg", "-v", "error", "-copyts", "-i", path, "-map", "0:v:0", "-vsync", "passthrough", "-f", "framemd5", "-");
        Assert.True(code == 0, err);
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')).Select(l => l.Split(','))
            .Select(f => (f[2].Trim(), f[5].Trim()))];
    }

    /// <summary>The demuxer's decode timestamps rise across each join, in every stream.</summary>
    private static void AssertDecodeTimestampsRise(string rec, string kind, string fs)
    {
        foreach (IGrouping<int, long> stream in FfmpegStreams.Packets(rec).Where(p => p.Dts is not null).GroupBy(p => p.Stream, p => p.Dts!.Value))
        {
            long[] dts = [.. stream];
            int back = Enumerable.Range(1, dts.Length - 1).FirstOrDefault(i => dts[i] <= dts[i - 1]);
            Assert.True(back == 0, $"{kind} on {fs}, stream {stream.Key}: DTS {dts[back]} after {dts[Math.Max(0, back - 1)]} (packet {back})");
        }
    }

    /// <summary>
    /// No PES PID's continuity counter jumps unmarked in <paramref name="path"/>, cut from
    /// <paramref name="original"/>: ffprobe's demuxer, which logs each jump it meets at debug
    /// level, logs none on a PID that carries PES, and ffmpeg warns of nothing the original
    /// did not get: no packet flagged corrupt (it flags the PES a jump falls in, "Packet
    /// corrupt" at -v warning; -fflags +discardcorrupt would drop it). A PID that carries
    /// sections (PAT, PMT, SDT, EIT, SCTE-35) may jump unmarked where its next section after
    /// a join lies beyond what the cut reads there (docs/media.md, step 7): ffmpeg logs that
    /// at debug level and nothing more (no corrupt flag, no warning; the section after it
    /// starts a packet and is read whole), as the same checks show; the PIDs it met so are
    /// written to the test's output.
    /// </summary>
    internal static void AssertCountsRunOn(string path, string original)
    {
        (_, _, string log) = Tools.Capture("ffprobe", "-v", "debug", "-show_entries", "packet=pos", "-of", "csv=p=0", path);
        HashSet<int> tables = SectionPidsOf(original);
        var jumps = log.Split('\n').Where(l => l.Contains("Continuity check failed for pid ", StringComparison.Ordinal))
            .Select(l => (Line: l.Trim(), Pid: int.Parse(l[(l.IndexOf("for pid ", StringComparison.Ordinal) + 8)..].Split(' ')[0], CultureInfo.InvariantCulture))).ToList();
        string[] onPes = [.. jumps.Where(j => !tables.Contains(j.Pid)).Select(j => j.Line)];
        Assert.True(onPes.Length == 0, $"{path}: {string.Join(" | ", onPes.Take(5))}");
        if (jumps.Count > 0)
        {
            TestContext.Current.TestOutputHelper?.WriteLine($"{Path.GetFileName(path)}: tables left unmarked at a join (PID): {string.Join(" ", jumps.Select(j => j.Pid).Distinct().Order())}");
        }
        // Nothing at -v warning that the original did not get.
        string[] warned = [.. Warnings(path).Except(Warnings(original, original: true)).Where(l => !l.StartsWith("Last message repeated", StringComparison.Ordinal))];
        Assert.True(warned.Length == 0, $"{path}: {string.Join(" | ", warned.Take(5))}");
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, HashSet<int>> Tables = new();

    private static HashSet<int> SectionPidsOf(string original) => Tables.GetOrAdd(original, p => PacketJudge.SectionPids(File.ReadAllBytes(p)));

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, List<string>> WarnedOfOriginal = new();

    /// <summary>What ffmpeg says of <paramref name="path"/> at -v warning, decoding every video
    /// and audio stream, one line each, the logging context's address left out ("[mpegts]
    /// Packet corrupt (stream = 4, dts = 2229356)").</summary>
    private static List<string> Warnings(string path, bool original = false)
    {
        if (original)
        {
            return WarnedOfOriginal.GetOrAdd(path, p => Warnings(p));
        }
        (_, _, string warnings) = Tools.Capture("ffmpeg", "-v", "warning", "-i", path, "-map", "0:v?", "-map", "0:a?", "-f", "null", "-");
        return [.. warnings.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => System.Text.RegularExpressions.Regex.Replace(l.Trim(), " @ 0x[0-9a-f]+\\]", "]"))];
    }

    public static TheoryData<string, string> RadioCases() => Scratch.EveryFileSystemWith(Recordings.Radio);

    [Theory, MemberData(nameof(RadioCases))]
    public void Cut_Radio_OnAudioFramesKeepsEveryOtherFrame(string fs, string kind)
    {
        using ScratchDir dir = Scratch.On(fs);
        string original = Recordings.Path(kind);
        string rec = Recordings.CopyTo(kind, dir);
        string saved = dir.File("removed.ts");
        var before = FfmpegStreams.Packets(original);
        double durationBefore = Seconds(before);
        (int infoCode, string infoJson, string infoErr) = CliProcess.Movdata("info", rec, "--json");
        Assert.True(infoCode == 0, infoErr);
        JsonElement info = JsonDocument.Parse(infoJson).RootElement;
        Assert.Equal(JsonValueKind.Null, info.GetProperty("videoPid").ValueKind);
        Assert.Equal(0x100, info.GetProperty("cutPid").GetInt32());
        Assert.True(info.GetProperty("keyframes").GetInt32() >= 24 * 2, infoJson); // an audio PES is a few frames: at most half a second
        (int textCode, string text, _) = CliProcess.Movdata("info", rec);
        Assert.Equal(0, textCode);
        Assert.Contains($"radio      no video: cut on the {info.GetProperty("keyframes").GetInt32()} audio PES of PID 256", text, StringComparison.Ordinal);

        (int code, string json, string err) = CliProcess.Movdata("cut", rec, "--remove", "4.5-9", "--remove", "11.5-15.5", "--remove", "17.5-22.5", "--save-removed", saved, "--json");

        Assert.True(code == 0, err);
        JsonElement r = JsonDocument.Parse(json).RootElement;
        RemovedRange[] cuts = [.. r.GetProperty("removed").EnumerateArray().Select(x => new RemovedRange(x.GetProperty("from").GetDouble(), x.GetProperty("to").GetDouble(), x.GetProperty("offset").GetInt64(), x.GetProperty("length").GetInt64()))];
        Assert.Equal(3, cuts.Length);
        // Each range snaps to audio PES boundaries: within a PES (at most 0.5 s here) of what was asked.
        Assert.All(cuts.Zip(Breaks), c => Assert.True(c.First.From >= c.Second.From && c.First.From - c.Second.From <= 0.5 && c.First.To <= c.Second.To && c.Second.To - c.First.To <= 0.5, $"{c.First} for {c.Second}"));
        Assert.Equal("", FfmpegStreams.DecodeErrors(rec, copyts: true));
        Assert.Equal("", FfmpegStreams.DecodeErrors(rec, copyts: false));
        // Every frame outside the removed times is there, its data unchanged, in order; none
        // inside. (A PES holds several frames, and ffprobe gives a file position only to the
        // first: frames are told by their presentation times, which the cut reports in
        // seconds from the first, to the millisecond: 90 ticks, far less than a frame.)
        long t0 = FfmpegStreams.StartPts(original);
        bool Removed(long pts) => cuts.Any(c => pts - t0 >= c.From * 90_000 - 90 && pts - t0 < c.To * 90_000 - 90);
        var after = FfmpegStreams.Packets(rec);
        Assert.Equal(before.Where(p => !Removed(p.Pts!.Value)).Select(p => p.Hash), after.Select(p => p.Hash));
        // The audio lasts as long less the removed time (whole frames went: to the
        // milliseconds the cut reports), and the cut says so to within a PES.
        double removedTime = cuts.Sum(c => c.To - c.From);
        Assert.Equal(durationBefore - removedTime, Seconds(after), 0.005);
        Assert.Equal(durationBefore - removedTime, r.GetProperty("durationAfter").GetDouble(), 0.5);
        // What was removed plays, frame for frame.
        Assert.Equal("", FfmpegStreams.DecodeErrors(saved, copyts: true));
        Assert.Equal(before.Where(p => Removed(p.Pts!.Value)).Select(p => p.Hash), FfmpegStreams.Packets(saved).Select(p => p.Hash));
    }

    /// <summary>How long the frames last, summed: a cut file's timestamps jump at each join,
    /// so the span from its first to its last says nothing of what was removed.</summary>
    private static double Seconds(List<(int Stream, long? Dts, long? Pts, long Duration, string Hash)> packets) => packets.Sum(p => p.Duration) / 90_000.0;
}
