using System.Text.Json;
using MovData.Media;
using MovData.Tests.Cli;
using MovData.Tests.Harness;

namespace MovData.Tests.Media;

/// <summary>
/// Cuts of real recordings (made by ffmpeg) on every scratch filesystem, judged by ffmpeg:
/// the result decodes with no error, holds every video packet outside the removed ranges in
/// order and none inside them, costs at most 256 KiB written per cut, and (where the
/// filesystem shifts blocks) copies nothing: the tail keeps its physical blocks.
/// </summary>
public sealed class CutTests
{
    private const long PerCut = 256 * 1024;

    public static TheoryData<string, string> Matrix() => Scratch.EveryFileSystemWith(Recordings.Kinds);

    [Theory, MemberData(nameof(Matrix))]
    public void Cut_ThreeBreaks_FfmpegDecodesWhatIsLeftAndNothingAfterACutIsCopied(string fs, string kind)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = Recordings.CopyTo(kind, dir);
        var before = Ffmpeg.VideoPackets(rec);
        long size = new FileInfo(rec).Length;
        long tailAt = (size / Files.Block - 16) * Files.Block;
        long[]? tailBlocks = dir.Kind.Fiemap ? Files.PhysicalBlocks(rec, tailAt, 16 * Files.Block) : null;
        byte[] tail = Files.Read(rec, tailAt, 16 * Files.Block);
        // A file that begins mid-GOP cannot be decoded from its first bytes: cut its head too.
        TimeRange[] ranges = kind == "mid-packet"
            ? [new(0, 3), new(11.5, 15.5), new(17.5, 22.5)]
            : [new(4.5, 9), new(11.5, 15.5), new(17.5, 22.5)];

        CutResult r = MediaFile.Cut(rec, ranges, cancel: TestContext.Current.CancellationToken);

