using Microsoft.Win32.SafeHandles;
using MovData.Edits;
using MovData.Tests.Cli;
using MovData.Tests.Harness;

namespace MovData.Tests.Edits;

/// <summary>The journal itself: where records live, who may read them, what recovery does
/// with a live edit, a replaced file, and the next edit of interrupted files.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class JournalTests
{
    private const int B = Files.Block;

    private static CrashScenario Scenario(string name) => CrashScenario.All().Single(c => c.Name == name);

    private static void KillAt(string dir, CrashScenario s, string point)
    {
        s.Setup(dir);
        (int code, _, string err) = CliProcess.MovdataWith(new Dictionary<string, string> { ["MOVDATA_TEST_CRASH"] = point }, s.Command(dir));
        Assert.True(code == 137, $"expected SIGKILL, got {code}: {err}");
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Record_LivesNextToTheFile_ReadableByItsOwnerOnly(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        KillAt(dir.Path, Scenario("splice aligned"), "kill:done:0");

        string journal = Path.Combine(dir.Path, ".movdata-journal");
        string record = Assert.Single(Directory.GetFiles(journal, "*.edit"));
        // The record, and any sidecar holding a copy of the file's tail (btrfs, tmpfs).
        Assert.All(Directory.GetFiles(journal), f => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f)));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(journal));
        string text = File.ReadAllText(record);
        Assert.StartsWith("movdata-journal 2\nedit splice\n", text, StringComparison.Ordinal);
        // On btrfs step 0 saves the receiver's tail into a sidecar, recorded done with the
        // restore that follows (docs/journal.md, "Which sync guards what"); elsewhere on its own.
        Assert.Matches(fs == "btrfs" ? "\nbegin [0-9A-F]{8}\n$" : "\nbegin [0-9A-F]{8}\ndone 0\n", text);
        Assert.Equal(RecoveryOutcome.Finished, Assert.Single(FileRange.Recover(dir.Path)).Outcome);
        Scenario("splice aligned").Check(dir.Path, "after recovery");
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void NextEdit_FinishesTheInterruptedEditOfItsFilesFirst(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        CrashScenario splice = Scenario("splice MPEG-TS packets");
        KillAt(dir.Path, splice, "kill:ran:1");
        string donor = Path.Combine(dir.Path, "donor");
        byte[] after = splice.After["donor"]!;

        // A plain punch would not look; a collapse of the donor does, and finishes the splice first.
        using (SafeFileHandle h = Files.OpenRw(donor))
        {
            FileRange.Collapse(h, 0, B);
        }

        Assert.Equal(after.AsSpan(B).ToArray(), Files.ReadAll(donor));
        Assert.Equal(splice.After["receiver"], Files.ReadAll(Path.Combine(dir.Path, "receiver")));
        Assert.False(Directory.Exists(Path.Combine(dir.Path, ".movdata-journal")));
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Recover_LeavesALiveEditAlone(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string f = dir.File("f");
        Files.Create(f, 4 * B, (0, Files.Pattern(801, 4 * B)));
        using SafeFileHandle h = Files.OpenRw(f);
        var plan = new EditPlan("collapse", JournalRecord.NewId(), Path.Combine(dir.Path, ".movdata-journal"));
        plan.AddFile(new EditFile("file", EditFileKind.User, 0, 0, f));
        plan.Add(new EditStep(StepKind.Truncate, "collapse", 0, 0, -1, 0, B));
        using (JournalRecord live = JournalRecord.Begin(plan, []))
        {
            RecoveredEdit r = Assert.Single(FileRange.Recover(dir.Path));
            Assert.Equal(RecoveryOutcome.InProgress, r.Outcome);
            Assert.Equal(4 * B, new FileInfo(f).Length);
            live.Complete();
        }
        Assert.Empty(FileRange.Recover(dir.Path));
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Recover_RefusesAFileThatWasReplaced_AndKeepsTheRecord(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        CrashScenario splice = Scenario("splice aligned");
        KillAt(dir.Path, splice, "kill:done:0");
        string donor = Path.Combine(dir.Path, "donor");
        File.Delete(donor);
        Files.Create(donor, B, (0, Files.Pattern(802, B)));
        Snapshot replaced = Files.Take(donor);

        (int code, string output, _) = CliProcess.Movdata("recover", dir.Path);

        Assert.Equal(1, code);
        Assert.Contains("failed", output, StringComparison.Ordinal);
        Assert.Contains("is no longer the donor", output, StringComparison.Ordinal);
        Assert.Equal(replaced, Files.Take(donor));
        Assert.Single(Directory.GetFiles(Path.Combine(dir.Path, ".movdata-journal"), "*.edit"));
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Recover_OfOneFile_OnlyTouchesItsEdits(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        KillAt(dir.Path, Scenario("splice aligned"), "kill:done:-1");
        string other = dir.File("other");
        Files.Create(other, B, (0, Files.Pattern(803, B)));

        Assert.Empty(FileRange.Recover(other));
        Assert.Single(Directory.GetFiles(Path.Combine(dir.Path, ".movdata-journal"), "*.edit"));
        Assert.Equal(RecoveryOutcome.Finished, Assert.Single(FileRange.Recover(Path.Combine(dir.Path, "receiver"))).Outcome);
        Scenario("splice aligned").Check(dir.Path, "after recovery");
        (int code, string output, _) = CliProcess.Movdata("recover", dir.Path);
        Assert.Equal((0, "recover: no interrupted edits"), (code, output.Trim()));
    }
}

/// <summary>A Move whose progress callback throws after the receiver got the data but before
/// the donor was punched keeps its record; recovery finishes it.</summary>
public sealed class MoveJournalTests
{
    private const int B = Files.Block;

    private sealed class ThrowOnFirstReport : IProgress<long>
    {
        public void Report(long value) => throw new InvalidOperationException("the caller's progress callback failed");
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Move_InterruptedByItsCaller_IsFinishedByRecovery(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string donor = dir.File("d"), receiver = dir.File("r");
        byte[] content = Files.Pattern(901, 16 * B);
        Files.Create(donor, content.Length, (0, content));
        Files.Create(receiver, 16 * B);

        Assert.Throws<InvalidOperationException>(() => FileRange.Move(donor, 4 * B, receiver, 0, 8 * B, MoveFlags.None, new ThrowOnFirstReport()));

        IReadOnlyList<RecoveredEdit> recovered = FileRange.Recover(dir.Path);
        if (dir.Kind.Exchange)
        {
            Assert.Empty(recovered); // one logged exchange: nothing was left half done
        }
        else
        {
            Assert.Equal(RecoveryOutcome.Finished, Assert.Single(recovered).Outcome);
        }
        Files.AssertBytes(content.AsSpan(4 * B, 8 * B).ToArray(), receiver, 0);
        Files.AssertHole(donor, 4 * B, 8 * B);
        Files.AssertBytes(content.AsSpan(0, 4 * B).ToArray(), donor, 0);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, ".movdata-journal")));
    }

    private sealed class CancelOnFirstReport : IProgress<EditProgress>
    {
        public void Report(EditProgress value) => throw new OperationCanceledException("the caller gave up from its progress callback");
    }

    /// <summary>An edit's progress callback that throws OperationCanceledException stops a step
    /// part-way, not at a step boundary: the caller is told the edit is incomplete (not that it
    /// was interrupted cleanly), the record is kept, and recovery finishes the collapse.</summary>
    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Collapse_WhoseProgressThrowsCancellation_IsIncomplete_AndRecoveryFinishesIt(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string f = dir.File("f");
        byte[] content = Files.Pattern(902, 64 * B);
        Files.Create(f, content.Length, (0, content));
        byte[] after = [.. content.AsSpan(0, 8 * B), .. content.AsSpan(12 * B)];

        if (dir.Kind.ShiftMethod == RangeMethod.Native)
        {
            // One fallocate: nothing to report, nothing to stop.
            Assert.Equal(RangeMethod.Native, FileRange.Collapse(f, 8 * B, 4 * B, progress: new CancelOnFirstReport()).Method);
        }
        else
        {
            var e = Assert.Throws<EditIncompleteException>(() => FileRange.Collapse(f, 8 * B, 4 * B, progress: new CancelOnFirstReport()));
            Assert.IsType<OperationCanceledException>(e.InnerException);
            Assert.Single(Directory.GetFiles(Path.Combine(dir.Path, ".movdata-journal"), "*.edit"));
            Assert.Equal(RecoveryOutcome.Finished, Assert.Single(FileRange.Recover(dir.Path)).Outcome);
        }
        Files.AssertBytes(after, f, 0);
        Assert.Equal(after.Length, new FileInfo(f).Length);
    }
}
