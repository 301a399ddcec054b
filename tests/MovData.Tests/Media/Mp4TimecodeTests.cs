using System.Globalization;
using MovData.Media;
using MovData.Tests.Harness;

namespace MovData.Tests.Media;

/// <summary>
/// A MOV's timecode track (ffmpeg's -timecode, as cameras write it) says the timecode of the
/// first frame kept: after a cut of the head it moves on by the frames removed (its one sample,
/// a frame number, is rewritten), after a cut in the middle it stays. ffprobe reads it from the
/// sample, as ffmpeg does; the timecode track still lasts as long as the video.
/// </summary>
public sealed class Mp4TimecodeTests
{
    public static TheoryData<string, string> Cases() => Scratch.EveryFileSystemWith(["head", "middle"]);

    [Theory, MemberData(nameof(Cases))]
    public void Cut_TheTimecodeSaysTheFirstKeptFrame(string fs, string where)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = Recordings.CopyTo("mov-hevc-timecode", dir);
        Assert.Equal("01:00:00:00", Timecode(rec, "v:0"));
        double fps = FrameRate(rec);

        CutResult r = MediaFile.Cut(rec, [where == "head" ? new(0, 4.5) : new(4.5, 8.5)], cancel: TestContext.Current.CancellationToken);

        Assert.Equal("", Tools.Run("ffmpeg", "-v", "error", "-i", rec, "-map", "0", "-f", "null", "-").Output.Trim());
        long frames = where == "head" ? (long)Math.Round(r.Removed[0].To * fps) : 0;
        Assert.True(where != "head" || frames > 0, "the head cut removed nothing");
        string expected = TimeSpan.FromSeconds(3600 + (frames / (long)fps)).ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture) + $":{frames % (long)fps:00}";
        Assert.Equal(expected, Timecode(rec, "v:0"));
        Assert.Equal(expected, Timecode(rec, "d:0"));
        Dictionary<string, double> durations = Probe.Streams(rec).ToDictionary(s => s.GetProperty("codec_type").GetString()!, s => Probe.Number(s, "duration"));
        Assert.Equal(durations["video"], durations["data"], 0.05);
    }

    private static string Timecode(string path, string stream)
    {
        (int code, string output, string err) = Tools.Capture("ffprobe", "-v", "error", "-select_streams", stream, "-show_entries", "stream_tags=timecode", "-of", "csv=p=0", path);
        Assert.True(code == 0, err);
        return output.Trim();
    }

    private static double FrameRate(string path)
    {
        (int code, string output, string err) = Tools.Capture("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=r_frame_rate", "-of", "csv=p=0", path);
        Assert.True(code == 0, err);
        string[] parts = output.Trim().Split('/');
        return double.Parse(parts[0], CultureInfo.InvariantCulture) / double.Parse(parts[1], CultureInfo.InvariantCulture);
    }
}
