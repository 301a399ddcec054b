using System.Globalization;
using System.Text;
using MovData.Media;
using MovData.Tests.Cli;
using MovData.Tests.Harness;

namespace MovData.Tests.Media;

/// <summary>
/// End to end with the real comskip (Debian package comskip): a recording ffmpeg makes of
/// programme and advertising blocks, each cut off by twelve black, silent frames (comskip's
/// cue); `movdata cut --edl auto
/// --save-removed auto` runs comskip, which writes REC.edl, and cuts what it found; ffmpeg
/// decodes the result with no error, and it is shorter by about the adverts' time.
/// </summary>
public sealed class ComskipTests
{
    /// <summary>Seconds of each block, in order: programme, three adverts, programme, two
    /// adverts, programme; 75 s of adverts in 7 minutes. comskip's defaults call any block
    /// between black frames shorter than max_commercial_size (120 s) an advert when no logo
    /// tells them apart (its logo search found none in this picture), so each programme block
    /// is longer than that.</summary>
    private static readonly (string Kind, double Seconds)[] Blocks =
        [("show", 122), ("ad", 15), ("ad", 15), ("ad", 15), ("show", 122), ("ad", 15), ("ad", 15), ("show", 122)];

    private const double Black = 0.48; // 12 frames at 25 fps

    private static readonly Lazy<string> Made = new(Make, LazyThreadSafetyMode.ExecutionAndPublication);

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Comskip_FindsTheAdverts_AndTheCutRemovesThem(string fs)
    {
        RequireComskip();
        using ScratchDir dir = Scratch.On(fs);
        string rec = dir.File("Late Movie.ts");
        File.Copy(Made.Value, rec);
        double before = Ffprobe.Duration(rec);
        double adverts = Blocks.Where(b => b.Kind == "ad").Sum(b => b.Seconds);

        (int code, string output, string err) = CliProcess.Movdata("cut", rec, "--edl", "auto", "--save-removed", "auto");

        Assert.True(code == 0, $"exit {code}: {err}{output}");
        string saved = RemovedParts.PathFor(rec, 1);
        Assert.True(File.Exists(saved), output);
        // comskip's EDL went into the saved file's manifest; beside the cut recording, one line
        // at each of the two joins.
        string edl = dir.File("Late Movie.edl");
        Assert.True(File.Exists(edl), "no EDL beside the recording after the cut");
        string[] markers = [.. File.ReadAllLines(edl).Where(l => l.Trim().Length > 0 && !l.StartsWith('#'))];
        // At each join a scene marker, or what the cut kept of that break (snapped to keyframes,
        // a second apart here) as a break of at most two seconds, which a player skips.
        Assert.True(markers.Length == 2 && markers.Select(l => l.Split('\t', ' ')).All(f => f[2] == "2" || (f[2] is "0" or "3" && double.Parse(f[1], CultureInfo.InvariantCulture) - double.Parse(f[0], CultureInfo.InvariantCulture) <= 2)),
            $"the EDL left beside the cut recording:\n{string.Join('\n', markers)}");
        Assert.Equal("", Tools.Run("ffmpeg", "-v", "error", "-i", rec, "-f", "null", "-").Output.Trim());
        double after = Ffprobe.Duration(rec);
        // comskip's breaks take in the black frames around them, and the cut snaps them to
        // keyframes (one a second): within 4 s of the adverts' time all told.
        Assert.True(Math.Abs(before - after - adverts) <= 4, $"{before:0.00} s -> {after:0.00} s: {before - after:0.00} s removed, the adverts are {adverts} s\n{output}");
        Assert.Equal("", Ffmpeg.DecodeErrors(saved));

        // The undo the cut printed: the recording byte for byte as it was, comskip's EDL back
        // (the two breaks it found), the saved file gone.
        Assert.Contains($"undo: movdata restore {CutReportQuoted(rec)} {CutReportQuoted(saved)}", output, StringComparison.Ordinal);
        (code, output, err) = CliProcess.Movdata("restore", rec, saved);

        Assert.True(code == 0, $"exit {code}: {err}{output}");
        Assert.Equal(Files.Take(Made.Value).Sha256, Files.Take(rec).Sha256);
        Assert.False(File.Exists(saved), "the saved file is still there");
        string[] breaks = [.. File.ReadAllLines(edl).Where(l => l.Trim().Length > 0 && !l.StartsWith('#'))];
        Assert.True(breaks.Length == 2 && breaks.All(l => l.Split('\t', ' ').Last() != "2"), $"comskip's EDL did not come back:\n{string.Join('\n', breaks)}");
    }

    /// <summary>A path as the cut's undo line prints it: in single quotes when it has a space.</summary>
    private static string CutReportQuoted(string path) => path.Contains(' ', StringComparison.Ordinal) ? $"'{path}'" : path;

