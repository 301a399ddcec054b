using System.Globalization;
using System.Text.Json;
using MovData.Media;
using MovData.Tests.Cli;
using MovData.Tests.Harness;

namespace MovData.Tests.Media;

/// <summary>
/// MP4 and MOV files made by ffmpeg, read by `movdata info` and judged by ffprobe: the
/// tracks, their codecs, sample counts and durations, the keyframes and their times, where
/// moov is; and that reading them reads the index, not the media.
/// </summary>
public sealed class Mp4InfoTests
{
    /// <summary>The movies, and a fragmented one with B-frames (whose last picture shown ends
    /// past the sum of the durations, which ffprobe gives as the stream's duration).</summary>
    public static TheoryData<string, string> Matrix() => Scratch.EveryFileSystemWith([.. Recordings.Movies, "mp4-fragmented-sidx"]);

    public static TheoryData<string> Movies() => new(Recordings.Movies);

    [Theory, MemberData(nameof(Matrix))]
    public void Info_AgreesWithFfprobe(string fs, string kind)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = Recordings.CopyTo(kind, dir);
        (int code, string output, string err) = CliProcess.Movdata("info", rec, "--json");
        Assert.True(code == 0, $"movdata info {kind}: exit {code}: {err}");
        using JsonDocument doc = JsonDocument.Parse(output);
        JsonElement info = doc.RootElement;
        JsonElement[] streams = Probe.Streams(rec);

        Assert.Equal(kind.StartsWith("mov", StringComparison.Ordinal) ? "mov" : "mp4", info.GetProperty("format").GetString());
        Assert.Equal(new FileInfo(rec).Length, info.GetProperty("size").GetInt64());
        Assert.True(info.GetProperty("canCut").GetBoolean());
        Assert.Equal(dir.Kind.ShiftMethod.ToContractName(), info.GetProperty("cutMethod").GetString());

        JsonElement[] tracks = [.. info.GetProperty("tracks").EnumerateArray()];
        Assert.Equal(streams.Length, tracks.Length);
        for (int i = 0; i < tracks.Length; i++)
        {
            JsonElement s = streams[i], t = tracks[i];
            string type = s.GetProperty("codec_type").GetString()!;
            string because = $"{kind} stream {i} ({type})";
            Assert.True(type is "video" or "audio" ? t.GetProperty("kind").GetString() == type : t.GetProperty("kind").GetString() == "other", because);
            if (type is "video" or "audio")
            {
                Assert.True(s.GetProperty("codec_name").GetString() == t.GetProperty("codec").GetString(), because);
            }
            Assert.True(Probe.Frames(s) == t.GetProperty("samples").GetInt64(), $"{because}: {Probe.Frames(s)} frames, we say {t.GetProperty("samples")}");
            double duration = Probe.Number(s, "duration");
            Assert.True(Math.Abs(duration - t.GetProperty("duration").GetDouble()) < 0.001, $"{because}: ffprobe {duration} s, we say {t.GetProperty("duration")}");
        }
        if (kind == "mov-hevc-timecode")
        {
            Assert.Contains(tracks, t => t.GetProperty("handler").GetString() == "tmcd");
        }

        JsonElement video = streams.First(s => s.GetProperty("codec_type").GetString() == "video");
        Assert.Equal(Probe.Number(video, "duration"), info.GetProperty("duration").GetDouble(), 0.001);
        Assert.Equal(Ffmpeg.Keyframes(rec), info.GetProperty("keyframes").GetInt32());
        Assert.Equal(kind.StartsWith("mp4-fragmented", StringComparison.Ordinal), info.GetProperty("fragmented").GetBoolean());

