using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using MovData.Media;
using MovData.Tests.Harness;

namespace MovData.Tests.Media;

/// <summary>
/// Cuts of MP4 and MOV files made by ffmpeg, on every scratch filesystem, judged by ffmpeg:
/// what is left decodes with no error; every video packet outside the removed ranges is
/// there, its data intact and in order, and none inside them; every stream loses the same
/// time; what is written is about moov's size; and where the filesystem shifts blocks,
/// nothing is copied and the media after the cuts keeps its physical blocks. An --exact cut
/// keeps nothing shown inside its range where B pictures are reordered.
/// </summary>
public sealed class Mp4CutTests
{
    /// <summary>The files whose moov a cut rewrites (a fragmented one is cut by its fragments: Mp4FragmentCutTests).</summary>
    private static readonly string[] Cuttable = [.. Recordings.Movies.Where(k => k != "mp4-fragmented"), Recordings.XmpAfterMoovMovie];

    public static TheoryData<string, string> Matrix() => Scratch.EveryFileSystemWith(Cuttable);

    [Theory, MemberData(nameof(Matrix))]
    public void Cut_OneGop_FfmpegPlaysTheRestAndTheStreamsStayInStep(string fs, string kind) =>
        CutAndJudge(fs, kind, [new(4, 6)]);

    [Theory, MemberData(nameof(Matrix))]
    public void Cut_HeadMiddleAndTail_InOneEdit(string fs, string kind) =>
        CutAndJudge(fs, kind, [new(0, 2), new(4.3, 8.2), new(9, 100)]);

    /// <summary>The files with B pictures: a picture decoded before another may be shown after it.</summary>
    public static TheoryData<string, string> Reordered() => Scratch.EveryFileSystemWith(["mp4-bframes-late", "mov-hevc-timecode"]);

    /// <summary>
    /// --exact from a B picture in mid-GOP to a keyframe: the P picture decoded before that B
    /// picture is shown inside the range and goes with it (it was kept, and its decode time
    /// fell behind those after the join: the cut was refused), and so do the few B pictures
    /// before FROM that lean on it; everything shown from TO on is kept, and ffmpeg decodes
    /// the rest with no error.
    /// </summary>
    [Theory, MemberData(nameof(Reordered))]
    public void Cut_Exact_FromABPicture_KeepsNothingShownInTheRange(string fs, string kind)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = Recordings.CopyTo(kind, dir);
        List<Packet> before = Packets(rec);
        double start = before[0].Start;
        // A picture of the GOP at 4-6 s shown before one decoded ahead of it, and the keyframe nearest 8 s.
        Packet b = before.Where((p, i) => p.Pts - start is > 4.2 and < 5.8 && before.Take(i).Any(q => q.Pts > p.Pts)).First();
        Packet key = before.Where(p => p.Key).MinBy(p => Math.Abs(p.Pts - start - 8))!;
        double from = b.Pts - start, to = key.Pts - start;

        CutResult r = MediaFile.Cut(rec, [new(from, to)], new CutOptions { Exact = true }, cancel: TestContext.Current.CancellationToken);