        Assert.Equal(3, r.Removed.Count);
        Assert.Equal(kind == "m2ts" ? 192 : 188, r.PacketSize);
        AssertKeeps(before, rec, r.Removed, dropsLeading: kind is "h264-open-gop" or "mpeg2-mp2");
        // Every kind, open GOPs at x264's preset veryfast too, whose first pictures after a
        // join release reference frames the cut removed (JoinReleases).
        Assert.Equal("", Ffmpeg.DecodeErrors(rec));
        Assert.True(r.BytesWritten <= 3 * PerCut, $"{r.BytesWritten} bytes written for 3 cuts");
        Assert.Equal(dir.Kind.ShiftMethod, r.Method);
        long shrunk = size - new FileInfo(rec).Length;
        Assert.True(shrunk > 0 && shrunk % Files.Block == 0, $"shrank by {shrunk}");
        Assert.True(r.Removed.Sum(x => x.Length) - shrunk <= 3 * (192_512 + Files.Block), "more than one unit per cut left as null packets");
        // The bytes after the last cut are where they were, less what was collapsed.
        Files.AssertBytes(tail, rec, tailAt - shrunk);
        if (dir.Kind.ShiftMethod != RangeMethod.Copy)
        {
            Assert.Equal(0, r.BytesCopied);
            Assert.Equal(tailBlocks, Files.PhysicalBlocks(rec, tailAt - shrunk, 16 * Files.Block));
        }
        Assert.False(Directory.Exists(dir.File(".movdata-journal")), "the journal record was not removed");
        if (kind == "hevc-ac3")
        {
            // x265's keyframes after the first are open-GOP CRA pictures: each join's must now
            // be a BLA_W_LP (NAL header 20 01), or ffmpeg reports "Duplicate POC".
            Assert.Equal(3, Count(File.ReadAllBytes(rec), [0, 0, 1, 0x20, 0x01]));
            Assert.Equal(0, Count(File.ReadAllBytes(Recordings.Path(kind)), [0, 0, 1, 0x20, 0x01]));
        }
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Keep_WithSaveRemoved_BothFilesPlayAndTogetherHoldEveryFrame(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = Recordings.CopyTo("hevc-ac3", dir);
        string removed = dir.File("removed.ts");
        var before = Ffmpeg.VideoPackets(rec);

        (int code, string json, string err) = CliProcess.Movdata("cut", rec, "--keep", "0:05-0:17.5", "--save-removed", removed, "--json");

        Assert.True(code == 0, err);
        JsonElement r = JsonDocument.Parse(json).RootElement;
        RemovedRange[] cuts = [.. r.GetProperty("removed").EnumerateArray().Select(x => new RemovedRange(x.GetProperty("from").GetDouble(), x.GetProperty("to").GetDouble(), x.GetProperty("offset").GetInt64(), x.GetProperty("length").GetInt64()))];
        Assert.Equal(2, cuts.Length);
        Assert.Equal(0, cuts[0].Offset); // the head, program tables and all
        Assert.Equal(new FileInfo(Recordings.Path("hevc-ac3")).Length, cuts[1].Offset + cuts[1].Length); // to the end
        AssertKeeps(before, rec, cuts);
        Assert.Equal("", Ffmpeg.DecodeErrors(rec));
        // The head went, so the file must start with the tables (after null packets) for the first keyframe to count.
        byte[] head = Files.Read(rec, 0, 188 * 2048);
        int firstReal = Enumerable.Range(0, 2048).First(i => ((head[i * 188 + 1] & 0x1F) << 8 | head[i * 188 + 2]) != 0x1FFF);
        Assert.Equal(0, ((head[firstReal * 188 + 1] & 0x1F) << 8) | head[firstReal * 188 + 2]);

        var saved = Ffmpeg.VideoPackets(removed);
        Assert.Equal(before.Where(p => cuts.Any(c => p.Pos >= c.Offset && p.Pos < c.Offset + c.Length)).Select(p => p.Pts), saved.Select(p => p.Pts));
        Assert.Equal("", Ffmpeg.DecodeErrors(removed));
        if (dir.Kind.ZeroCopy)
        {
            // The removed parts moved as extents: only partial edge blocks were copied.
            Assert.True(r.GetProperty("bytesCopied").GetInt64() <= 4 * Files.Block, json);
        }
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Keep_TwoRanges_RemovesWhatIsBeforeBetweenAndAfterThem(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = Recordings.CopyTo("h264-aac", dir);
        var before = Ffmpeg.VideoPackets(rec);

        (int code, string json, string err) = CliProcess.Movdata("cut", rec, "--keep", "3-7", "--keep", "0:11-0:15.5", "--json");

        Assert.True(code == 0, err);
        JsonElement r = JsonDocument.Parse(json).RootElement;
        RemovedRange[] cuts = [.. r.GetProperty("removed").EnumerateArray().Select(x => new RemovedRange(x.GetProperty("from").GetDouble(), x.GetProperty("to").GetDouble(), x.GetProperty("offset").GetInt64(), x.GetProperty("length").GetInt64()))];
        // Keyframes every 2 s of 24: nothing kept is removed, so each removed range shrinks
        // to the whole GOPs inside it: [0, 3) to 0-2, [7, 11) to 8-10, [15.5, end) to 16-24.
        Assert.Equal([(0.0, 2.0), (8.0, 10.0), (16.0, 24.0)], cuts.Select(c => (c.From, c.To)));
        Assert.Equal(12, r.GetProperty("durationAfter").GetDouble(), 3);
        AssertKeeps(before, rec, cuts);
        Assert.Equal("", Ffmpeg.DecodeErrors(rec));
    }

    /// <summary>A cut that removes nothing says why in its JSON too, as the text does (review
    /// round 7: `--keep 0-100 --json` gave empty lists and no reason).</summary>
    [Fact]
    public void NothingToCut_TheJsonSaysWhy()
    {
        using ScratchDir dir = Scratch.On("xfs");
        string rec = Recordings.CopyTo("h264-aac", dir);
        string sha = RestoreTests.Sha256(rec);

        (int kept, string keepJson, string keepErr) = CliProcess.Movdata("cut", rec, "--keep", "0-100", "--json");
        (int small, string smallJson, string smallErr) = CliProcess.Movdata("cut", rec, "--remove", "3-3.5", "--json");

        Assert.True(kept == 0, keepErr);
        Assert.Equal("nothing to cut: the recording (0:00:24.000) ends before the ranges to remove begin (with --keep: it is all kept)",
            JsonDocument.Parse(keepJson).RootElement.GetProperty("nothingToCut").GetString());
        Assert.True(small == 0, smallErr);
        Assert.Equal("nothing to cut: no range holds a whole GOP (keyframe to keyframe): 3-3.5", JsonDocument.Parse(smallJson).RootElement.GetProperty("nothingToCut").GetString());
        Assert.Equal(sha, RestoreTests.Sha256(rec));
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Cut_FromAnEdl_RemovesTypes0And3Only(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = Recordings.CopyTo("h264-aac", dir);
        var before = Ffmpeg.VideoPackets(rec);
        string edl = dir.File("rec.edl");
        File.WriteAllText(edl, "# comskip\n4.5\t9.0\t3\n\n10 11 1\n12.0 15.5 0\n16 17 2 # scene marker\n");

        (int code, string json, string err) = CliProcess.Movdata("cut", rec, "--edl", edl, "--json");

        Assert.True(code == 0, err);
        JsonElement r = JsonDocument.Parse(json).RootElement;
        Assert.Equal("mpegts", r.GetProperty("format").GetString());
        RemovedRange[] cuts = [.. r.GetProperty("removed").EnumerateArray().Select(x => new RemovedRange(x.GetProperty("from").GetDouble(), x.GetProperty("to").GetDouble(), x.GetProperty("offset").GetInt64(), x.GetProperty("length").GetInt64()))];
        // Snapped to the keyframes (every 2 s): 4.5-9 removes 6-8, 12-15.5 removes 12-14.
        Assert.Equal([(6.0, 8.0), (12.0, 14.0)], cuts.Select(c => (c.From, c.To)));
        Assert.Equal(24 - 4, r.GetProperty("durationAfter").GetDouble(), 3);
        AssertKeeps(before, rec, cuts);
        Assert.Equal("", Ffmpeg.DecodeErrors(rec));
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Cut_RangeWithoutAWholeGop_ChangesNothing(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = Recordings.CopyTo("h264-aac", dir);
        Snapshot before = Files.Take(rec);

        CutResult r = MediaFile.Cut(rec, [new(4.5, 5.9)], cancel: TestContext.Current.CancellationToken);

        Assert.Empty(r.Removed);
        Assert.Equal([new TimeRange(4.5, 5.9)], r.Unchanged);
        Assert.Equal(before, Files.Take(rec));
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Cut_Exact_RemovesTheFramesNearestTheTimes(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = Recordings.CopyTo("h264-aac", dir);
        var before = Ffmpeg.VideoPackets(rec);

        CutResult r = MediaFile.Cut(rec, [new(5.0, 7.0)], new CutOptions { Exact = true }, cancel: TestContext.Current.CancellationToken);

        RemovedRange cut = Assert.Single(r.Removed);
        // 5.0 s is mid-GOP (keyframes every 2 s from 0): the cut starts there, not at 6.
        Assert.Equal(5.0, cut.From, 3);
        Assert.Equal(7.0, cut.To, 3);
        AssertKeeps(before, rec, r.Removed);
    }

    [Fact]
    public void Inspect_FindsFormatStreamsAndTheKeyframesFfprobeFinds()
    {
        foreach (string kind in Recordings.Kinds)
        {
            string rec = Recordings.Path(kind);
            RecordingInfo info = MediaFile.Inspect(rec, cancel: TestContext.Current.CancellationToken);
            Assert.Equal(kind == "m2ts" ? RecordingFormat.M2ts : RecordingFormat.MpegTs, info.Format);
            Assert.Equal(kind == "mid-packet" ? 128 : 0, info.FirstPacket);
            Assert.Equal(Ffmpeg.Keyframes(rec), info.Keyframes);
            Assert.InRange(info.Duration, 23.0, 24.01);
            Assert.Equal(kind switch { "hevc-ac3" => "hevc", "mpeg2-mp2" => "mpeg2video", _ => "h264" }, info.Video!.Codec);
            Assert.Equal(2, info.Programs.Single().Streams.Count);
        }
    }

    /// <summary>The cut file holds exactly the video packets of the original outside the
    /// removed byte ranges, in order (by PTS, which ffprobe reads with no help from us); with
    /// <paramref name="dropsLeading"/> (H.264 and MPEG-2 open GOPs), less the pictures after each join's
    /// keyframe that are shown before it: they refer to pictures the cut removed.</summary>
    internal static void AssertKeeps(List<(long Pts, long Pos, bool Key)> before, string cut, IEnumerable<RemovedRange> removed, bool dropsLeading = false)
    {
        RemovedRange[] r = [.. removed];
        var kept = before.Where(p => !r.Any(c => p.Pos >= c.Offset && p.Pos < c.Offset + c.Length)).ToList();
        int dropped = 0;
        foreach (RemovedRange c in r.Where(_ => dropsLeading))
        {
            int key = before.FindIndex(p => p.Pos == c.Offset + c.Length);
            for (int j = key + 1; key >= 0 && j < before.Count && j <= key + 16 && !before[j].Key; j++)
            {
                if (before[j].Pts < before[key].Pts)
                {
                    dropped += kept.Remove(before[j]) ? 1 : 0;
                }
            }
        }
        Assert.True(!dropsLeading || dropped >= 1, "no leading picture was dropped at any join");
        long[] got = [.. Ffmpeg.VideoPackets(cut).Select(p => p.Pts)];
        Assert.True(kept.Count < before.Count, "nothing was removed");
        Assert.Equal(kept.Select(p => p.Pts), got);
    }

    private static int Count(byte[] haystack, byte[] needle)
    {
        int n = 0;
        for (int i = 0; i <= haystack.Length - needle.Length; i++)
        {
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle))
            {
                n++;
            }
        }
        return n;
    }
}
