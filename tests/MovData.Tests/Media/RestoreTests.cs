using System.Security.Cryptography;
using System.Text.Json;
using MovData.Media;
using MovData.Tests.Cli;
using MovData.Tests.Harness;

namespace MovData.Tests.Media;

/// <summary>
/// Undo: a cut with --save-removed, then `restore`, on every scratch filesystem, gives back
/// the recording byte for byte (SHA-256 equal) and removes the saved file; where blocks move
/// between files (XFS, btrfs) the parts come back as the blocks they went out as, not copies;
/// the saved file plays (ffmpeg decodes it silently, ffprobe sees no extra stream); a dry run
/// changes nothing; and a stale EDL beside the recording is rewritten as what is left of
/// it and written back by the restore.
/// </summary>
public sealed class RestoreTests
{
    /// <summary>A transport stream and an MP4 (moov at the end), each 12 s or more with keyframes every 2 s, and a name for each.</summary>
    public static TheoryData<string, string> TransportStreamAndMp4() => new() { { "h264-aac", "show.ts" }, { "mp4-h264-aac", "show.mp4" } };

    private const long PerCut = 256 * 1024;

    /// <summary>The cuts undone: a recording kind and the ranges removed.</summary>
    private static readonly Dictionary<string, (string Kind, TimeRange[] Ranges)> Cuts = new()
    {
        ["two breaks"] = ("h264-aac", [new(4.5, 9), new(11.5, 15.5)]),
        ["m2ts, two breaks"] = ("m2ts", [new(4.5, 9), new(11.5, 15.5)]),
        ["head and tail"] = ("h264-aac", [new(0, 5), new(17.5, 100)]),
        ["open GOPs (leading pictures nulled)"] = ("h264-open-gop", [new(4.5, 9), new(11.5, 15.5)]),
    };

    public static TheoryData<string, string> Matrix() => Scratch.EveryFileSystemWith(Cuts.Keys);

