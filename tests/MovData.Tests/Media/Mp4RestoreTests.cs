using System.Globalization;
using System.Text.Json;
using MovData.Media;
using MovData.Tests.Cli;
using MovData.Tests.Harness;

namespace MovData.Tests.Media;

/// <summary>
/// Undo of an MP4 or MOV cut, on every scratch filesystem: `cut --save-removed` moves the
/// collapsed blocks into a file that is itself a movie of what was cut (ffmpeg decodes it
/// silently, ffprobe sees the original's streams, and its video packets are the removed
/// ones, data intact and in order), and `restore` gives back the original byte for byte
/// (SHA-256 equal), with moov at the end and at the front, after one cut and after two; where
/// blocks move between files (XFS, btrfs) they go out and come back as the same blocks.
/// </summary>
public sealed class Mp4RestoreTests
{
    /// <summary>The cuts undone: a recording kind and the ranges removed.</summary>
    private static readonly Dictionary<string, (string Kind, TimeRange[] Ranges)> Cuts = new()
    {
        ["moov at the end, two breaks"] = ("mp4-h264-aac", [new(2, 4), new(6, 8.5)]),
        ["moov at the end, head and tail"] = ("mp4-h264-aac", [new(0, 2), new(4.3, 8.2), new(9, 100)]),
        ["moov at the front, two breaks"] = ("mp4-faststart", [new(2, 4), new(6, 8.5)]),
        ["moov at the front, head and tail"] = ("mp4-faststart", [new(0, 2), new(9, 100)]),
        // moov written in its place, a free box the rest, the uuid after it kept.
        ["moov after the media, xmp after it, head and middle"] = (Recordings.XmpAfterMoovMovie, [new(0, 2), new(6, 8.5)]),
        ["mov, hevc open gops and a timecode track"] = ("mov-hevc-timecode", [new(0, 2), new(4.3, 8.2), new(9, 100)]),
        // The saved movie's second run begins on a CRA, marked a broken link there too (ffmpeg
        // put six frames out with falling timestamps before).
        ["mov, hevc open gops, a break and the tail"] = ("mov-hevc-timecode", [new(2, 4), new(10, 12)]),
        ["two audio tracks"] = ("mp4-two-audio", [new(2, 4), new(6, 8.5)]),
        ["b-frames and a delaying edit list"] = ("mp4-bframes-late", [new(4, 6), new(8, 10)]),
        ["fragmented, two breaks"] = ("mp4-fragmented", [new(2, 4), new(6, 8.5)]),
        ["fragmented with b-frames and sidx, head, middle and tail"] = ("mp4-fragmented-sidx", [new(0, 2), new(4.3, 8.2), new(9, 100)]),
        // The first fragment's samples in moov's tables: a head cut empties them.
        ["fragmented, first fragment in moov, head and middle"] = ("mp4-fragmented-split", [new(0, 2), new(6, 8.5)]),
    };

    public static TheoryData<string, string> Matrix() => Scratch.EveryFileSystemWith(Cuts.Keys);

