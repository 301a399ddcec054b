using MovData.Media;
using MovData.Tests.Edits;
using MovData.Tests.Harness;

namespace MovData.Tests.Media;

/// <summary>
/// A restore is one journaled edit of the recording and the saved file: killed (SIGKILL) at
/// every step boundary, or with XFS and ext4 shut down mid-step without flushing their logs,
/// `movdata recover` leaves the recording byte for byte as it was before the cut and the
/// saved file gone (a restore only goes forward). "Before" is what the cut, run once on the
/// same filesystem, left: the cut recording and its saved file.
/// </summary>
public sealed class RestoreCrashTests
{
    /// <summary>The cuts undone: two breaks in the middle, and a --keep (head and tail).</summary>
    private static readonly Dictionary<string, TimeRange[]> Cuts = new()
    {
        ["restore of two breaks"] = [new(4.5, 9), new(11.5, 15.5)],
        ["restore of a head and a tail"] = [new(0, 5), new(17.5, 100)],
        ["restore of an mp4 cut (moov at the end)"] = [new(2, 4), new(6, 8)],
        ["restore of an mp4 cut (moov at the front)"] = [new(0, 2), new(6, 8), new(9, 100)],
        ["restore of a mov cut (timecode track)"] = [new(2, 4), new(9, 100)],
        ["restore of a fragmented mp4 cut (sidx and mfra)"] = [new(0, 2), new(6, 8)],
    };

    /// <summary>The recording a cut is made on, where it is not the MPEG-TS one.</summary>
    private static readonly Dictionary<string, string> Kinds = new()
    {
        ["restore of an mp4 cut (moov at the end)"] = "mp4-h264-aac",
        ["restore of an mp4 cut (moov at the front)"] = "mp4-faststart",
        ["restore of a mov cut (timecode track)"] = "mov-hevc-timecode",
        ["restore of a fragmented mp4 cut (sidx and mfra)"] = "mp4-fragmented-sidx",
    };

    public static TheoryData<string, string> KillCases() => Scratch.EveryFileSystemWith(Cuts.Keys);

    [Theory, MemberData(nameof(KillCases))]
    public void Restore_KilledAtEveryStep_RecoversToTheOriginal(string fs, string name)
    {
        using ScratchDir dir = Scratch.On(fs);
        CrashScenario s = Scenario(dir.Path, name);
        int kills = s.CrashAtEveryStep(dir.Path, "kill", ["done", "ran"]);
        TestContext.Current.TestOutputHelper?.WriteLine($"{name} on {fs}: killed and recovered at {kills} points");
        Assert.True(kills >= 6, $"{name} on {fs}: only {kills} kill points");
    }

    public static TheoryData<string, string> EdlCases() => Scratch.EveryFileSystemWith(["cut from the player's EDL", "restore of a cut from the player's EDL"]);

    /// <summary>The EDL named like the recording is rewritten in the same journaled edit as
    /// the cut (what is left of it) and as the restore (its original bytes): a crash anywhere leaves
    /// it, like the recording, as after.</summary>
    [Theory, MemberData(nameof(EdlCases))]
    public void EdlRewrite_KilledAtEveryStep_RecoversWithTheRecording(string fs, string name)
    {
        using ScratchDir dir = Scratch.On(fs);
        byte[] original = File.ReadAllBytes(Recordings.Path("h264-aac"));
        byte[] comskip = "4.50\t9.00\t3\n11.50\t15.50\t3\n"u8.ToArray();
        string rec = dir.File("rec"), edl = dir.File("rec.edl"), ads = dir.File("ads");
        File.WriteAllBytes(rec, original);
        File.WriteAllBytes(edl, comskip);
        MediaFile.Cut(rec, EditDecisionList.Parse(File.ReadAllText(edl)), new CutOptions { SaveRemovedTo = ads }, cancel: TestContext.Current.CancellationToken);
        Dictionary<string, byte[]> cut = new() { ["rec"] = File.ReadAllBytes(rec), ["ads"] = File.ReadAllBytes(ads), ["rec.edl"] = File.ReadAllBytes(edl) };
        // What the cut kept of each break (4.5-6 and 8-9 s; 11.5-12 and 14-15.5 s), in the cut's times.
        Assert.Equal("4.50\t7.00\t3\n9.50\t11.50\t3\n", System.Text.Encoding.ASCII.GetString(cut["rec.edl"]));
        CrashScenario s = name.StartsWith("cut", StringComparison.Ordinal)
            ? new(name, new() { ["rec"] = original, ["rec.edl"] = comskip }, new() { ["rec"] = cut["rec"], ["ads"] = cut["ads"], ["rec.edl"] = cut["rec.edl"] },
                ["cut", "{rec}", "--edl", "{rec.edl}", "--save-removed", "{ads}"])
            : new(name, cut, new() { ["rec"] = original, ["ads"] = null, ["rec.edl"] = comskip }, ["restore", "{rec}", "{ads}"]);
        int kills = s.CrashAtEveryStep(dir.Path, "kill", ["done", "ran"]);
        TestContext.Current.TestOutputHelper?.WriteLine($"{name} on {fs}: killed and recovered at {kills} points");
        Assert.True(kills >= 6, $"{name} on {fs}: only {kills} kill points");
    }

    public static TheoryData<string, string> ShutdownCases() => new()
    {
        { "xfs", "restore of two breaks" },
        { "ext4", "restore of two breaks" },
        { "xfs", "restore of an mp4 cut (moov at the end)" },
    };

    [Theory, MemberData(nameof(ShutdownCases))]
    public void Restore_FileSystemShutDownMidStep_RecoversAfterRemount(string fs, string name)
    {
        using var image = new LoopFileSystem(fs);
        CrashScenario s = Scenario(image.Mount, name);
        int crashes = s.CrashAtEveryStep(image.Mount, "shutdown", ["ran"], afterCrash: image.RemountAfterShutdown);
        TestContext.Current.TestOutputHelper?.WriteLine($"{name} on {fs}: shut down, remounted and recovered at {crashes} points");
        Assert.True(crashes >= 3, $"{name} on {fs}: {crashes} crash points");
    }

    /// <summary>Before: the recording as the cut left it and its saved file (the cut run once
    /// in <paramref name="dir"/>); after: the original recording, and no saved file.</summary>
    private static CrashScenario Scenario(string dir, string name)
    {
        byte[] original = File.ReadAllBytes(Recordings.Path(Kinds.GetValueOrDefault(name, "h264-aac")));
        string rec = Path.Combine(dir, "rec"), ads = Path.Combine(dir, "ads");
        File.WriteAllBytes(rec, original);
        MediaFile.Cut(rec, Cuts[name], new CutOptions { SaveRemovedTo = ads }, cancel: TestContext.Current.CancellationToken);
        Dictionary<string, byte[]> before = new() { ["rec"] = File.ReadAllBytes(rec), ["ads"] = File.ReadAllBytes(ads) };
        File.Delete(rec);
        File.Delete(ads);
        return new CrashScenario(name, before, new() { ["rec"] = original, ["ads"] = null }, ["restore", "{rec}", "{ads}"]);
    }
}
