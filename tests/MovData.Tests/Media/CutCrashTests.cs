using MovData.Tests.Cli;
using MovData.Tests.Edits;
using MovData.Tests.Harness;

namespace MovData.Tests.Media;

/// <summary>
/// A cut is one journaled edit: killed (SIGKILL) at every step boundary, or with XFS and ext4
/// shut down mid-step without flushing their logs, `movdata recover` leaves the recording
/// (and the file of removed parts) byte for byte as the uninterrupted cut leaves them. What
/// "after" is, is what the same cut does uninterrupted on the same filesystem; that result is
/// judged by ffmpeg in <see cref="CutTests"/>.
/// </summary>
public sealed class CutCrashTests
{
    /// <summary>Two breaks, one of them moved into ads; a --keep (head and tail); an open
    /// GOP's join bridged, its removed part saved; and three breaks as a DVR cuts them (a run of collapses, the record riding on XFS's and ext4's log;
    /// on btrfs, saves and the cut synced only with the restore).</summary>
    private static readonly Dictionary<string, string[]> Cuts = new()
    {
        ["cut, three breaks"] = ["cut", "{rec}", "--remove", "2.5-7", "--remove", "8.5-13", "--remove", "14.5-19"],
        ["cut, removed parts saved"] = ["cut", "{rec}", "--remove", "4.5-9", "--remove", "11.5-15.5", "--save-removed", "{ads}"],
        ["cut --keep (head and tail)"] = ["cut", "{rec}", "--keep", "5-17"],
        // An open GOP's join with the removed part saved: its padding holds continuity marks
        // and a bridge picture (docs/media.md, steps 7 and 8), all in the record's patch lines.
        ["cut of an open GOP, bridged, removed part saved"] = ["cut", "{rec}", "--remove", "17.5-42.5", "--save-removed", "{ads}"],
        ["mp4 cut, moov at the end"] = ["cut", "{rec}", "--remove", "0-2", "--remove", "4.3-8.2", "--remove", "9-100"],
        ["mp4 cut, moov at the front"] = ["cut", "{rec}", "--remove", "2-4", "--remove", "6-8"],
        ["mp4 cut, removed parts saved (moov at the end)"] = ["cut", "{rec}", "--remove", "2-4", "--remove", "6-8", "--save-removed", "{ads}"],
        ["mov cut, removed parts saved (head and tail)"] = ["cut", "{rec}", "--remove", "0-2", "--remove", "9-100", "--save-removed", "{ads}"],
        // Every later fragment's tfhd and tfdt patched, the mfra cut off and written again.
        ["fragmented mp4 cut, removed parts saved"] = ["cut", "{rec}", "--remove", "2-4.5", "--remove", "6-8.5", "--save-removed", "{ads}"],
        // x264's open GOPs in fragments: a resumed fragment's moof rewritten without its
        // leading pictures and moved into the join's free box, a write over removed bytes.
        ["fragmented mp4 cut, leading pictures left out"] = ["cut", "{rec}", "--remove", "2-4", "--remove", "6-10", "--save-removed", "{ads}"],
        // The first fragment indexed in moov: a head cut writes moov again with its tables emptied.
        ["fragmented mp4 cut, first fragment in moov"] = ["cut", "{rec}", "--remove", "0-2", "--remove", "6-8.5", "--save-removed", "{ads}"],
    };

    /// <summary>The recording a cut is made on, where it is not the MPEG-TS one.</summary>
    private static readonly Dictionary<string, string> Kinds = new()
    {
        ["cut of an open GOP, bridged, removed part saved"] = "h264-open-gop-broadcast",
        ["mp4 cut, moov at the end"] = "mp4-h264-aac",
        ["mp4 cut, moov at the front"] = "mp4-faststart",
        ["mp4 cut, removed parts saved (moov at the end)"] = "mp4-h264-aac",
        ["mov cut, removed parts saved (head and tail)"] = "mov-hevc-timecode",
        ["fragmented mp4 cut, removed parts saved"] = "mp4-fragmented",
        ["fragmented mp4 cut, leading pictures left out"] = Recordings.OpenGopFragmentedMovie,
        ["fragmented mp4 cut, first fragment in moov"] = "mp4-fragmented-split",
    };

    public static TheoryData<string, string> KillCases() => Scratch.EveryFileSystemWith(Cuts.Keys);

    [Theory, MemberData(nameof(KillCases))]
    public void Cut_KilledAtEveryStep_RecoversToAfter(string fs, string name)
    {
        using ScratchDir dir = Scratch.On(fs);
        CrashScenario s = Scenario(dir.Path, name);
        int kills = s.CrashAtEveryStep(dir.Path, "kill", ["done", "ran"]);
        TestContext.Current.TestOutputHelper?.WriteLine($"{name} on {fs}: killed and recovered at {kills} points");
        Assert.True(kills >= 6, $"{name} on {fs}: only {kills} kill points");
    }

    public static TheoryData<string, string> ShutdownCases() => new()
    {
        { "xfs", "cut, removed parts saved" },
        { "ext4", "cut, removed parts saved" },
        { "xfs", "mp4 cut, moov at the end" },
        { "xfs", "cut, three breaks" },
        { "ext4", "cut, three breaks" },
    };

    [Theory, MemberData(nameof(ShutdownCases))]
    public void Cut_FileSystemShutDownMidStep_RecoversAfterRemount(string fs, string name)
    {
        using var image = new LoopFileSystem(fs);
        CrashScenario s = Scenario(image.Mount, name);
        int crashes = s.CrashAtEveryStep(image.Mount, "shutdown", ["ran"], afterCrash: image.RemountAfterShutdown);
        TestContext.Current.TestOutputHelper?.WriteLine($"{name} on {fs}: shut down, remounted and recovered at {crashes} points");
        Assert.True(crashes >= 3, $"{name} on {fs}: {crashes} crash points");
    }

    /// <summary>The files before (an ffmpeg recording) and after (as the cut, run once
    /// uninterrupted in <paramref name="dir"/>, leaves them).</summary>
    private static CrashScenario Scenario(string dir, string name)
    {
        byte[] before = File.ReadAllBytes(Recordings.Path(Kinds.GetValueOrDefault(name, "h264-aac")));
        string rec = Path.Combine(dir, "rec"), ads = Path.Combine(dir, "ads");
        File.WriteAllBytes(rec, before);
        string[] args = [.. Cuts[name].Select(a => a.Replace("{rec}", rec, StringComparison.Ordinal).Replace("{ads}", ads, StringComparison.Ordinal))];
        (int code, _, string err) = CliProcess.Movdata(args);
        Assert.True(code == 0, err);
        byte[] after = File.ReadAllBytes(rec);
        Assert.NotEqual(before.Length, after.Length);
        Dictionary<string, byte[]?> afterFiles = new() { ["rec"] = after, ["ads"] = File.Exists(ads) ? File.ReadAllBytes(ads) : null };
        return new CrashScenario(name, new() { ["rec"] = before }, afterFiles, Cuts[name]);
    }
}