    [Theory, MemberData(nameof(Matrix))]
    public void Restore_AfterACut_PutsTheRecordingBackByteForByteAndMovesBlocksBack(string fs, string name)
    {
        using ScratchDir dir = Scratch.On(fs);
        (string kind, TimeRange[] ranges) = Cuts[name];
        string rec = Recordings.CopyTo(kind, dir);
        string saved = dir.File("ads" + Path.GetExtension(rec));
        string original = Sha256(rec);
        long size = new FileInfo(rec).Length;

        CutResult cut = MediaFile.Cut(rec, ranges, new CutOptions { SaveRemovedTo = saved }, cancel: TestContext.Current.CancellationToken);

        Assert.NotEqual(original, Sha256(rec));
        AssertPlays(saved, Recordings.Path(kind));
        HashSet<long> savedBlocks = dir.Kind.Fiemap ? [.. Files.PhysicalBlocks(saved, 0, new FileInfo(saved).Length / Files.Block * Files.Block).Where(b => b >= 0)] : [];

        RestoreResult r = MediaFile.Restore(rec, saved, cancel: TestContext.Current.CancellationToken);

        Assert.Equal(original, Sha256(rec));
        Assert.Equal(size, new FileInfo(rec).Length);
        Assert.False(File.Exists(saved), "the saved file was not removed");
        Assert.False(Directory.Exists(dir.File(".movdata-journal")), "the journal record was not removed");
        Assert.False(r.DryRun);
        Assert.Equal(size, r.SizeAfter);
        Assert.Equal(cut.Removed.Select(x => (x.From, x.To)), r.Restored.Select(x => (x.From, x.To)));
        Assert.True(r.BytesWritten <= cut.Removed.Count * PerCut, $"{r.BytesWritten} bytes written for {cut.Removed.Count} cuts");
        Assert.Equal(dir.Kind.ShiftMethod, r.Method);
        if (dir.Kind.ZeroCopy)
        {
            // Only the partial blocks at each part's edges were copied.
            Assert.True(r.BytesCopied <= cut.Removed.Count * 2 * Files.Block, $"{r.BytesCopied} bytes copied");
            Assert.NotEqual(StepMethod.CopyPunch, r.PartsMethod);
        }
        else
        {
            // Undone as cheaply as it was made: where the tail is copied (tmpfs) it is copied
            // once for all the ranges, as the cut copied it, not once per range (review round
            // 9: three ranges of a 387 MB file, 733 MB copied by the cut, 3.46 GB by the restore).
            // So: the tail from the first range on twice (saved aside and put back), the parts
            // once (back from the saved file), and the partial blocks at their edges.
            long tail = r.SizeBefore - cut.Removed[0].Offset, parts = cut.Removed.Sum(x => x.Length);
            Assert.True(r.BytesCopied <= 2 * tail + parts + cut.Removed.Count * 2 * Files.Block, $"the restore copied {r.BytesCopied} bytes: the tail is {tail}, the parts {parts}");
        }
        if (dir.Kind.Fiemap && dir.Kind.ZeroCopy)
        {
            // Every whole block of the removed ranges is a block the saved file held, but
            // those the restore wrote the original bytes into (btrfs writes a block anew).
            long[] back = [.. cut.Removed.SelectMany(x =>
            {
                long from = (x.Offset + Files.Block - 1) / Files.Block * Files.Block, to = (x.Offset + x.Length) / Files.Block * Files.Block;
                return Files.PhysicalBlocks(rec, from, to - from);
            })];
            int moved = back.Count(savedBlocks.Contains);
            Assert.True(back.Length - moved <= r.BytesWritten / Files.Block + 2 * cut.Removed.Count,
                $"{back.Length - moved} of the {back.Length} blocks that came back are new ({r.BytesWritten} bytes written)");
            Assert.True(moved >= back.Length / 2, $"only {moved} of {back.Length} blocks came back from the saved file");
        }
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Restore_TwoCuts_UndoneLastFirst_TheOtherOrderRefused(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = Recordings.CopyTo("h264-aac", dir);
        string first = dir.File("first.ts"), second = dir.File("second.ts");
        string original = Sha256(rec);
        MediaFile.Cut(rec, [new(4.5, 9)], new CutOptions { SaveRemovedTo = first }, cancel: TestContext.Current.CancellationToken);
        string afterFirst = Sha256(rec);
        MediaFile.Cut(rec, [new(1.5, 3), new(11.5, 14)], new CutOptions { SaveRemovedTo = second }, cancel: TestContext.Current.CancellationToken);
        Snapshot recBefore = Files.Take(rec), firstBefore = Files.Take(first);

        (int code, string json, string err) = CliProcess.Movdata("restore", rec, first, "--json");

        Assert.True(code == 2, $"exit {code}: {err}");
        Assert.Contains("was changed since the cut", err);
        Assert.Contains("the last cut first", err);
        Assert.Equal(2, JsonDocument.Parse(json).RootElement.GetProperty("error").GetProperty("exit").GetInt32());
        Assert.Equal(recBefore, Files.Take(rec));
        Assert.Equal(firstBefore, Files.Take(first));

        MediaFile.Restore(rec, second, cancel: TestContext.Current.CancellationToken);
        Assert.Equal(afterFirst, Sha256(rec));
        MediaFile.Restore(rec, first, cancel: TestContext.Current.CancellationToken);
        Assert.Equal(original, Sha256(rec));
        Assert.False(File.Exists(first) || File.Exists(second));
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Restore_DryRun_ChangesNothingAndSaysWhatItWouldDo(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = Recordings.CopyTo("h264-aac", dir);
        string saved = dir.File("ads.ts");
        long size = new FileInfo(rec).Length;
        MediaFile.Cut(rec, [new(4.5, 9), new(11.5, 15.5)], new CutOptions { SaveRemovedTo = saved }, cancel: TestContext.Current.CancellationToken);
        Snapshot recBefore = Files.Take(rec), savedBefore = Files.Take(saved);
        DateTime recTime = File.GetLastWriteTimeUtc(rec), savedTime = File.GetLastWriteTimeUtc(saved);
        long[]? recBlocks = dir.Kind.Fiemap ? Files.PhysicalBlocks(rec, 0, recBefore.Size / Files.Block * Files.Block) : null;
        long[]? savedBlocks = dir.Kind.Fiemap ? Files.PhysicalBlocks(saved, 0, savedBefore.Size / Files.Block * Files.Block) : null;

        (int code, string json, string err) = CliProcess.Movdata("restore", rec, saved, "--dry-run", "--json");

        Assert.True(code == 0, err);
        JsonElement r = JsonDocument.Parse(json).RootElement;
        Assert.True(r.GetProperty("dryRun").GetBoolean());
        Assert.Equal(recBefore.Size, r.GetProperty("sizeBefore").GetInt64());
        Assert.Equal(size, r.GetProperty("sizeAfter").GetInt64());
        Assert.Equal(2, r.GetProperty("restored").GetArrayLength());
        Assert.Equal(dir.Kind.ShiftMethod.ToContractName(), r.GetProperty("method").GetString());
        Assert.Equal(recBefore, Files.Take(rec));
        Assert.Equal(savedBefore, Files.Take(saved));
        // Not even the mtime: the capability check of a dry run touches no file of the edit.
        Assert.Equal(recTime, File.GetLastWriteTimeUtc(rec));
        Assert.Equal(savedTime, File.GetLastWriteTimeUtc(saved));
        if (recBlocks is not null)
        {
            Assert.Equal(recBlocks, Files.PhysicalBlocks(rec, 0, recBlocks.Length * (long)Files.Block));
            Assert.Equal(savedBlocks, Files.PhysicalBlocks(saved, 0, savedBlocks!.Length * (long)Files.Block));
        }
        Assert.False(Directory.Exists(dir.File(".movdata-journal")));

        (code, string text, err) = CliProcess.Movdata("restore", rec, saved, "--dry-run");
        Assert.True(code == 0, err);
        Assert.Contains("dry run: nothing changed", text);
        Assert.Contains("would put back", text);
    }

    /// <summary>A dry run of a restore finishes no interrupted edit, as a cut's does not: a
    /// restore killed after its first step leaves a record naming both files, and the dry
    /// run then refuses, exit 1, saying to recover first, both files as the crash left them.</summary>
    [Fact]
    public void Restore_DryRun_WithAnInterruptedEditInTheJournal_RefusesAndChangesNothing()
    {
        using ScratchDir dir = Scratch.On("xfs");
        string rec = Recordings.CopyTo("h264-aac", dir);
        string saved = dir.File("ads.ts");
        MediaFile.Cut(rec, [new(4.5, 9)], new CutOptions { SaveRemovedTo = saved }, cancel: TestContext.Current.CancellationToken);
        (int crashed, _, _) = CliProcess.MovdataWith(new Dictionary<string, string> { ["MOVDATA_TEST_CRASH"] = "kill:ran:0" }, "restore", rec, saved);
        Assert.NotEqual(0, crashed);
        Assert.True(Directory.Exists(dir.File(".movdata-journal")), "the crash left no journal record");
        Snapshot recBefore = Files.Take(rec), savedBefore = Files.Take(saved);

        (int code, string output, string err) = CliProcess.Movdata("restore", rec, saved, "--dry-run");

        Assert.True(code == 1, $"exit {code}: {err}{output}");
        Assert.Contains("a dry run changes nothing, so it cannot finish it first: run `movdata recover", err, StringComparison.Ordinal);
        Assert.Equal(recBefore, Files.Take(rec));
        Assert.Equal(savedBefore, Files.Take(saved));
        Assert.True(Directory.Exists(dir.File(".movdata-journal")));
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Cut_FromThePlayersEdl_LeavesWhatTheCutKeptOfIt_RestoreWritesTheEdlBack(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = Recordings.CopyTo("h264-aac", dir, "show.ts");
        string edl = dir.File("show.edl"), saved = dir.File("show-removed.ts");
        string comskip = "4.50\t9.00\t3\n12.00\t15.50\t3\n";
        File.WriteAllText(edl, comskip);
        string original = Sha256(rec);

        (int code, string json, string err) = CliProcess.Movdata("cut", rec, "--edl", edl, "--save-removed", saved, "--json");

        Assert.True(code == 0, err);
        JsonElement cut = JsonDocument.Parse(json).RootElement;
        Assert.Equal(edl, cut.GetProperty("edlReplaced").GetString());
        // Snapped: 4.5-9 removes 6-8, 12-15.5 removes 12-14; the joins in the cut recording
        // are at 6 and 12 - 2 = 10 s. What the cut kept of each break stays one (a player skips
        // it): 4.5-6 and 8-9 s, now 4.5-7 s; 14-15.5 s, now 10-11.5 s.
        Assert.Equal(2, cut.GetProperty("removed").GetArrayLength());
        string left = File.ReadAllText(edl);
        Assert.Equal("4.50\t7.00\t3\n10.00\t11.50\t3\n", left);
        Assert.Equal([new TimeRange(4.5, 7), new TimeRange(10, 11.5)], EditDecisionList.Parse(left));

        (code, json, err) = CliProcess.Movdata("restore", rec, saved, "--json");

        Assert.True(code == 0, err);
        Assert.Equal(edl, JsonDocument.Parse(json).RootElement.GetProperty("edlRestoredTo").GetString());
        Assert.Equal(comskip, File.ReadAllText(edl));
        Assert.Equal(original, Sha256(rec));
        Assert.False(File.Exists(saved));
    }

    /// <summary>
    /// The saved file on another filesystem than the recording (XFS and ext4): the cut and
    /// the restore work across them (the parts copied, as no block can move between two
    /// filesystems), and neither leaves a journal directory behind in either place (review
    /// round 7: an empty .movdata-journal stayed beside the saved file).
    /// </summary>
    [Theory, MemberData(nameof(TransportStreamAndMp4))]
    public void CutAndRestore_SavedOnAnotherFileSystem_LeaveNoJournalBehind(string kind, string name)
    {
        using ScratchDir dir = Scratch.On("xfs");
        using ScratchDir other = Scratch.On("ext4");
        string rec = Recordings.CopyTo(kind, dir, name);
        string saved = other.File("ads" + Path.GetExtension(name));
        string original = Sha256(rec);

        (int code, _, string err) = CliProcess.Movdata("cut", rec, "--remove", "2-6", "--save-removed", saved);

        Assert.True(code == 0, err);
        Assert.True(File.Exists(saved));
        Assert.False(Directory.Exists(dir.File(".movdata-journal")), "the cut left the recording's journal directory");
        Assert.False(Directory.Exists(other.File(".movdata-journal")), "the cut left a journal directory beside the saved file");

        (code, _, err) = CliProcess.Movdata("restore", rec, saved);

        Assert.True(code == 0, err);
        Assert.Equal(original, Sha256(rec));
        Assert.False(File.Exists(saved));
        Assert.False(Directory.Exists(dir.File(".movdata-journal")), "the restore left the recording's journal directory");
        Assert.False(Directory.Exists(other.File(".movdata-journal")), "the restore left a journal directory beside the saved file");
    }

    /// <summary>
    /// A cut killed before it made its saved file (review round 7): `info` says an edit of the
    /// file is in its journal and to recover it, rather than describing a file that is neither
    /// as before nor as after ("no moov box: an unfinished recording"); `restore`, finding no
    /// saved file, finishes that cut first (which makes it), then undoes it, byte for byte.
    /// (It said "Could not find file" before 2026-12-05.)
    /// </summary>
    [Theory, MemberData(nameof(TransportStreamAndMp4))]
    public void Restore_AfterACutKilledBeforeItMadeTheSavedFile_FinishesTheCutThenUndoesIt(string kind, string name)
    {
        using ScratchDir dir = Scratch.On("xfs");
        string rec = Recordings.CopyTo(kind, dir, name);
        string saved = dir.File("ads" + Path.GetExtension(name));
        string original = Sha256(rec);
        (int killed, _, _) = CliProcess.MovdataWith(new Dictionary<string, string> { ["MOVDATA_TEST_CRASH"] = "kill:ran:0" }, "cut", rec, "--remove", "2-6", "--save-removed", saved);
        Assert.NotEqual(0, killed);
        Assert.False(File.Exists(saved), "the kill came after the saved file was made: this test would prove nothing");

        (int infoCode, string infoOut, string infoErr) = CliProcess.Movdata("info", rec);

        Assert.True(infoCode == 1, $"exit {infoCode}: {infoErr}{infoOut}");
        Assert.Matches(@"^movdata: an interrupted edit of this file is in its journal \(\S+\.edit\); `movdata info` changes nothing, so it cannot finish it first: run `movdata recover \S+`, then try again\n$", infoErr);

        // A name no interrupted edit makes is not found, and the cut is not finished for it
        // (review round 8: a mistyped name finished the cut without a word).
        (int wrongCode, _, string wrongErr) = CliProcess.Movdata("restore", rec, dir.File("wrong" + Path.GetExtension(name)));
        Assert.True(wrongCode == 1, wrongErr);
        Assert.Contains($"{dir.File("wrong" + Path.GetExtension(name))}: No such file or directory", wrongErr, StringComparison.Ordinal);
        Assert.False(File.Exists(saved));
        Assert.True(Directory.Exists(dir.File(".movdata-journal")), "the cut was finished for a name it does not make");

        (int code, string output, string err) = CliProcess.Movdata("restore", rec, saved);

        Assert.True(code == 0, $"exit {code}: {err}{output}");
        Assert.Contains($"finished an interrupted cut (recording {rec}, output {saved}) first", err, StringComparison.Ordinal);
        Assert.Equal(original, Sha256(rec));
        Assert.False(File.Exists(saved));
        Assert.False(Directory.Exists(dir.File(".movdata-journal")));
    }

    /// <summary>--zero-copy-only with the saved file on another filesystem: the refusal of the
    /// cut, and of its restore, says that is why (review rounds 9 and 10: it blamed the
    /// recording's filesystem, "on xfs", and block sizes); nothing changed, no saved file.</summary>
    [Fact]
    public void Cut_ZeroCopyOnly_SavedOnAnotherFileSystem_SaysThatIsWhy()
    {
        using ScratchDir dir = Scratch.On("xfs");
        using ScratchDir other = Scratch.On("ext4");
        string rec = Recordings.CopyTo("mp4-h264-aac", dir, "show.mp4");
        string saved = other.File("ads.mp4");
        string original = Sha256(rec);

        (int code, _, string err) = CliProcess.Movdata("cut", rec, "--remove", "2-6", "--save-removed", saved, "--zero-copy-only");

        Assert.True(code == 3, $"exit {code}: {err}");
        Assert.Contains($"the cut cannot be done without copying: the removed parts go to {saved}, on another filesystem (ext4), and blocks do not move between filesystems; --zero-copy-only forbids that; nothing was changed", err, StringComparison.Ordinal);
        Assert.Equal(original, Sha256(rec));
        Assert.False(File.Exists(saved));

        // And the restore of such a cut, made without the option.
        (int cut, _, string cutErr) = CliProcess.Movdata("cut", rec, "--remove", "2-6", "--save-removed", saved);
        Assert.True(cut == 0, cutErr);
        (int undo, _, string undoErr) = CliProcess.Movdata("restore", rec, saved, "--zero-copy-only");
        Assert.True(undo == 3, $"exit {undo}: {undoErr}");
        Assert.Contains($"the restore cannot be done without copying: the removed parts come back from {saved}, on another filesystem (ext4), and blocks do not move between filesystems", undoErr, StringComparison.Ordinal);
    }

    /// <summary>`info` of a file of removed parts says what it is and how it is undone, not
    /// what a cut of it costs (review round 9: it said a cut here "is native", and the cut was
    /// then refused); its JSON says <c>savedParts</c>, false for the recording.</summary>
    [Theory, MemberData(nameof(TransportStreamAndMp4))]
    public void Info_OfTheSavedFile_SaysItHoldsRemovedParts(string kind, string name)
    {
        using ScratchDir dir = Scratch.On("xfs");
        string rec = Recordings.CopyTo(kind, dir, name);
        string saved = dir.File("ads" + Path.GetExtension(name));
        MediaFile.Cut(rec, [new(2, 6)], new CutOptions { SaveRemovedTo = saved }, cancel: TestContext.Current.CancellationToken);

        (int code, string text, string err) = CliProcess.Movdata("info", saved);
        (int savedJsonCode, string savedJson, _) = CliProcess.Movdata("info", saved, "--json");
        (int recJsonCode, string recJson, _) = CliProcess.Movdata("info", rec, "--json");

        Assert.True(code == 0, err);
        Assert.Contains($"saved parts  what a cut removed, with what undoes it: movdata restore RECORDING {saved}; a cut of this file is refused", text, StringComparison.Ordinal);
        Assert.DoesNotContain("a cut here", text, StringComparison.Ordinal);
        Assert.Equal((0, 0), (savedJsonCode, recJsonCode));
        Assert.True(JsonDocument.Parse(savedJson).RootElement.GetProperty("savedParts").GetBoolean());
        Assert.False(JsonDocument.Parse(recJson).RootElement.GetProperty("savedParts").GetBoolean());
    }

    /// <summary>
    /// A cut whose ranges did not come from the player's EDL (--remove, on an MP4 too) rewrites
    /// it all the same: left as it was, a player would skip programme and play the advert
    /// after the cut (review round 7: after --remove 0-6 the EDL still read 12.1 16.3 0).
    /// The restore writes it back.
    /// </summary>
    [Theory, MemberData(nameof(TransportStreamAndMp4))]
    public void Cut_ByRemove_RewritesThePlayersEdlAllTheSame_RestoreWritesItBack(string kind, string name)
    {
        using ScratchDir dir = Scratch.On("xfs");
        string rec = Recordings.CopyTo(kind, dir, name);
        string edl = dir.File("show.edl"), saved = dir.File("show-removed" + Path.GetExtension(name));
        string comskip = "8.1\t10.3\t0\n";
        File.WriteAllText(edl, comskip);
        string original = Sha256(rec);

        (int code, string json, string err) = CliProcess.Movdata("cut", rec, "--remove", "0-6", "--save-removed", saved, "--json");

        Assert.True(code == 0, err);
        JsonElement cut = JsonDocument.Parse(json).RootElement;
        Assert.Equal(edl, cut.GetProperty("edlReplaced").GetString());
        Assert.Equal(6, cut.GetProperty("removed")[0].GetProperty("to").GetDouble());
        // The head's 6 s went: the break is now at 2.1-4.3 s; a head cut leaves no join.
        Assert.Equal("2.10\t4.30\t0\n", File.ReadAllText(edl));

        (code, _, err) = CliProcess.Movdata("restore", rec, saved);

        Assert.True(code == 0, err);
        Assert.Equal(comskip, File.ReadAllText(edl));
        Assert.Equal(original, Sha256(rec));
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Cut_FromThePlayersEdl_WithoutSaving_LeavesWhatTheCutKept_AndAnEdlNamedOtherwiseAlone(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = Recordings.CopyTo("h264-aac", dir, "show.ts");
        string edl = dir.File("show.edl");
        // A break, a mute, and scene markers, one in the time the break's cut removes (6-8 s).
        File.WriteAllText(edl, "4.5 9 3\n10 11 1\n7 7 2\n16 16 2\n");

        CutResult r = MediaFile.Cut(rec, EditDecisionList.Parse(File.ReadAllText(edl)), cancel: TestContext.Current.CancellationToken);

        Assert.Single(r.Removed);
        Assert.Equal("4.50\t7.00\t3\n8.00\t9.00\t1\n14.00\t14.00\t2\n", File.ReadAllText(edl));
        // A break the cut took whole leaves a scene marker at its join.
        File.WriteAllText(edl, "6 8 3\n");
        string again = Recordings.CopyTo("h264-aac", dir, "again.ts");
        File.Move(edl, dir.File("again.edl"));
        MediaFile.Cut(again, [new(6, 8)], cancel: TestContext.Current.CancellationToken);
        Assert.Equal("6.00\t6.00\t2\n", File.ReadAllText(dir.File("again.edl")));

        string other = Recordings.CopyTo("h264-aac", dir, "other.ts");
        string elsewhere = dir.File("ranges.edl");
        File.WriteAllText(elsewhere, "4.5 9 3\n");
        MediaFile.Cut(other, EditDecisionList.Parse(File.ReadAllText(elsewhere)), cancel: TestContext.Current.CancellationToken);
        Assert.Equal("4.5 9 3\n", File.ReadAllText(elsewhere));
    }

    /// <summary>The saved file plays as a recording of its own: ffmpeg decodes it with nothing
    /// on standard error, and ffprobe sees the original's streams and no other (the manifest
    /// packets are on a PID no PMT lists).</summary>
    internal static void AssertPlays(string saved, string original)
    {
        (int code, string output) = Tools.Run("ffmpeg", "-v", "error", "-i", saved, "-f", "null", "-");
        Assert.True(code == 0, output);
        if (!original.Contains("open-gop", StringComparison.Ordinal))
        {
            // (An open GOP's first I picture names references its part lacks: ffmpeg reports
            // them, as CutTests shows for the cut recording.)
            Assert.Equal("", output.Trim());
        }
        Assert.Equal(Streams(original), Streams(saved));
    }

    private static string Streams(string path)
    {
        (int code, string output, string err) = Tools.Capture("ffprobe", "-v", "error", "-show_entries", "stream=index,codec_type,id", "-of", "csv=p=0", path);
        Assert.True(code == 0, err);
        return output.Trim();
    }

    internal static string Sha256(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
}