        RemovedRange removed = Assert.Single(r.Removed);
        Assert.Equal(from, removed.From, 0.001);
        Assert.Equal(to, removed.To, 0.001);
        Assert.Equal("", Tools.Run("ffmpeg", "-v", "error", "-i", rec, "-map", "0", "-f", "null", "-").Output.Trim());
        (List<Packet> after, int marked) = Unmarked(Recordings.Path(kind), before, rec, Packets(rec));
        Assert.True(marked <= 1, $"{marked} pictures marked at one join"); // the keyframe at TO, an HEVC CRA made BLA
        var hashes = after.Select(p => p.Hash).ToHashSet();
        Assert.DoesNotContain(before, p => p.Pts - start >= from - 0.0005 && p.Pts - start < to - 0.0005 && p.Size > 64 && hashes.Contains(p.Hash));
        Assert.Equal(before.Where(p => p.Pts - start >= to - 0.0005).Select(p => p.Hash), after.Select(p => p.Hash).Where(h => before.Any(q => q.Hash == h && q.Pts - start >= to - 0.0005)));
        int lost = before.Count(p => p.Pts - start < from - 0.0005 && !hashes.Contains(p.Hash));
        Assert.True(lost <= 3, $"{lost} pictures shown before {from} s lost");
        Assert.All(after.Zip(after.Skip(1)), p => Assert.True(p.First.Dts < p.Second.Dts, $"decode times {p.First.Dts} then {p.Second.Dts}"));
        Assert.Equal(after.Count, after.Select(p => p.Pts).Distinct().Count());
    }

    /// <summary>x265's B pyramid: B pictures that lean on one decoded before them and shown after.</summary>
    public static TheoryData<string, string> Pyramid() => Scratch.EveryFileSystemWith(["mov-hevc-timecode"]);

    /// <summary>
    /// Two --exact ranges whose frames meet in decode order: the first ends on a B picture
    /// and the second starts on the next one decoded, and both lean on a P picture decoded
    /// before them and shown after both. Each cut's end and start move back to that picture, so
    /// nothing is kept between them: they are one cut, from the first FROM to the second TO,
    /// and the video keeps its time (two cuts that touched were refused, or made the rest
    /// start late against the audio).
    /// </summary>
    [Theory, MemberData(nameof(Pyramid))]
    public void Cut_Exact_RangesThatMeetInDecodeOrder_AreOneCut(string fs, string kind)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = Recordings.CopyTo(kind, dir);
        List<Packet> before = Packets(rec);
        double start = before[0].Start;
        Dictionary<string, double> durations = Durations(rec);
        // In the GOP at 4-6 s: X then Y decoded one after the other, X shown first, and a P picture
        // decoded before X since the keyframe and shown after both.
        int gop = before.FindIndex(p => p.Key && p.Pts - start > 3.9);
        int x = Enumerable.Range(gop + 1, 40).First(i => before[i + 1].Pts > before[i].Pts
            && before.Skip(gop).Take(i - gop).Any(p => p.Pts > before[i + 1].Pts) && before[i].Pts - start > 4.2);
        double from2 = before[x + 1].Pts - start, to1 = before[x].Pts - start;

        CutResult r = MediaFile.Cut(rec, [new(2, to1), new(from2, 6)], new CutOptions { Exact = true }, cancel: TestContext.Current.CancellationToken);

        RemovedRange removed = Assert.Single(r.Removed);
        Assert.Equal(2, removed.From, 0.001);
        Assert.Equal(6, removed.To, 0.001);
        Assert.Equal("", Tools.Run("ffmpeg", "-v", "error", "-i", rec, "-map", "0", "-f", "null", "-").Output.Trim());
        Dictionary<string, double> now = Durations(rec);
        Assert.Equal(durations["v:0"] - 4, now["v:0"], 0.001);
        Assert.True(Math.Abs(now["a:0"] - (durations["a:0"] - 4)) <= 0.033, $"audio {now["a:0"]} s after, {durations["a:0"]} s before");
        List<Packet> after = Packets(rec);
        var hashes = after.Select(p => p.Hash).ToHashSet();
        Assert.DoesNotContain(before, p => p.Pts - start >= 2 - 0.0005 && p.Pts - start < 6 - 0.0005 && p.Size > 64 && hashes.Contains(p.Hash));
    }

    /// <summary>
    /// A cut of the head of "mp4-bframes-late" (its video 1.5 s after the sound, by an empty
    /// edit) takes all that is shown before the range's end, the sound before the first
    /// picture too, and keeps the streams in step: both start at 0, and the sound still ends
    /// 1.5 s before the video (within a frame). Before, the video kept its delay while the
    /// sound lost its first 1.5 s with the range, so it played 1.5 s ahead of the pictures
    /// (and the suite's head, middle and tail cut, whose tail loses 1.5 s less sound than
    /// video, summed to the right durations by chance).
    /// </summary>
    [Theory]
    [InlineData(2.0)]
    [InlineData(4.0)]
    public void Cut_HeadOfADelayedVideo_TheStreamsStayInStep(double to)
    {
        using ScratchDir dir = Scratch.On("xfs");
        string rec = Recordings.CopyTo("mp4-bframes-late", dir);
        string before = dir.File("before.mp4");
        File.Copy(rec, before);
        (double videoStart, double videoEnd, double audioStart, double audioEnd) = Spans(rec);
        Assert.Equal(1.5, videoStart - audioStart, 0.001);

        CutResult r = MediaFile.Cut(rec, [new(0, to)], cancel: TestContext.Current.CancellationToken);

        Assert.Equal(to, r.Removed.Single().To, 0.001);
        Assert.Equal("", Tools.Run("ffmpeg", "-v", "error", "-i", rec, "-map", "0", "-f", "null", "-").Output.Trim());
        (double videoStartNow, double videoEndNow, double audioStartNow, double audioEndNow) = Spans(rec);
        // The sound kept is the original's from the range's end on the movie's clock (1.5 s
        // after its start, the picture's delay), every packet of it moved back by just that.
        double end = videoStart + to;
        List<(double Pts, string Hash)> sound = AudioPackets(before), soundNow = AudioPackets(rec);
        int gone = sound.Count - soundNow.Count;
        Assert.Equal(sound.Skip(gone).Select(p => p.Hash), soundNow.Select(p => p.Hash));
        Assert.True(Math.Abs(sound[gone].Pts - end) <= 0.022, $"the sound kept starts at {sound[gone].Pts} s, the range ends at {end} s");
        Assert.All(soundNow.Zip(sound.Skip(gone)), p => Assert.Equal(p.Second.Pts - end, p.First.Pts, 0.002));
        Assert.Equal(0, videoStartNow, 0.001);
        Assert.True(Math.Abs(audioStartNow) <= 0.022, $"the sound starts at {audioStartNow} s");
        Assert.Equal(videoEnd - videoStart - to, videoEndNow, 0.001);
        Assert.True(Math.Abs((videoEnd - audioEnd) - (videoEndNow - audioEndNow)) <= 0.022,
            $"the sound ended {videoEnd - audioEnd} s before the video, now {videoEndNow - audioEndNow} s");
    }

    /// <summary>
    /// A movie without edit lists (-use_editlist 0), whose B pictures show its video from
    /// 0.08 s (the first picture's composition offset) and its sound from 0, cut at the head
    /// and once more after it: every kept video and audio packet moves back by the same time,
    /// so the sound heard with a picture is the same. Before, each track's first kept sample
    /// was simply shown from its decode time, 0: the picture kept its 0.08 s delay while the
    /// sound lost the part of its first frame before the range's end, and the sound played
    /// 64 ms early for the rest of the file. Each track now gets an edit list that shows it
    /// from where the range ended, as a track that has one keeps it.
    /// </summary>
    [Theory]
    [InlineData(2.0)]
    [InlineData(4.0)]
    public void Cut_HeadOfAMovieWithoutEditLists_TheSoundStaysWithThePicture(double to)
    {
        using ScratchDir dir = Scratch.On("xfs");
        string rec = Recordings.CopyTo(Recordings.NoEditListMovie, dir);
        string before = dir.File("before.mp4");
        File.Copy(rec, before);
        (double videoStart, _, double audioStart, _) = Spans(rec);
        Assert.Equal(0.08, videoStart - audioStart, 0.001);

        CutResult r = MediaFile.Cut(rec, [new(0, to), new(to + 2, to + 4)], cancel: TestContext.Current.CancellationToken);

        Assert.Equal([0, to, to + 2, to + 4], r.Removed.SelectMany(x => new[] { x.From, x.To }).Select(t => Math.Round(t, 3)));
        Assert.Equal("", Tools.Run("ffmpeg", "-v", "error", "-i", rec, "-map", "0", "-f", "null", "-").Output.Trim());
        double[] video = Moves(before, rec, "v:0"), sound = Moves(before, rec, "a:0");
        Assert.Equal([to + videoStart, to + 2 + videoStart], video);
        Assert.Equal(video, sound);
    }

    /// <summary>How far the packets of <paramref name="stream"/> that <paramref name="after"/>
    /// kept of <paramref name="before"/> (matched by their data's hash) moved back, each
    /// distinct time once, to the millisecond.</summary>
    private static double[] Moves(string before, string after, string stream)
    {
        List<(double Pts, string Hash)> Read(string path) =>
            [.. Tools.Run("ffprobe", "-v", "error", "-select_streams", stream, "-show_data_hash", "sha256", "-show_entries", "packet=pts_time,data_hash", "-of", "csv=p=0", path).Output
                .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(','))
                .Where(f => f.Length == 2 && f[0].Length > 0 && f[1].StartsWith("SHA256:", StringComparison.Ordinal)) // not a packet split by its side data (skip samples, where an edit list starts inside a sound frame)
                .Select(f => (double.Parse(f[0], CultureInfo.InvariantCulture), f[1]))];
        Dictionary<string, double[]> was = Read(before).GroupBy(p => p.Hash).ToDictionary(g => g.Key, g => g.Select(p => p.Pts).ToArray());
        return [.. Read(after).Where(p => was.TryGetValue(p.Hash, out double[]? at) && at.Length == 1)
            .Select(p => Math.Round(was[p.Hash][0] - p.Pts, 3)).Distinct().Order()];
    }

    /// <summary>
    /// The saved movie of a range from the middle of "mp4-bframes-late" shows its video and
    /// its sound from 0, as they were in step in the range. Before, its video kept the
    /// recording's 1.5 s delay, which only the head's sound had filled, and played 1.5 s
    /// behind its sound.
    /// </summary>
    [Fact]
    public void Cut_MiddleOfADelayedVideo_TheSavedMovieStartsBothAtZero()
    {
        using ScratchDir dir = Scratch.On("xfs");
        string rec = Recordings.CopyTo("mp4-bframes-late", dir);
        string ads = dir.File("ads.mp4");

        MediaFile.Cut(rec, [new(2, 6)], new CutOptions { SaveRemovedTo = ads }, cancel: TestContext.Current.CancellationToken);

        Assert.Equal("", Tools.Run("ffmpeg", "-v", "error", "-i", ads, "-map", "0", "-f", "null", "-").Output.Trim());
        (double videoStart, double videoEnd, double audioStart, double audioEnd) = Spans(ads);
        Assert.Equal(0, videoStart, 0.001);
        Assert.True(Math.Abs(audioStart) <= 0.022, $"the sound starts at {audioStart} s");
        Assert.True(Math.Abs(videoEnd - audioEnd) <= 0.043, $"the video ends at {videoEnd} s, the sound at {audioEnd} s");
    }

    /// <summary>
    /// "mp4-audio-late" (its sound 3 s after the picture) cut at 0-2 and 4-6 s: the cut keeps
    /// the sound's delay less the head (1 s), and the saved movie, which shows 0-2 and then
    /// 4-6 s, starts its sound, none of which is in the head, with the second range, at 2 s;
    /// its first packet is the original's shown at 4 s (its second of sound). ffprobe puts
    /// the sound's start 21 ms before its delay (AAC's priming).
    /// Before, the saved movie kept the sound's whole delay, 3 s, and played it 1 s late.
    /// </summary>
    [Fact]
    public void Cut_HeadAndMiddleOfADelayedSound_TheSavedMovieStartsItWithItsRange()
    {
        using ScratchDir dir = Scratch.On("xfs");
        string rec = Recordings.CopyTo(Recordings.AudioLateMovie, dir);
        string ads = dir.File("ads.mp4"), before = dir.File("before.mp4");
        File.Copy(rec, before);
        (_, _, double audioStart, _) = Spans(rec);
        Assert.Equal(3, audioStart, 0.022);

        MediaFile.Cut(rec, [new(0, 2), new(4, 6)], new CutOptions { SaveRemovedTo = ads }, cancel: TestContext.Current.CancellationToken);

        foreach (string file in new[] { rec, ads })
        {
            Assert.Equal("", Tools.Run("ffmpeg", "-v", "error", "-i", file, "-map", "0", "-f", "null", "-").Output.Trim());
        }
        Assert.Equal(audioStart - 2, Spans(rec).AudioStart, 0.001);
        (double videoStart, double videoEnd, double savedAudioStart, _) = Spans(ads);
        Assert.Equal(0, videoStart, 0.001);
        Assert.Equal(4, videoEnd, 0.001);
        Assert.True(Math.Abs(savedAudioStart - 2) <= 0.022, $"the saved sound starts at {savedAudioStart} s");
        List<(double Pts, string Hash)> sound = AudioPackets(before), saved = AudioPackets(ads);
        int first = sound.FindIndex(p => p.Hash == saved[0].Hash && Math.Abs(p.Pts - 4) <= 0.022);
        Assert.True(first >= 0, "the saved sound's first packet is none of the original's shown at 4 s");
        Assert.All(saved.Zip(sound.Skip(first)), p => Assert.Equal(p.Second.Hash, p.First.Hash));
    }

    /// <summary>
    /// The saved movie of two ranges from the middle of "mov-hevc-timecode" lasts their 4 s:
    /// its timecode track, whose one sample the recording keeps, is shown for no time there.
    /// Before, that track kept its whole edit list, and the saved movie said it lasted 12 s.
    /// </summary>
    [Fact]
    public void Cut_MiddleOfATimecodedMovie_TheSavedMovieLastsItsRanges()
    {
        using ScratchDir dir = Scratch.On("xfs");
        string rec = Recordings.CopyTo("mov-hevc-timecode", dir);
        string ads = dir.File("ads.mov");

        MediaFile.Cut(rec, [new(2, 4), new(6, 8)], new CutOptions { SaveRemovedTo = ads }, cancel: TestContext.Current.CancellationToken);

        (int code, string output, string err) = Tools.Capture("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", ads);
        Assert.True(code == 0, err);
        Assert.Equal(4, double.Parse(output.Trim(), CultureInfo.InvariantCulture), 0.05);
    }

    /// <summary>The first audio stream's packets: presentation time (the movie's clock) and sha256.</summary>
    private static List<(double Pts, string Hash)> AudioPackets(string path)
    {
        (int code, string output, string err) = Tools.Capture("ffprobe", "-v", "error", "-select_streams", "a:0", "-show_data_hash", "sha256",
            "-show_entries", "packet=pts_time,data_hash", "-of", "json", path);
        Assert.True(code == 0, err);
        using JsonDocument doc = JsonDocument.Parse(output);
        return [.. doc.RootElement.GetProperty("packets").EnumerateArray().Select(p =>
            (double.Parse(p.GetProperty("pts_time").GetString()!, CultureInfo.InvariantCulture), p.GetProperty("data_hash").GetString()!))];
    }

    /// <summary>Where the video and the first audio stream start and end, on the movie's clock (ffprobe).</summary>
    private static (double VideoStart, double VideoEnd, double AudioStart, double AudioEnd) Spans(string path)
    {
        JsonElement[] streams = Probe.Streams(path);
        JsonElement v = streams.First(s => s.GetProperty("codec_type").GetString() == "video"), a = streams.First(s => s.GetProperty("codec_type").GetString() == "audio");
        return (Probe.Number(v, "start_time"), Probe.Number(v, "start_time") + Probe.Number(v, "duration"),
            Probe.Number(a, "start_time"), Probe.Number(a, "start_time") + Probe.Number(a, "duration"));
    }

    private static void CutAndJudge(string fs, string kind, TimeRange[] ranges)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = Recordings.CopyTo(kind, dir);
        List<Packet> before = Packets(rec);
        Dictionary<string, double> durations = Durations(rec);
        long size = new FileInfo(rec).Length;
        (_, long mdatSize) = TopBox(rec, "mdat");
        (long moovAt, long moovSize) = TopBox(rec, "moov");
        // Boxes after a moov that follows all the media (XMP): they stay, the file's last bytes.
        byte[] trailing = Mp4FragmentCutTests.TopBoxes(rec).Any(b => b.Type == "mdat" && b.Offset > moovAt) ? [] : Files.Read(rec, moovAt + moovSize, size - moovAt - moovSize);
        // The whole blocks of the keyframe where the video resumes after the last range removed
        // from the middle (a range's end snaps back to a keyframe): kept, after blocks that collapse.
        double resume = ranges.Where(x => x.To < 12).Max(x => x.To);
        Packet anchor = before.Where(p => p.Key && p.Pts - p.Start <= resume + 0.0005).MaxBy(p => p.Pts)!;
        // (Past its first bytes: the NAL header a broken link's mark changes.)
        long anchorAt = (anchor.Pos + 64 + Files.Block - 1) / Files.Block * Files.Block, anchorBlocks = (anchor.Pos + anchor.Size) / Files.Block - anchorAt / Files.Block;
        Assert.True(anchorBlocks > 0, $"the keyframe at {anchor.Pts} s ({anchor.Size} bytes) holds no whole block");
        byte[] tail = Files.Read(rec, anchorAt, anchorBlocks * Files.Block);
        long[]? tailBlocks = dir.Kind.Fiemap ? Files.PhysicalBlocks(rec, anchorAt, anchorBlocks * Files.Block) : null;

        CutResult r = MediaFile.Cut(rec, ranges, cancel: TestContext.Current.CancellationToken);

        Assert.Equal("", Tools.Run("ffmpeg", "-v", "error", "-i", rec, "-map", "0", "-f", "null", "-").Output.Trim());
        double removedTime = r.Removed.Sum(x => x.To - x.From);
        Assert.Equal(r.DurationBefore - removedTime, r.DurationAfter, 0.001);

        // Video: the packets outside the removed ranges, data and order intact; none inside.
        double start = before[0].Start;
        (List<Packet> after, int marked) = Unmarked(Recordings.Path(kind), before, rec, Packets(rec));
        int joins = r.Removed.Count(x => x.From > 0.001 && x.To < r.DurationBefore - 0.001);
        Assert.True(marked <= joins, $"{marked} pictures marked at {joins} joins");
        bool Removed(Packet p) => r.Removed.Any(x => p.Pts - start >= x.From - 0.0005 && p.Pts - start < x.To - 0.0005);
        var expected = before.Where(p => !Removed(p)).ToList();
        var afterHashes = after.Select(p => p.Hash).ToHashSet();
        Assert.DoesNotContain(after, p => before.Where(Removed).Any(q => q.Hash == p.Hash && q.Size > 64));
        var missing = expected.Where(p => !afterHashes.Contains(p.Hash)).ToList();
        // An open GOP's pictures decoded after a removed keyframe but shown before it go with it:
        // at most the B-frames of one mini-GOP before each range (x265 bframes=3).
        Assert.True(missing.Count <= (kind == "mov-hevc-timecode" ? 3 * r.Removed.Count : 0),
            $"{missing.Count} kept packets missing, at {string.Join(", ", missing.Select(p => p.Pts.ToString("0.###", CultureInfo.InvariantCulture)))}");
        Assert.Equal(expected.Where(p => afterHashes.Contains(p.Hash)).Select(p => p.Hash), after.Select(p => p.Hash).Where(h => expected.Any(e => e.Hash == h)));
        Assert.Equal(expected.Count(p => p.Key), after.Count(p => p.Key));

        // Every stream loses the removed time: after the cut they differ as they did before,
        // to within an audio frame (AAC: 1024 samples, 21 ms at 48 kHz; AC-3: 32 ms).
        Dictionary<string, double> now = Durations(rec);
        Assert.Equal(durations["v:0"] - removedTime, now["v:0"], 0.001);
        foreach ((string stream, double was) in durations)
        {
            Assert.True(Math.Abs(now[stream] - (was - removedTime)) <= 0.033, $"{stream}: {was} s before, {now[stream]} s after removing {removedTime} s");
        }

        // Cost: about moov's size written; blocks collapsed, the tail where it was.
        Assert.True(r.BytesWritten <= moovSize + 64 * 1024, $"{r.BytesWritten} bytes written; moov is {moovSize}");
        Assert.Equal(dir.Kind.ShiftMethod, r.Method);
        (_, long mdatNow) = TopBox(rec, "mdat");
        long collapsed = mdatSize - mdatNow;
        Assert.True(collapsed > 0 && collapsed % Files.Block == 0, $"mdat shrank by {collapsed}");
        Assert.True(new FileInfo(rec).Length < size - collapsed + moovSize, "the file did not shrink by what mdat lost");
        long moved = anchor.Pos - after.Single(p => p.Hash == anchor.Hash).Pos;
        Assert.True(moved > 0 && moved % Files.Block == 0, $"the keyframe at {anchor.Pts} s moved by {moved} bytes");
        Files.AssertBytes(tail, rec, anchorAt - moved);
        if (dir.Kind.ShiftMethod != RangeMethod.Copy)
        {
            Assert.Equal(0, r.BytesCopied);
            Assert.Equal(tailBlocks, Files.PhysicalBlocks(rec, anchorAt - moved, anchorBlocks * Files.Block));
        }
        if (trailing.Length > 0)
        {
            // The new moov in the old one's place, less the collapses before it, a free box the rest.
            long end = new FileInfo(rec).Length;
            Files.AssertBytes(trailing, rec, end - trailing.Length);
            List<(long Offset, long Size, string Type)> boxes = Mp4FragmentCutTests.TopBoxes(rec);
            Assert.Equal(["moov", "free"], boxes.Where(b => b.Offset < end - trailing.Length).TakeLast(2).Select(b => b.Type));
            Assert.Equal(moovAt - collapsed, boxes.Single(b => b.Type == "moov").Offset);
        }
        Assert.False(Directory.Exists(dir.File(".movdata-journal")), "the journal record was not removed");
    }

    internal sealed record Packet(double Pts, double Dts, double Start, bool Key, long Pos, int Size, string Hash);

    /// <summary>
    /// <paramref name="after"/>, the packets of <paramref name="rec"/> after a cut, each whose
    /// data a join's mark changed (an HEVC CRA made BLA, an H.264 release rewritten: a byte or
    /// two of its headers, the size the same) given the hash of the packet of
    /// <paramref name="before"/> (read from <paramref name="original"/>) it was; and how many were.
    /// </summary>
    internal static (List<Packet> Packets, int Marked) Unmarked(string original, List<Packet> before, string rec, List<Packet> after)
    {
        HashSet<string> known = [.. before.Select(p => p.Hash)];
        int marked = 0;
        var result = new List<Packet>(after.Count);
        foreach (Packet p in after)
        {
            byte[]? now = known.Contains(p.Hash) ? null : Files.Read(rec, p.Pos, p.Size);
            Packet? was = now is null ? null : before.FirstOrDefault(q => q.Size == p.Size && q.Key == p.Key && Marked(Files.Read(original, q.Pos, q.Size), now));
            marked += was is null ? 0 : 1;
            result.Add(was is null ? p : p with { Hash = was.Hash });
        }
        return (result, marked);
    }

    /// <summary>Whether <paramref name="now"/> is <paramref name="was"/> with one to four bytes
    /// changed as a join's mark changes them: an HEVC NAL unit header from CRA (21) to BLA_W_LP
    /// (16), or one bit set (H.264's operation 1 made 2: code 010 to 011).</summary>
    private static bool Marked(byte[] was, byte[] now)
    {
        int changed = 0;
        for (int i = 0; i < was.Length; i++)
        {
            if (was[i] == now[i])
            {
                continue;
            }
            bool bla = (was[i] >> 1 & 0x3F) == 21 && (now[i] >> 1 & 0x3F) == 16 && (was[i] & 0x81) == (now[i] & 0x81);
            bool bitSet = (was[i] & ~now[i]) == 0 && System.Numerics.BitOperations.PopCount((uint)(was[i] ^ now[i])) == 1;
            if (!(bla || bitSet) || ++changed > 4)
            {
                return false;
            }
        }
        return changed > 0;
    }

    /// <summary>The video packets in decode order: presentation time, keyframe flag, size and a
    /// hash of their data; <paramref name="options"/> given to ffprobe first.</summary>
    internal static List<Packet> Packets(string path, params string[] options)
    {
        (int code, string output, string err) = Tools.Capture("ffprobe", [.. options, "-v", "error", "-select_streams", "v:0", "-show_data_hash", "sha256",
            "-show_entries", "packet=pts_time,dts_time,flags,pos,size,data_hash:stream=start_time", "-of", "json", path]);
        Assert.True(code == 0, err);
        using JsonDocument doc = JsonDocument.Parse(output);
        double start = double.Parse(doc.RootElement.GetProperty("streams")[0].GetProperty("start_time").GetString()!, CultureInfo.InvariantCulture);
        return [.. doc.RootElement.GetProperty("packets").EnumerateArray().Select(p => new Packet(
            double.Parse(p.GetProperty("pts_time").GetString()!, CultureInfo.InvariantCulture),
            double.Parse(p.GetProperty("dts_time").GetString()!, CultureInfo.InvariantCulture), start,
            p.GetProperty("flags").GetString()!.StartsWith('K'), long.Parse(p.GetProperty("pos").GetString()!, CultureInfo.InvariantCulture), int.Parse(p.GetProperty("size").GetString()!, CultureInfo.InvariantCulture),
            p.GetProperty("data_hash").GetString()!))];
    }

    /// <summary>Each video and audio stream's duration, as ffprobe reports it ("v:0", "a:1").</summary>
    internal static Dictionary<string, double> Durations(string path)
    {
        var d = new Dictionary<string, double>();
        int video = 0, audio = 0;
        foreach (JsonElement s in Probe.Streams(path))
        {
            string type = s.GetProperty("codec_type").GetString()!;
            if (type is "video" or "audio")
            {
                d[type == "video" ? $"v:{video++}" : $"a:{audio++}"] = Probe.Number(s, "duration");
            }
        }
        return d;
    }

    /// <summary>The first top-level box of <paramref name="type"/>: its offset and size, read from the file's box headers.</summary>
    internal static (long Offset, long Size) TopBox(string path, string type)
    {
        using FileStream f = File.OpenRead(path);
        byte[] h = new byte[16];
        long at = 0;
        while (at < f.Length)
        {
            f.Position = at;
            f.ReadExactly(h);
            long size = BinaryPrimitives.ReadUInt32BigEndian(h);
            size = size == 1 ? (long)BinaryPrimitives.ReadUInt64BigEndian(h.AsSpan(8)) : size == 0 ? f.Length - at : size;
            if (h.AsSpan(4, 4).SequenceEqual(System.Text.Encoding.ASCII.GetBytes(type)))
            {
                return (at, size);
            }
            at += size;
        }
        throw new InvalidDataException($"{path} has no {type}");
    }
}
