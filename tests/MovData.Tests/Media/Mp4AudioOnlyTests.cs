using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using MovData.Tests.Cli;
using MovData.Tests.Harness;

namespace MovData.Tests.Media;

/// <summary>
/// MP4 and MOV without video (an .m4a, a voice memo, a podcast) are cut on their audio
/// frames, as radio is in a transport stream, on every scratch filesystem: `info` names the
/// track it cuts on (no video track); ffmpeg decodes what is left and what was removed with
/// no error; every audio packet outside the removed ranges is there with its data intact, in
/// order, and none inside; the saved file holds the removed ones; and `restore` gives the
/// file back byte for byte. (Until 2026-12-05 such files were refused: "no video track".)
/// </summary>
public sealed class Mp4AudioOnlyTests
{
    /// <summary>Noise (no two frames alike, so each packet's hash is its own) in AAC with moov
    /// at the end; Opus with moov at the front; AAC in a MOV; AAC in one-second fragments.</summary>
    private static readonly Dictionary<string, string> Made = new()
    {
        ["aac.m4a"] = "-c:a aac",
        ["opus-faststart.mp4"] = "-c:a libopus -movflags +faststart",
        ["aac.mov"] = "-c:a aac",
        ["aac-fragmented.m4a"] = "-c:a aac -movflags +frag_keyframe+empty_moov -frag_duration 1000000",
    };

    private static readonly ConcurrentDictionary<string, Lazy<string>> Movies = new();

    private static string Movie(string name) => Movies.GetOrAdd(name, n => new Lazy<string>(() =>
    {
        Recordings.RequireFfmpeg();
        string path = Path.Combine(Path.GetTempPath(), $"movdata-audio-only-{Environment.ProcessId}-{n}");
        Tools.MustRun("ffmpeg", [.. "-v error -y -f lavfi -i anoisesrc=duration=20:color=pink:seed=7:amplitude=0.3 -ar 48000".Split(' '), .. Made[n].Split(' '), path]);
        return path;
    })).Value;

    public static TheoryData<string, string> Matrix() => Scratch.EveryFileSystemWith(Made.Keys);

    [Theory, MemberData(nameof(Matrix))]
    public void Cut_OnTheAudioFrames_KeepsEveryOtherFrame_AndRestores(string fs, string name)
    {
        using ScratchDir dir = Scratch.On(fs);
        string original = Movie(name);
        string rec = dir.File(name), saved = dir.File("removed" + Path.GetExtension(name));
        File.Copy(original, rec);
        string sha = RestoreTests.Sha256(rec);
        List<(double Pts, string Hash)> before = Packets(original);
        double start = Start(original), durationBefore = Duration(original);

        (int infoCode, string infoJson, string infoErr) = CliProcess.Movdata("info", rec, "--json");
        Assert.True(infoCode == 0, infoErr);
        JsonElement info = JsonDocument.Parse(infoJson).RootElement;
        Assert.Equal(JsonValueKind.Null, info.GetProperty("videoTrack").ValueKind);
        int track = info.GetProperty("cutTrack").GetInt32();
        JsonElement audio = info.GetProperty("tracks").EnumerateArray().Single(t => t.GetProperty("id").GetInt32() == track);
        Assert.Equal("audio", audio.GetProperty("kind").GetString());
        Assert.Equal(audio.GetProperty("samples").GetInt64(), info.GetProperty("keyframes").GetInt64());
        (int textCode, string text, _) = CliProcess.Movdata("info", rec);
        Assert.Equal(0, textCode);
        Assert.Contains($"  no video   cut on the {info.GetProperty("keyframes").GetInt64()} audio frames of track {track} ({audio.GetProperty("codec").GetString()})", text, StringComparison.Ordinal);

        (int code, string json, string err) = CliProcess.Movdata("cut", rec, "--remove", "0-1.5", "--remove", "4.3-6.2", "--remove", "12-100", "--save-removed", saved, "--json");

        Assert.True(code == 0, err);
        JsonElement r = JsonDocument.Parse(json).RootElement;
        (double From, double To)[] cuts = [.. r.GetProperty("removed").EnumerateArray().Select(x => (x.GetProperty("from").GetDouble(), x.GetProperty("to").GetDouble()))];
        Assert.Equal(3, cuts.Length);
        // Each lies inside the range asked, within a frame of it (a fragment, in a fragmented file).
        double slack = name.Contains("fragmented", StringComparison.Ordinal) ? 1.05 : 0.03;
        (double From, double To)[] asked = [(0, 1.5), (4.3, 6.2), (12, durationBefore)];
        Assert.All(cuts.Zip(asked), c => Assert.True(c.First.From >= c.Second.From - 0.001 && c.First.From - c.Second.From <= slack
            && c.First.To <= c.Second.To + 0.001 && c.Second.To - c.First.To <= slack, $"{c.First} for {c.Second}"));
        Assert.Equal("", FfmpegStreams.DecodeErrors(rec, copyts: false));
        Assert.Equal("", FfmpegStreams.DecodeErrors(rec, copyts: true));
        // Every packet shown outside the removed times is there, its data unchanged, in order;
        // none inside. A head cut takes the frames before time 0 too (AAC's and Opus's
        // priming, which the edit list hides), as it does the audio of a video file.
        bool Removed(double pts) => cuts.Any(c => (c.From == 0 || pts - start >= c.From - 0.0005) && pts - start < c.To - 0.0005);
        Assert.Equal(before.Where(p => !Removed(p.Pts)).Select(p => p.Hash), Packets(rec).Select(p => p.Hash));
        double removedTime = cuts.Sum(c => c.To - c.From);
        Assert.Equal(durationBefore - removedTime, Duration(rec), 0.03);
        Assert.Equal(durationBefore - removedTime, r.GetProperty("durationAfter").GetDouble(), 0.03);
        // What was removed plays, packet for packet.
        Assert.Equal("", FfmpegStreams.DecodeErrors(saved, copyts: false));
        Assert.Equal(before.Where(p => Removed(p.Pts)).Select(p => p.Hash), Packets(saved).Select(p => p.Hash));

        (int restoreCode, _, string restoreErr) = CliProcess.Movdata("restore", rec, saved);

        Assert.True(restoreCode == 0, restoreErr);
        Assert.Equal(sha, RestoreTests.Sha256(rec));
        Assert.False(File.Exists(saved));
    }

    /// <summary>The audio packets in decode order: presentation time and a hash of their data.</summary>
    private static List<(double Pts, string Hash)> Packets(string path)
    {
        (int code, string output, string err) = Tools.Capture("ffprobe", "-v", "error", "-select_streams", "a:0", "-show_data_hash", "sha256",
            "-show_entries", "packet=pts_time,data_hash", "-of", "json", path);
        Assert.True(code == 0, err);
        using JsonDocument doc = JsonDocument.Parse(output);
        return [.. doc.RootElement.GetProperty("packets").EnumerateArray().Select(p => (
            double.Parse(p.GetProperty("pts_time").GetString()!, CultureInfo.InvariantCulture), p.GetProperty("data_hash").GetString()!))];
    }

    /// <summary>The audio stream's start time: time 0 of the cut.</summary>
    private static double Start(string path) => Probe.Number(Probe.Streams(path)[0], "start_time");

    private static double Duration(string path) => Probe.Number(Probe.Streams(path)[0], "duration");
}