    [Theory, MemberData(nameof(Matrix))]
    public void Restore_AfterACut_PutsTheMovieBackByteForByte_TheSavedMovieHoldsTheRemovedSamples(string fs, string name)
    {
        using ScratchDir dir = Scratch.On(fs);
        (string kind, TimeRange[] ranges) = Cuts[name];
        string rec = Recordings.CopyTo(kind, dir);
        string saved = dir.File("ads" + Path.GetExtension(rec));
        string original = RestoreTests.Sha256(rec);
        long size = new FileInfo(rec).Length;
        List<Packet> before = Packets(rec);
        HashSet<long> recBlocks = dir.Kind.Fiemap ? [.. Files.PhysicalBlocks(rec, 0, size / Files.Block * Files.Block).Where(b => b >= 0)] : [];

        CutResult cut = MediaFile.Cut(rec, ranges, new CutOptions { SaveRemovedTo = saved }, cancel: TestContext.Current.CancellationToken);

        Assert.NotEqual(original, RestoreTests.Sha256(rec));
        Assert.Equal(Path.GetFullPath(saved), cut.SavedTo);
        AssertSavedMovie(saved, rec, Recordings.Path(kind), before, cut);
        List<ByteSpan> collapsed = [.. cut.Collapsed.Where(c => c.Offset + c.Length < size)];
        long collapsedBytes = collapsed.Sum(c => c.Length);
        Assert.True(collapsedBytes > 0 && collapsedBytes % Files.Block == 0, $"{collapsedBytes} bytes collapsed");
        HashSet<long> savedBlocks = [];
        if (dir.Kind.Fiemap)
        {
            savedBlocks = [.. Files.PhysicalBlocks(saved, 0, new FileInfo(saved).Length / Files.Block * Files.Block).Where(b => b >= 0)];
            if (dir.Kind.ZeroCopy)
            {
                // The collapsed blocks went into the saved movie as they were, not as copies.
                int moved = savedBlocks.Count(recBlocks.Contains);
                Assert.True(moved >= collapsedBytes / Files.Block, $"{moved} of the saved movie's blocks were the recording's; {collapsedBytes / Files.Block} were collapsed");
            }
        }
        if (dir.Kind.ZeroCopy)
        {
            // Nothing copied: the blocks moved out, and the shift is native or by clones.
            Assert.Equal(0, cut.BytesCopied);
        }

        RestoreResult r = MediaFile.Restore(rec, saved, cancel: TestContext.Current.CancellationToken);

        Assert.Equal(original, RestoreTests.Sha256(rec));
        Assert.Equal(size, new FileInfo(rec).Length);
        Assert.False(File.Exists(saved), "the saved movie was not removed");
        Assert.False(Directory.Exists(dir.File(".movdata-journal")), "the journal record was not removed");
        Assert.Equal(size, r.SizeAfter);
        Assert.Equal(cut.Format, r.Format);
        Assert.Equal(cut.Removed.Select(x => (x.From, x.To)), r.Restored.Select(x => (x.From, x.To)));
        (_, long moovSize) = Mp4CutTests.TopBox(rec, "moov");
        Assert.True(r.BytesWritten <= moovSize + 256 * 1024, $"{r.BytesWritten} bytes written; moov is {moovSize}");
        Assert.Equal(dir.Kind.ShiftMethod, r.Method);
        if (dir.Kind.ZeroCopy)
        {
            Assert.True(r.BytesCopied <= 2 * collapsed.Count * Files.Block, $"{r.BytesCopied} bytes copied");
            if (dir.Kind.Fiemap)
            {
                // The collapsed blocks came back from the saved movie.
                long[] back = [.. collapsed.SelectMany(c => Files.PhysicalBlocks(rec, c.Offset, c.Length))];
                int returned = back.Count(savedBlocks.Contains);
                Assert.True(returned == back.Length, $"only {returned} of the {back.Length} collapsed blocks came back from the saved movie");
            }
        }
    }

    /// <summary>Two cuts, each saving what it removed: the first one's restore is refused
    /// while the second stands; undone last first, the original comes back.</summary>
    [Theory, MemberData(nameof(TwoCutsMatrix))]
    public void Restore_TwoCuts_UndoneLastFirst_TheOtherOrderRefused(string fs, string kind)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = Recordings.CopyTo(kind, dir);
        string ext = Path.GetExtension(rec);
        string original = RestoreTests.Sha256(rec);
        // ffmpeg's fragments begin 21 ms after each 2 s: a range a little longer holds one.
        string late = kind == "mp4-fragmented" ? ".5" : "";
        (int code, string output, string err) = CliProcess.Movdata("cut", rec, "--remove", $"2-4{late}", "--save-removed", "auto");
        Assert.True(code == 0, err + output);
        string first = RemovedParts.PathFor(rec, 1);
        Assert.Equal($".{Path.GetFileNameWithoutExtension(rec)}.removed{ext}", Path.GetFileName(first));
        Assert.True(File.Exists(first), $"{first} was not made");
        string afterFirst = RestoreTests.Sha256(rec);
        (code, output, err) = CliProcess.Movdata("cut", rec, "--remove", $"6-8{late}", "--remove", "9-100", "--save-removed", "auto");
        Assert.True(code == 0, err + output);
        string second = RemovedParts.PathFor(rec, 2);
        Assert.True(File.Exists(second), $"{second} was not made");
        Assert.Equal("", Tools.Run("ffmpeg", "-v", "error", "-i", second, "-map", "0", "-f", "null", "-").Output.Trim());
        Snapshot recBefore = Files.Take(rec), firstBefore = Files.Take(first);

        (code, string json, err) = CliProcess.Movdata("restore", rec, first, "--json");

        Assert.True(code == 2, $"exit {code}: {err}");
        Assert.Contains("was changed since the cut", err);
        Assert.Contains("the last cut first", err);
        Assert.Equal(2, JsonDocument.Parse(json).RootElement.GetProperty("error").GetProperty("exit").GetInt32());
        Assert.Equal(recBefore, Files.Take(rec));
        Assert.Equal(firstBefore, Files.Take(first));

