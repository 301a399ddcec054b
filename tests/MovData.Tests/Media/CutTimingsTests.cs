using MovData.Media;
using MovData.Tests.CApi;
using MovData.Tests.Harness;

namespace MovData.Tests.Media;

/// <summary>
/// What a cut reports of its own cost (<c>movdata cut --timings</c>) is what it did: its calls,
/// replayed by the benchmark's floor program (bench/media-floor.c) on a copy of the same
/// recording, leave that copy byte for byte as the cut left the recording; it makes no more
/// syncs than docs/journal.md says; and it counts the reads it planned with.
/// </summary>
public sealed class CutTimingsTests
{
    public static TheoryData<string> Shifting() => new(Scratch.Names.Where(fs => Scratch.Kinds[fs].ShiftMethod != RangeMethod.Copy));

    [Theory, MemberData(nameof(Shifting))]
    public void Cut_CallsItReports_ReplayedByTheFloor_LeaveTheSameBytes(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = Recordings.CopyTo("h264-aac", dir);
        string copy = dir.File("floor.ts");
        File.Copy(rec, copy);
        long size = new FileInfo(rec).Length;

        CutResult r = MediaFile.Cut(rec, [new(2.5, 7), new(8.5, 13), new(14.5, 19)], cancel: TestContext.Current.CancellationToken);

        CutTimings t = Assert.IsType<CutTimings>(r.Timings);
        CutPhase plan = Assert.Single(t.Phases, p => p.Name == "plan");
        Assert.InRange(plan.BytesRead, 1, size - 1);
        Assert.True(plan.Reads > 0);
        Assert.Equal(["open", "probe", "plan", "journal"], t.Phases.Take(4).Select(p => p.Name));
        // The promise needs two syncs of the recording on XFS and ext4 (the collapses before
        // the writes, the writes before the record goes) and no sync or record line between
        // collapses; on btrfs the saves and the cut ride on the restore's sync.
        int fsyncs = t.Calls.Count(c => c.Call == "fsync");
        if (Scratch.Kinds[fs].ShiftMethod == RangeMethod.Native)
        {
            Assert.Equal(3, t.Calls.Count(c => c.Call == "collapse"));
            Assert.Equal(2, fsyncs);
            Assert.DoesNotContain(t.Calls, c => c.Call is "done" or "record");
            Assert.Equal("record-xattr", t.Calls[0].Call);
        }
        else
        {
            Assert.Equal(3, t.Calls.Count(c => c.Call == "save"));
            Assert.Equal(1, t.Calls.Count(c => c.Call == "done"));
            Assert.True(fsyncs <= 3, $"{fsyncs} fsyncs");
        }

        // What the floor writes is what the cut wrote: null packets and, at each join, the
        // continuity marks (adaptation field only, 183 bytes long, discontinuity_indicator:
        // B7 80), which it would get wrong if it wrote null packets for every write.
        Assert.Contains(t.Calls, c => c.Call == "write" && c.Bytes is { } b && b.Contains("B780.FF*182", StringComparison.Ordinal));
        Assert.All(t.Calls.Where(c => c.Call == "write"), c => Assert.NotNull(c.Bytes));
        string calls = dir.File("calls");
        File.WriteAllLines(calls, t.Calls.Select(Line));
        string floor = Path.Combine(dir.Path, "media-floor");
        Tools.MustRun("gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-o", floor, Path.Combine(NativeLibrary.RepoRoot, "bench", "media-floor.c"));
        (int code, string output) = Tools.Run("bash", "-c", $"'{floor}' '{copy}' '{dir.File(".floor-journal")}' < '{calls}'");
        Assert.True(code == 0, output);
        Assert.Equal(File.ReadAllBytes(rec), File.ReadAllBytes(copy));
    }

    /// <summary>An MP4's planning reads go through the same count: at least its whole moov
    /// (read in one piece), and not the media data.</summary>
    [Fact]
    public void Cut_OfAnMp4_CountsTheMoovItRead()
    {
        using ScratchDir dir = Scratch.On(Scratch.Names.First(fs => Scratch.Kinds[fs].ShiftMethod == RangeMethod.Native));
        string rec = Recordings.CopyTo("mp4-h264-aac", dir);
        long size = new FileInfo(rec).Length;
        long moov = MediaFile.Inspect(rec).IsoBmff!.MoovSize;

        CutResult r = MediaFile.Cut(rec, [new(2.5, 7)], cancel: TestContext.Current.CancellationToken);

        CutPhase plan = Assert.Single(r.Timings!.Phases, p => p.Name == "plan");
        Assert.InRange(plan.BytesRead, moov, size / 2);
        Assert.True(plan.Reads >= 2, $"{plan.Reads} reads: the head and moov at least");
    }

    /// <summary>A call as bench/media-floor.py writes it for the floor.</summary>
    private static string Line(CutCall c) => c.Call switch
    {
        "record" or "record-xattr" or "truncate" or "done" => $"{c.Call} {c.Length}",
        "collapse" or "insert" => $"{c.Call} {c.Offset} {c.Length}",
        "write" => $"write {c.Offset} {c.Length} {c.Bytes}",
        "save" or "restore" => $"{c.Call} {c.Offset} {c.Length} {c.Target}",
        "fsync" => $"fsync {c.File}",
        "unlink" => c.File == "journal" ? "unlink" : "unlink-sidecar",
        _ => throw new InvalidOperationException($"a call the floor does not replay: {c}"),
    };
}
