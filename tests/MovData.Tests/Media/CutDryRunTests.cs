using System.Text.Json;
using MovData.Media;
using MovData.Tests.Cli;
using MovData.Tests.Harness;

namespace MovData.Tests.Media;

/// <summary>
/// `movdata cut --dry-run`, on every scratch filesystem, of a transport stream (with
/// --save-removed auto) and of an MP4: the recording's SHA-256, size, mtime and extent map
/// are unchanged and no file appears beside it, and the JSON it prints is the one the real
/// cut prints afterwards (ranges, what collapses and what is written, bytes written and
/// copied, method, durations, where the removed parts go), with "dryRun": true.
/// </summary>
public sealed class CutDryRunTests
{
    public static TheoryData<string, string> Matrix() => Scratch.EveryFileSystemWith(["h264-aac", "mp4-h264-aac"]);

    [Theory, MemberData(nameof(Matrix))]
    public void DryRun_ChangesNothing_AndPrintsWhatTheCutThenDoes(string fs, string kind)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = Recordings.CopyTo(kind, dir);
        bool ts = kind == "h264-aac";
        // The head, two middles and the tail of the 24 s transport stream; the head, a middle
        // and the tail of the 12 s MP4 (keyframes every 2 s in both).
        string[] args = ts
            ? ["cut", rec, "--remove", "0-3", "--remove", "4.5-9", "--remove", "11.5-15.5", "--remove", "17.5-100", "--save-removed", "auto", "--json"]
            : ["cut", rec, "--remove", "0-3", "--remove", "4.5-9", "--remove", "9.9-100", "--json"];
        State before = State.Of(rec, dir.Kind.Fiemap);
        string[] files = [.. Directory.GetFileSystemEntries(dir.Path).Order(StringComparer.Ordinal)];

        (int code, string json, string err) = CliProcess.Movdata([.. args, "--dry-run"]);

        Assert.True(code == 0, err);
        Assert.Equal(before, State.Of(rec, dir.Kind.Fiemap));
        Assert.Equal(files, Directory.GetFileSystemEntries(dir.Path).Order(StringComparer.Ordinal));
        JsonElement dry = JsonDocument.Parse(json).RootElement;
        Assert.True(dry.GetProperty("dryRun").GetBoolean());

        (int realCode, string realJson, string realErr) = CliProcess.Movdata(args);