        (code, output, err) = CliProcess.Movdata("restore", rec, second);
        Assert.True(code == 0, err + output);
        Assert.Equal(afterFirst, RestoreTests.Sha256(rec));
        (code, output, err) = CliProcess.Movdata("restore", rec, first);
        Assert.True(code == 0, err + output);
        Assert.Equal(original, RestoreTests.Sha256(rec));
        Assert.False(File.Exists(first) || File.Exists(second));
    }

    public static TheoryData<string, string> TwoCutsMatrix() => Scratch.EveryFileSystemWith(["mp4-h264-aac", "mp4-faststart", "mov-hevc-timecode", "mp4-fragmented"]);

    /// <summary>
    /// The saved movie plays as a recording of its own: ffmpeg decodes every stream with
    /// nothing on standard error, ffprobe sees the original's streams and no other (the
    /// manifest's uuid box is no stream), and its video packets are removed packets of the
    /// original, data intact (SHA-256) and in decode order: every one of them whose bytes the
    /// cut moved out but those before each run's first keyframe.
    /// </summary>
    private static void AssertSavedMovie(string saved, string rec, string original, List<Packet> before, CutResult cut)
    {
        Assert.Equal("", Tools.Run("ffmpeg", "-v", "error", "-i", saved, "-map", "0", "-f", "null", "-").Output.Trim());
        Assert.Equal(Streams(rec), Streams(saved));
        List<Packet> savedPackets = Packets(saved);
        double start = before.Where(p => p.Video).Min(p => p.Pts);
        bool Removed(Packet p) => cut.Removed.Any(x => p.Pts - start >= x.From - 0.0005 && p.Pts - start < x.To - 0.0005);
        List<string> removedVideo = [.. before.Where(p => p.Video && Removed(p)).Select(p => p.Hash)];
        // A picture a run after the first begins on may be marked as at a cut's joins (an HEVC
        // CRA made a broken link, an H.264 release rewritten): known by the packet it was.
        (List<Mp4CutTests.Packet> unmarked, int marked) = Mp4CutTests.Unmarked(original, Mp4CutTests.Packets(original), saved, Mp4CutTests.Packets(saved));
        Assert.True(marked <= cut.Removed.Count, $"{marked} saved pictures marked, in {cut.Removed.Count} runs");
        List<string> savedVideo = [.. unmarked.Select(p => p.Hash)];
        TestContext.Current.TestOutputHelper?.WriteLine($"{Path.GetFileName(rec)}: {savedVideo.Count} of the {removedVideo.Count} removed video packets are in the saved movie");
        Assert.True(savedVideo.Count > 0, "the saved movie has no video packets");
        // In order: each saved packet is the next removed one with its data, or one after it.
        int at = 0;
        foreach (string hash in savedVideo)
        {
            int found = removedVideo.IndexOf(hash, at);
            Assert.True(found >= 0, $"a saved video packet ({hash[..12]}) is no removed packet of the original, or out of order");
            at = found + 1;
        }
        // Whole GOPs go: at most the pictures of one keyframe interval per range are missing
        // (a range whose first bytes share a block with kept samples and are not moved).
        Assert.True(savedVideo.Count >= removedVideo.Count - 50 * cut.Removed.Count && savedVideo.Count >= removedVideo.Count / 2,
            $"{savedVideo.Count} of the {removedVideo.Count} removed video packets are in the saved movie");
        HashSet<string> audio = [.. before.Where(p => !p.Video).Select(p => p.Hash)];
        Assert.All(savedPackets.Where(p => !p.Video), p => Assert.Contains(p.Hash, audio));
        Assert.Contains(savedPackets, p => !p.Video);
    }

    private static string Streams(string path)
    {
        (int code, string output, string err) = Tools.Capture("ffprobe", "-v", "error", "-show_entries", "stream=index,codec_type,codec_name", "-of", "csv=p=0", path);
        Assert.True(code == 0, err);
        return output.Trim();
    }

    private sealed record Packet(bool Video, double Pts, string Hash);

    /// <summary>Every video and audio packet in file order: its stream, presentation time and a hash of its data.</summary>
    private static List<Packet> Packets(string path)
    {
        (int code, string output, string err) = Tools.Capture("ffprobe", "-v", "error", "-show_data_hash", "sha256",
            "-show_entries", "packet=stream_index,pts_time,data_hash:stream=index,codec_type", "-of", "json", path);
        Assert.True(code == 0, err);
        using JsonDocument doc = JsonDocument.Parse(output);
        Dictionary<int, string?> types = doc.RootElement.GetProperty("streams").EnumerateArray().ToDictionary(s => s.GetProperty("index").GetInt32(), s => s.GetProperty("codec_type").GetString());
        return [.. doc.RootElement.GetProperty("packets").EnumerateArray()
            .Where(p => types[p.GetProperty("stream_index").GetInt32()] is "video" or "audio" && p.TryGetProperty("pts_time", out _))
            .Select(p => new Packet(types[p.GetProperty("stream_index").GetInt32()] == "video",
                double.Parse(p.GetProperty("pts_time").GetString()!, CultureInfo.InvariantCulture), p.GetProperty("data_hash").GetString()!))];
    }
}