    /// <summary>--comskip-ini is the ini comskip runs with: one that asks for no EDL gets
    /// none (comskip still writes its .txt), and the cut says why, exit 2, changing nothing.</summary>
    [Fact]
    public void ComskipIni_IsPassedOn()
    {
        RequireComskip();
        using ScratchDir dir = Scratch.On("xfs");
        string rec = dir.File("Late Movie.ts");
        File.Copy(Made.Value, rec);
        string ini = dir.File("mine.ini");
        File.WriteAllText(ini, "output_edl=0\noutput_default=1\n");
        Snapshot before = Files.Take(rec);

        (int code, string output, string err) = CliProcess.Movdata("cut", rec, "--edl", "auto", "--comskip-ini", ini);

        Assert.True(code == 2, $"exit {code}: {err}{output}");
        Assert.Contains($"comskip ran but wrote no {dir.File("Late Movie.edl")}; its ini must say output_edl=1 ({ini} does not)", err, StringComparison.Ordinal);
        Assert.True(File.Exists(dir.File("Late Movie.txt")), "comskip did not run with the ini");
        Assert.Equal(before, Files.Take(rec));
    }

    /// <summary>A dry run with --edl auto runs comskip in a directory of its own: it plans the
    /// breaks comskip finds, and nothing appears beside the recording.</summary>
    [Fact]
    public void DryRun_RunsComskipAside_AndLeavesNothingBeside()
    {
        RequireComskip();
        using ScratchDir dir = Scratch.On("xfs");
        string rec = dir.File("Late Movie.ts");
        File.Copy(Made.Value, rec);
        Snapshot before = Files.Take(rec);

        (int code, string json, string err) = CliProcess.Movdata("cut", rec, "--edl", "auto", "--save-removed", "auto", "--dry-run", "--json");

        Assert.True(code == 0, err);
        System.Text.Json.JsonElement r = System.Text.Json.JsonDocument.Parse(json).RootElement;
        Assert.True(r.GetProperty("dryRun").GetBoolean());
        Assert.Equal(2, r.GetProperty("removed").GetArrayLength());
        Assert.Equal([rec], Directory.GetFileSystemEntries(dir.Path));
        Assert.Equal(before, Files.Take(rec));
    }

    private static void RequireComskip()
    {
        Recordings.RequireFfmpeg();
        if (Tools.Run("sh", "-c", "command -v comskip").Code != 0)
        {
            string why = "comskip is needed to detect the adverts: apt-get install comskip (eng/deps.sh does)";
            if (Scratch.Required)
            {
                Assert.Fail(why);
            }
            Assert.Skip(why);
        }
    }

    /// <summary>The recording, made once: each block a lavfi source with its own picture and
    /// tone (the programme with a white box in its corner, which comskip's logo search does not
    /// take for a logo), black silent frames between
    /// blocks, H.264 with a keyframe every second and AAC audio, in MPEG-TS, 352x288 (37 MB).</summary>
    private static string Make()
    {
        string path = Path.Combine(Path.GetTempPath(), $"movdata-comskip-{Environment.ProcessId}.ts");
        var graph = new StringBuilder();
        var labels = new StringBuilder();
        int n = 0;
        string[] adPictures = ["smptebars", "rgbtestsrc", "mandelbrot", "cellauto", "life", "yuvtestsrc"];
        int ads = 0;
        for (int i = 0; i < Blocks.Length; i++)
        {
            (string kind, double seconds) = Blocks[i];
            string picture = kind == "show"
                ? $"testsrc2=s=352x288:r=25:d={Num(seconds)},drawbox=x=296:y=16:w=40:h=28:color=white:t=fill"
                : $"{adPictures[ads % adPictures.Length]}=s=352x288:r=25,trim=duration={Num(seconds)},setpts=PTS-STARTPTS,format=yuv420p";
            string tone = $"sine=f={(kind == "show" ? 440 : 600 + (100 * ads))}:r=48000:d={Num(seconds)}";
            if (kind == "ad")
            {
                ads++;
            }
            Add(picture, tone);
            if (i + 1 < Blocks.Length)
            {
                Add($"color=c=black:s=352x288:r=25:d={Num(Black)},format=yuv420p", $"anullsrc=r=48000:cl=mono,atrim=duration={Num(Black)}");
            }
        }
        graph.Append(labels).Append(CultureInfo.InvariantCulture, $"concat=n={n}:v=1:a=1[v][a]");
        Tools.MustRun("ffmpeg", "-v", "error", "-y", "-filter_complex", graph.ToString(), "-map", "[v]", "-map", "[a]",
            "-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-qp", "30", "-c:a", "aac", "-b:a", "128k", "-f", "mpegts", path);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(path);
        return path;

        void Add(string picture, string tone)
        {
            graph.Append(CultureInfo.InvariantCulture, $"{picture},setsar=1[v{n}];{tone},aformat=channel_layouts=mono[a{n}];");
            labels.Append(CultureInfo.InvariantCulture, $"[v{n}][a{n}]");
            n++;
        }
    }

    private static string Num(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