        Assert.True(realCode == 0, realErr);
        JsonElement real = JsonDocument.Parse(realJson).RootElement;
        Assert.False(real.TryGetProperty("dryRun", out _));
        Assert.NotEqual(before.Sha256, State.Of(rec, dir.Kind.Fiemap).Sha256);
        foreach (string member in (string[])["format", "durationBefore", "durationAfter", "removed", "unchanged", "collapsed", "written", "bytesWritten", "bytesCopied", "method"])
        {
            Assert.True(real.GetProperty(member).GetRawText() == dry.GetProperty(member).GetRawText(), $"{member}: dry run {dry.GetProperty(member)}, cut {real.GetProperty(member)}");
        }
        Assert.Equal(ts ? 4 : 3, real.GetProperty("removed").GetArrayLength());
        Assert.True(real.GetProperty("collapsed").GetArrayLength() > 0, realJson);
        if (ts)
        {
            Assert.Equal(dir.File($".{Path.GetFileNameWithoutExtension(rec)}.removed.ts"), dry.GetProperty("savedTo").GetString());
            Assert.Equal(dry.GetProperty("savedTo").GetString(), real.GetProperty("savedTo").GetString());
        }
    }

    /// <summary>The text of a dry run says what each range asked snaps to, what collapses and
    /// what is written, in the format's own words, and that nothing changed. (An MP4's dry run
    /// said "-29553 bytes of the removed ranges padded instead" and "program tables" until
    /// 2026-12-05: its collapses take the old moov, and it pads nothing.)</summary>
    [Theory]
    [InlineData("h264-aac", "0:00:24.000 -> 0:00:22.000", @"collapse \(whole blocks\): .+ \(\d+ bytes\); \d+ bytes of the removed ranges padded instead\n", "write (padding, program tables, marks, in the file after the cut): ")]
    [InlineData("mp4-h264-aac", "0:00:12.000 -> 0:00:10.000", @"collapse \(whole blocks\): .+ \(\d+ bytes\); what else the removed samples held stays in mdat, referenced by no sample\n", "write (the new moov, box sizes, marks, in the file after the cut): ")]
    public void DryRun_Text_SaysWhatWouldHappen(string kind, string durations, string collapse, string write)
    {
        using ScratchDir dir = Scratch.On("xfs");
        string rec = Recordings.CopyTo(kind, dir);
        Snapshot before = Files.Take(rec);

        (int code, string output, string err) = CliProcess.Movdata("cut", rec, "--remove", "4.5-9", "--remove", "10.5-11.5", "--dry-run");

        Assert.True(code == 0, err);
        Assert.Contains($"{durations} (dry run: nothing changed)", output, StringComparison.Ordinal);
        Assert.Contains("asked 4.5-9: snaps to 0:00:06.000-0:00:08.000", output, StringComparison.Ordinal);
        Assert.Contains("asked 10.5-11.5: no whole GOP in it, nothing removed", output, StringComparison.Ordinal);
        Assert.Contains("0:00:06.000    0:00:08.000", output, StringComparison.Ordinal);
        Assert.Matches(collapse, output);
        Assert.Contains(write, output, StringComparison.Ordinal);
        Assert.DoesNotMatch(@" -\d", output); // no negative figure
        Assert.Contains("bytes would be written, 0 bytes would be copied, tail shifted: native", output, StringComparison.Ordinal);
        Assert.Equal(before, Files.Take(rec));
    }

    /// <summary>A dry run finishes no interrupted edit (that would change the file): with one
    /// in the journal it refuses, exit 1, and says to recover first.</summary>
    [Fact]
    public void DryRun_WithAnInterruptedEditInTheJournal_RefusesAndChangesNothing()
    {
        using ScratchDir dir = Scratch.On("xfs");
        string rec = Recordings.CopyTo("h264-aac", dir);
        // A cut stopped by the crash switch after its first step: its record stays.
        (int crashed, _, _) = CliProcess.MovdataWith(new Dictionary<string, string> { ["MOVDATA_TEST_CRASH"] = "kill:ran:0" }, "cut", rec, "--remove", "4.5-9");
        Assert.NotEqual(0, crashed);
        Assert.True(Directory.Exists(dir.File(".movdata-journal")), "the crash left no journal record");
        Snapshot before = Files.Take(rec);

        (int code, string output, string err) = CliProcess.Movdata("cut", rec, "--remove", "12-15", "--dry-run");

        Assert.True(code == 1, $"exit {code}: {err}{output}");
        Assert.Contains("a dry run changes nothing, so it cannot finish it first: run `movdata recover", err, StringComparison.Ordinal);
        Assert.Equal(before, Files.Take(rec));
        Assert.True(Directory.Exists(dir.File(".movdata-journal")));
    }

    /// <summary>What "nothing changed" means here: bytes, size, mtime, and where the data is on
    /// the disk (FIEMAP, where the filesystem has it).</summary>
    private sealed record State(string Sha256, long Size, DateTime Mtime, string Extents)
    {
        internal static State Of(string path, bool fiemap)
        {
            long size = new FileInfo(path).Length;
            long whole = size / Files.Block * Files.Block;
            string extents = fiemap ? string.Join(",", Files.PhysicalBlocks(path, 0, whole)) : string.Join(";", Files.Data(path, 0, size));
            return new(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Files.ReadAll(path))), size, File.GetLastWriteTimeUtc(path), extents);
        }
    }

    /// <summary>
    /// The range a dry run prints, given back, removes the same GOPs. On 29.97 fps video the
    /// keyframes lie between milliseconds (every 100 frames: 3.336667 s, 6.673333 s), and the
    /// cut prints them rounded to the millisecond: 3.337-6.673 in --json and in the text.
    /// Until 2026-12-05 "3.337-6.673" removed nothing (no keyframe at or after 3.337 before
    /// 6.673), and the text's "0:00:03.336" (truncated) removed one GOP of the two.
    /// </summary>
    [Fact]
    public void DryRun_PrintedRange_GivenBack_RemovesTheSameGops()
    {
        using ScratchDir dir = Scratch.On("xfs");
        string rec = Made(dir, "ntsc.mp4", "testsrc2=size=320x240:rate=30000/1001:duration=12 -c:v libx264 -preset ultrafast -g 100 -keyint_min 100 -sc_threshold 0");

        JsonElement removed = RemovedByDryRun(rec, "3-7");
        Assert.Equal(3.337, removed.GetProperty("from").GetDouble());
        Assert.Equal(6.673, removed.GetProperty("to").GetDouble());
        (int textCode, string text, _) = CliProcess.Movdata("cut", rec, "--remove", "3-7", "--dry-run");
        Assert.Equal(0, textCode);
        Assert.Contains("asked 3-7: snaps to 0:00:03.337-0:00:06.673", text, StringComparison.Ordinal);

        foreach (string again in (string[])["3.337-6.673", "0:00:03.337-0:00:06.673"])
        {
            Assert.Equal(removed.GetRawText(), RemovedByDryRun(rec, again).GetRawText());
        }
    }

    /// <summary>
    /// Where every sample is a sync sample (PCM in a MOV: 44,100 a second), a keyframe lies
    /// within the half millisecond inside any range, and the slack is not used: the range
    /// given back stays where it was. (With the slack always used, each turn took half a
    /// millisecond more at both ends: review round 8.)
    /// </summary>
    [Fact]
    public void DryRun_PcmRange_GivenBack_StaysWhereItWas()
    {
        using ScratchDir dir = Scratch.On("xfs");
        string rec = Made(dir, "pcm.mov", "anoisesrc=duration=10:color=pink:seed=5:amplitude=0.3 -ar 44100 -c:a pcm_s16le");
        string asked = "2.1-3";
        for (int turn = 0; turn < 3; turn++)
        {
            JsonElement removed = RemovedByDryRun(rec, asked);
            Assert.Equal(2.1, removed.GetProperty("from").GetDouble());
            Assert.Equal(3, removed.GetProperty("to").GetDouble());
            // Samples 92,610 up to 132,300 (2.1 s and 3 s at 44.1 kHz), two bytes each (mono, 16 bits): none more.
            Assert.Equal((132_300 - 92_610) * 2, removed.GetProperty("length").GetInt64());
            asked = FormattableString.Invariant($"{removed.GetProperty("from").GetDouble()}-{removed.GetProperty("to").GetDouble()}");
        }
    }

    /// <summary>A file ffmpeg makes in <paramref name="dir"/> from a lavfi source and <paramref name="options"/>.</summary>
    private static string Made(ScratchDir dir, string name, string options)
    {
        Recordings.RequireFfmpeg();
        string path = dir.File(name);
        Tools.MustRun("ffmpeg", [.. $"-v error -f lavfi -i {options}".Split(' '), path]);
        return path;
    }

    /// <summary>The one range a dry run of <c>--remove <paramref name="range"/></c> says it removes.</summary>
    private static JsonElement RemovedByDryRun(string rec, string range)
    {
        (int code, string json, string err) = CliProcess.Movdata("cut", rec, "--remove", range, "--dry-run", "--json");
        Assert.True(code == 0, err);
        return Assert.Single(JsonDocument.Parse(json).RootElement.GetProperty("removed").EnumerateArray().ToArray()).Clone();
    }
}
