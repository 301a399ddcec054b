using MovData.Tests.Cli;
using MovData.Tests.Harness;

namespace MovData.Tests.Media;

/// <summary>
/// The command run again after a cut was killed part-way (review round 9). The next edit of a
/// file finishes its interrupted one first; a cut must then not apply ranges that were given
/// in the recording's times before that edit, or a re-run cuts the same breaks again, out of
/// the programme, with nothing saved. A DVR's hook (ranges from the player's EDL) finishes
/// its own cut and cuts no more, exit 0; ranges on the command line are refused, exit 1; a
/// restore that the finished cut makes impossible says that it finished it. Every journal the
/// finished cut used goes with it, the saved file's directory's too.
/// </summary>
public sealed class RerunAfterKillTests
{
    private static Dictionary<string, string> KillAfter(int step) => new() { ["MOVDATA_TEST_CRASH"] = $"kill:ran:{step}" };

    /// <summary>The kill's step (after the first, or a later one), on both formats.</summary>
    public static TheoryData<string, string, int> Kinds() => new()
    {
        { "h264-aac", "show.ts", 0 },
        { "h264-aac", "show.ts", 1 },
        { "mp4-h264-aac", "show.mp4", 0 },
        { "mp4-h264-aac", "show.mp4", 1 },
    };

    [Theory, MemberData(nameof(Kinds))]
    public void EdlAuto_RunAgainAfterAKilledCut_FinishesItAndCutsNothingMore(string kind, string name, int step)
    {
        using ScratchDir dir = Scratch.On("xfs");
        string rec = Recordings.CopyTo(kind, dir, name);
        string edl = Path.ChangeExtension(rec, ".edl");
        File.WriteAllText(edl, "4.0\t8.0\t3\n"); // on keyframes: the cut leaves no part of the break
        string original = RestoreTests.Sha256(rec), originalEdl = File.ReadAllText(edl);
        string once = CutOnce(kind, name, dir, ["--remove", "4-8"]);
        string[] hook = ["cut", rec, "--edl", "auto", "--save-removed", "auto"];
        (int killed, _, _) = CliProcess.MovdataWith(KillAfter(step), hook);
        Assert.NotEqual(0, killed);
        Assert.True(Directory.Exists(dir.File(".movdata-journal")), "the kill left no journal record: this test would prove nothing");

        (int code, string output, string err) = CliProcess.Movdata(hook);

        Assert.True(code == 0, $"exit {code}: {err}{output}");
        Assert.Contains($"finished an interrupted cut (recording {rec}", err, StringComparison.Ordinal);
        Assert.Contains($"nothing more to cut: an interrupted cut of it, stopped part-way, was finished first, and the EDL {edl} now says what that cut left", output, StringComparison.Ordinal);
        Assert.Contains("nothing else changed", output, StringComparison.Ordinal);
        Assert.Equal(once, RestoreTests.Sha256(rec)); // cut once, not twice
        Assert.False(Directory.Exists(dir.File(".movdata-journal")));
        string saved = dir.File($".show.removed{Path.GetExtension(name)}");
        Assert.True(File.Exists(saved), "the finished cut made no saved file under the name auto gave it");
        Assert.False(File.Exists(dir.File($".show.removed-2{Path.GetExtension(name)}")), "the re-run took a second name");

        (int undone, string undoOut, string undoErr) = CliProcess.Movdata("restore", rec, saved);

        Assert.True(undone == 0, $"exit {undone}: {undoErr}{undoOut}");
        Assert.Equal(original, RestoreTests.Sha256(rec));
        Assert.Equal(originalEdl, File.ReadAllText(edl));
    }

    [Theory, MemberData(nameof(Kinds))]
    public void Remove_RunAgainAfterAKilledCut_IsRefusedAndTheRecordingIsCutOnce(string kind, string name, int step)
    {
        using ScratchDir dir = Scratch.On("xfs");
        string rec = Recordings.CopyTo(kind, dir, name);
        string once = CutOnce(kind, name, dir, ["--remove", "4.5-9"]);
        (int killed, _, _) = CliProcess.MovdataWith(KillAfter(step), "cut", rec, "--remove", "4.5-9");
        Assert.NotEqual(0, killed);
        Assert.True(Directory.Exists(dir.File(".movdata-journal")), "the kill left no journal record: this test would prove nothing");

        (int code, string output, string err) = CliProcess.Movdata("cut", rec, "--remove", "4.5-9", "--json");

        Assert.True(code == 1, $"exit {code}: {err}{output}");
        Assert.Contains($"an interrupted cut (recording {rec}) was finished first, which changed the recording; this cut was not made, since its ranges were given for the recording as it was", err, StringComparison.Ordinal);
        System.Text.Json.JsonElement error = System.Text.Json.JsonDocument.Parse(output).RootElement.GetProperty("error");
        Assert.Equal("EAGAIN", error.GetProperty("errno").GetString());
        Assert.Equal("finished", error.GetProperty("recovered")[0].GetProperty("outcome").GetString());
        Assert.Equal(once, RestoreTests.Sha256(rec));
        Assert.False(Directory.Exists(dir.File(".movdata-journal")));
    }