        // moov is where info says: read back, its header is there with the size given.
        JsonElement moov = info.GetProperty("moov");
        byte[] header = new byte[8];
        using (FileStream f = File.OpenRead(rec))
        {
            f.Position = moov.GetProperty("offset").GetInt64();
            f.ReadExactly(header);
        }
        Assert.Equal("moov"u8.ToArray(), header[4..]);
        Assert.Equal(moov.GetProperty("size").GetInt64(), System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(header));
        Assert.Equal(kind is "mp4-faststart" or "mp4-fragmented" or "mp4-fragmented-sidx", moov.GetProperty("beforeMedia").GetBoolean());
    }

    [Theory, MemberData(nameof(Movies))]
    public void Info_PrintsBrandMoovTracksAndCost(string kind)
    {
        string rec = Recordings.Path(kind);
        (int code, string output, string err) = CliProcess.Movdata("info", rec);
        Assert.True(code == 0, err);
        Assert.Contains(kind.StartsWith("mov", StringComparison.Ordinal) ? ": mov, brand qt" : ": mp4, brand isom", output, StringComparison.Ordinal);
        Assert.Contains("  moov       ", output, StringComparison.Ordinal);
        Assert.Contains("  track 1    video  h", output, StringComparison.Ordinal);
        Assert.Contains("  keyframes  6 on track 1, one every 2 s on average", output, StringComparison.Ordinal);
        Assert.Contains(kind == "mp4-fragmented" ? "a cut here removes whole fragments" : "a cut here writes a new moov", output, StringComparison.Ordinal);
    }

    /// <summary>ffmpeg's frag_keyframe without empty_moov: the first fragment's samples in moov's
    /// tables, the rest in moofs. info counts both, as ffprobe reads the packets (its nb_frames
    /// counts moov's alone), finds every keyframe, and says a cut takes the file; and that it
    /// does not with a sidx or edit lists (which ffmpeg itself reads wrongly with frag_keyframe:
    /// one keyframe, and with -use_editlist 1 packets from the wrong offsets).</summary>
    [Theory]
    [InlineData("mp4-fragmented-split-sidx")]
    [InlineData("mp4-fragmented-split-edit-list")]
    public void Info_FirstFragmentInMoov_WithASidxOrEditLists_SaysACutDoesNotTakeIt(string kind)
    {
        string rec = Recordings.Path(kind);
        (int code, string output, string err) = CliProcess.Movdata("info", rec, "--json");
        Assert.True(code == 0, err);
        using JsonDocument doc = JsonDocument.Parse(output);
        Assert.False(doc.RootElement.GetProperty("canCut").GetBoolean());
        (_, string text, _) = CliProcess.Movdata("info", rec);
        Assert.Contains("a cut here is not supported: its first samples are indexed in moov", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Info_FirstFragmentInMoov_CountsItsSamplesWithTheFragments()
    {
        string rec = Recordings.Path("mp4-fragmented-split");
        (int code, string output, string err) = CliProcess.Movdata("info", rec, "--json");
        Assert.True(code == 0, err);
        using JsonDocument doc = JsonDocument.Parse(output);
        JsonElement info = doc.RootElement;
        Assert.True(info.GetProperty("canCut").GetBoolean());
        Assert.True(info.GetProperty("fragmented").GetBoolean());
        Assert.Equal(6, info.GetProperty("keyframes").GetInt32());
        Assert.Equal(Ffmpeg.Keyframes(rec), info.GetProperty("keyframes").GetInt32());
        JsonElement[] tracks = [.. info.GetProperty("tracks").EnumerateArray()];
        Assert.Equal(2, tracks.Length);
        for (int i = 0; i < tracks.Length; i++)
        {
            string packets = Tools.Capture("ffprobe", "-v", "error", "-count_packets", "-select_streams", $"{i}", "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", rec).Out.Trim();
            Assert.Equal(long.Parse(packets, System.Globalization.CultureInfo.InvariantCulture), tracks[i].GetProperty("samples").GetInt64());
        }
        (_, string text, _) = CliProcess.Movdata("info", rec);
        Assert.Contains("movie fragments (moof) after a first one that moov indexes", text, StringComparison.Ordinal);
    }

    /// <summary>Time 0 is the first video frame ffprobe shows (after the edit list): every
    /// keyframe is found at its ffprobe time less the video's start time, and the end is the
    /// video's duration.</summary>
    [Theory, MemberData(nameof(Movies))]
    public void Timeline_KeyframesAreWhereFfprobeShowsThem(string kind)
    {
        string rec = Recordings.Path(kind);
        JsonElement video = Probe.Streams(rec).First(s => s.GetProperty("codec_type").GetString() == "video");
        double start = Probe.Number(video, "start_time");
        double[] expected = [.. Tools.Capture("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time,flags", "-of", "csv=p=0", rec).Out
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Contains(",K", StringComparison.Ordinal))
            .Select(l => double.Parse(l.Split(',')[0], CultureInfo.InvariantCulture) - start).Order()];

        using var file = File.OpenHandle(rec);
        (_, IMediaTimeline timeline) = MediaFormats.Open(file, TestContext.Current.CancellationToken);
        var found = new List<double>();
        var at = new MediaTime(0, timeline.Timescale);
        while (timeline.FirstKeyframeAtOrAfter(at, default) is { } k)
        {
            found.Add(k.Time.Seconds);
            at = k.Time with { Ticks = k.Time.Ticks + 1 };
        }
        Assert.Equal(expected.Length, found.Count);
        Assert.All(expected.Zip(found), p => Assert.Equal(p.First, p.Second, 0.0005));
        Assert.Equal(0, found[0], 0.0005);
        Assert.Equal(Probe.Number(video, "duration"), timeline.EndTime.Seconds, 0.001);
    }

    /// <summary>Opening reads the head, box headers and the index: its cost is the tables',
    /// not the file's (counted by the kernel for this thread, /proc/thread-self/io).</summary>
    [Theory, MemberData(nameof(Movies))]
    public void Open_ReadsTheIndexNotTheMedia(string kind)
    {
        string rec = Recordings.Path(kind);
        using var file = File.OpenHandle(rec);
        long before = ReadByThisThread();
        (_, IMediaTimeline timeline) = MediaFormats.Open(file, TestContext.Current.CancellationToken);
        long read = ReadByThisThread() - before;

        RecordingInfo info = timeline.WithDetails(new RecordingInfo(timeline.Format, timeline.Size, 0, 0, 0, RangeMethod.Native));
        IsoBmffDetails iso = info.IsoBmff!;
        long index = iso.MoovSize + 16L * (iso.MediaDataBoxes + 2 * iso.Fragments + 4) + 4096 * iso.Fragments;
        long allowed = MediaFormats.HeadBytes + index + 4096;
        Assert.True(read <= allowed, $"{kind}: read {read} bytes to open a {timeline.Size}-byte file whose index is about {index}");
        Assert.True(timeline.Size > 4 * allowed, $"{kind}: the file ({timeline.Size} bytes) is too small for this test to mean anything");
    }

    private static long ReadByThisThread() =>
        long.Parse(File.ReadAllLines("/proc/thread-self/io").First(l => l.StartsWith("rchar:", StringComparison.Ordinal))[6..].Trim(), CultureInfo.InvariantCulture);
}

/// <summary>ffprobe's view of a file's streams.</summary>
internal static class Probe
{
    internal static JsonElement[] Streams(string path)
    {
        (int code, string output, string err) = Tools.Capture("ffprobe", "-v", "error", "-count_packets", "-show_streams", "-of", "json", path);
        Assert.True(code == 0, $"ffprobe {path}: {err}");
        return [.. JsonDocument.Parse(output).RootElement.GetProperty("streams").EnumerateArray().Select(s => s.Clone())];
    }

    /// <summary>A stream's frames: nb_frames from the index where ffprobe gives it (a PCM
    /// track's packets hold many samples), else the packets it read (a fragmented file).</summary>
    internal static long Frames(JsonElement stream) =>
        stream.TryGetProperty("nb_frames", out JsonElement n) && long.TryParse(n.GetString(), CultureInfo.InvariantCulture, out long frames)
            ? frames
            : long.Parse(stream.GetProperty("nb_read_packets").GetString()!, CultureInfo.InvariantCulture);

    internal static double Number(JsonElement stream, string name) => double.Parse(stream.GetProperty(name).GetString()!, CultureInfo.InvariantCulture);
}