    [Theory, MemberData(nameof(RestoreTests.TransportStreamAndMp4), MemberType = typeof(RestoreTests))]
    public void Restore_OfTheFirstCut_AfterTheSecondWasKilled_SaysItFinishedTheSecond(string kind, string name)
    {
        using ScratchDir dir = Scratch.On("xfs");
        string rec = Recordings.CopyTo(kind, dir, name);
        string ext = Path.GetExtension(name), first = dir.File("first" + ext), second = dir.File("second" + ext);
        string original = RestoreTests.Sha256(rec);
        (int cut, _, string cutErr) = CliProcess.Movdata("cut", rec, "--remove", "2-4", "--save-removed", first);
        Assert.True(cut == 0, cutErr);
        string afterFirst = RestoreTests.Sha256(rec);
        (int killed, _, _) = CliProcess.MovdataWith(KillAfter(2), "cut", rec, "--remove", "6-8", "--save-removed", second);
        Assert.NotEqual(0, killed);
        // Killed after it changed the recording (before, it had only built its output aside:
        // recovery throws that away, and the restore rightly goes ahead).
        Assert.NotEqual(afterFirst, RestoreTests.Sha256(rec));

        (int code, string output, string err) = CliProcess.Movdata("restore", rec, first);

        Assert.True(code == 2, $"exit {code}: {err}{output}");
        Assert.Contains($"an interrupted cut (recording {rec}, output {second}) was finished first; then: ", err, StringComparison.Ordinal);
        Assert.Contains("undo the later cuts first", err, StringComparison.Ordinal);
        Assert.Contains("nothing else was changed", err, StringComparison.Ordinal);
        Assert.True(File.Exists(second), "the second cut was not finished");
        foreach (string saved in new[] { second, first })
        {
            (int undone, string undoOut, string undoErr) = CliProcess.Movdata("restore", rec, saved);
            Assert.True(undone == 0, $"restore {saved}: exit {undone}: {undoErr}{undoOut}");
        }
        Assert.Equal(original, RestoreTests.Sha256(rec));
    }

    /// <summary>A cut saving into another directory names its record in both journals; a
    /// recovery from the recording's side removes both names (review round 10: the one beside
    /// the saved file stayed, and every restore of that cut then failed, exit 1, "fsync of
    /// …/.movdata-journal: ENOENT"), and the restore gives the original back.</summary>
    [Theory, MemberData(nameof(RestoreTests.TransportStreamAndMp4), MemberType = typeof(RestoreTests))]
    public void Recover_OfACutSavingIntoAnotherDirectory_LeavesNoRecordThere(string kind, string name)
    {
        using ScratchDir dir = Scratch.On("xfs");
        string recDir = dir.File("rec"), savedDir = dir.File("saved");
        Directory.CreateDirectory(recDir);
        Directory.CreateDirectory(savedDir);
        string rec = Path.Combine(recDir, name), saved = Path.Combine(savedDir, "ads" + Path.GetExtension(name));
        File.Copy(Recordings.Path(kind), rec);
        string original = RestoreTests.Sha256(rec);
        (int killed, _, _) = CliProcess.MovdataWith(KillAfter(2), "cut", rec, "--remove", "2-6", "--save-removed", saved);
        Assert.NotEqual(0, killed);
        Assert.True(Directory.Exists(Path.Combine(savedDir, ".movdata-journal")), "the kill left no record beside the saved file: this test would prove nothing");

        (int code, string output, string err) = CliProcess.Movdata("recover", recDir);

        Assert.True(code == 0, $"exit {code}: {err}{output}");
        Assert.False(Directory.Exists(Path.Combine(recDir, ".movdata-journal")));
        Assert.False(Directory.Exists(Path.Combine(savedDir, ".movdata-journal")), "the record's name beside the saved file was left");
        (int undone, string undoOut, string undoErr) = CliProcess.Movdata("restore", rec, saved);
        Assert.True(undone == 0, $"exit {undone}: {undoErr}{undoOut}");
        Assert.Equal(original, RestoreTests.Sha256(rec));
    }

    /// <summary>The SHA-256 of the recording cut once, uninterrupted, with <paramref name="ranges"/> (a copy, in a directory of its own).</summary>
    private static string CutOnce(string kind, string name, ScratchDir dir, string[] ranges)
    {
        string other = dir.File("once");
        Directory.CreateDirectory(other);
        string copy = Path.Combine(other, name);
        File.Copy(Recordings.Path(kind), copy);
        (int code, _, string err) = CliProcess.Movdata(["cut", copy, .. ranges]);
        Assert.True(code == 0, err);
        string sha = RestoreTests.Sha256(copy);
        Directory.Delete(other, recursive: true);
        return sha;
    }
}
