using Microsoft.Win32.SafeHandles;
using MovData.Operations;

namespace MovData.Edits;

/// <summary>
/// One range a padded cut removes from the file: <see cref="Length"/> bytes (whole blocks)
/// collapsed at <see cref="Offset"/>, or with <see cref="ToEnd"/> the file truncated there.
/// </summary>
internal sealed record BlockRemoval(long Offset, long Length, bool ToEnd);

/// <summary>A new file that receives the removed ranges (moved, not copied, where the
/// filesystem can): created with <see cref="Size"/>, each part moved from the file into it,
/// then <see cref="Writes"/> written (its padding, program tables and marks).</summary>
internal sealed record RemovedOutput(string Path, long Size, List<(long Source, long Target, long Length)> Parts, List<Patch> Writes);

/// <summary>A cut as a format plans it: the block ranges to remove, in file order (only the
/// last may reach the end; they go in one shift, <see cref="Plans.CollapseAll"/>), then
/// <see cref="Writes"/> in the file as it is after them: what is left of each removed range
/// made into something the format skips, and any marks its neighbours need.</summary>
internal sealed record CutLayout(List<BlockRemoval> Removals, List<Patch> Writes, RemovedOutput? Output)
{
    /// <summary>A small file beside the recording that the cut rewrites whole (an EDL named
    /// like it, whose ranges no longer fit the cut recording), or null.</summary>
    internal ReplacedFile? Beside { get; init; }

    /// <summary>Bytes the layout writes in place, in every file.</summary>
    internal long BytesWritten => Writes.Concat(Output?.Writes ?? []).Sum(p => p.Length) + (Beside?.Bytes.Length ?? 0);
}

/// <summary>
/// Runs a padded cut as one journaled edit: the file is validated, its interrupted edits are
/// finished, it is locked whole, refused if another process has it open for writing (a
/// recording still being made), and only then is the layout planned (by the caller, who
/// reads the file as it now is); every step is in the intent record before the first change,
/// so a crash anywhere is finished by recovery, byte for byte as the cut would have left it.
/// A dry run goes as far as the whole plan, steps and refusals included, and returns before
/// the record: what it returns is what the cut would, its copying predicted from the steps.
/// </summary>
internal static class PaddedCut
{
    internal const string CutGroup = "cut", SaveGroup = "save", BesideGroup = "edl";

    /// <remarks>What it does to the disk, and the time of each phase, go into <paramref name="trace"/>.</remarks>
    internal static (EditResult Result, CutLayout Layout) Run(SafeFileHandle file, Func<FileFacts, Capabilities, CutLayout> plan, MoveFlags flags, IProgress<EditProgress>? progress,
        EditTrace trace, CancellationToken cancellation, bool dryRun = false)
    {
        Validate.KnownFlags(flags);
        (FileFacts f, IReadOnlyList<RecoveredEdit> recovered, RangeLocks locks) = trace.Phase("open", () =>
        {
            FileFacts before = FileFacts.Of(file, "recording");
            Validate.Writable(before);
            OpenWriters.Refuse(before, "cut"); // a recording still being made: before anything, recovery included
            // A dry run finishes nothing: it cannot show the cut that would follow an
            // interrupted edit without making that edit's changes.
            IReadOnlyList<RecoveredEdit> finished = dryRun ? Recovery.RefusePending(file, "a dry run") : Recovery.ForFiles(file);
            RangeLocks held = RangeLocks.Take((before, 0, 0));
            return (FileFacts.Of(file, "recording"), finished, held); // as it is now that this edit holds it
        });
        using RangeLocks _ = locks;
        if (recovered.Where(r => r.Outcome == RecoveryOutcome.Finished).ToList() is { Count: > 0 } changed)
        {
            // The ranges were worked out for the recording before that edit: cut with them now,
            // and a re-run of a killed cut would cut the same breaks again, out of the programme.
            throw new InterruptedEditFinishedException(
                $"{Recovery.Said(changed)} was finished first, which changed the recording; this cut was not made, since its ranges were given for the recording as it was: look at it again, and cut again if it is still wanted",
                recovered);
        }
        // Asked of the file itself: no trial file, nothing written (Capabilities.ForShifts); a
        // dry run leaves even the mtime as it was (Capabilities.ForShiftsUntouched).
        Capabilities caps = trace.Phase("probe", () => dryRun ? Capabilities.ForShiftsUntouched(f) : Capabilities.ForShifts(f));
        CutLayout layout = trace.Phase("plan", () => plan(f, caps));
        if (layout.Removals.Count == 0 && layout.Writes.Count == 0 && layout.Output is null)
        {
            return (new EditResult([]) { Recovered = recovered }, layout);
        }
        long bs = f.BlockSize;
        EditPlan p = Editor.NewPlan("cut", file);
        int fi = p.AddFile(Editor.UserFile(f));
        List<string> otherJournals = [];
        bool zeroCopy = true;
        int targetFile = -1, outFile = -1;
        string? apart = null;
        if (layout.Output is { } o)
        {
            (outFile, targetFile, zeroCopy, apart) = AddOutput(p, fi, f, o, bs);
            otherJournals.Add(Path.GetDirectoryName(p.Files[outFile].Path)!);
        }
        long size = f.Size;
        p.Group(CutGroup, StepMethod.Native);
        if (layout.Removals.LastOrDefault() is { ToEnd: true } end)
        {
            p.Add(new EditStep(StepKind.Truncate, CutGroup, fi, 0, -1, 0, end.Offset));
            size = end.Offset;
        }
        Plans.CollapseAll(p, fi, size, bs, caps, [.. layout.Removals.Where(r => !r.ToEnd && r.Length > 0).Select(r => (r.Offset, r.Length))], CutGroup);
        // One step for every byte written: a crash between the collapses and it leaves
        // partial packets at the joins, which recovery overwrites like the cut would.
        if (layout.Writes.Count > 0)
        {
            p.Add(new EditStep(StepKind.Write, CutGroup, fi, 0, -1, 0, 0) { Patches = layout.Writes });
        }
        if (targetFile >= 0)
        {
            p.Add(new EditStep(StepKind.Rename, SaveGroup, outFile, 0, targetFile, 0, 0));
        }
        if (layout.Beside is { } beside)
        {
            Plans.Replace(p, beside, "edl", BesideGroup);
        }
        Editor.RefuseCopying(p, flags, "cut", f.FsType, bs, zeroCopy, apart);
        Editor.RequireRoom(p, f, zeroCopy, "cut");
        if (dryRun)
        {
            return (Predicted(p, zeroCopy, bs) with { Recovered = recovered }, layout);
        }
        var handles = new SafeFileHandle?[p.Files.Count];
        handles[fi] = file;
        // Where the cut's first change is a collapse or truncation on XFS or ext4, the record
        // is logged before it and needs no sync of its own (JournalRecord.Begin); the record
        // is in the recording's directory, on its filesystem.
        bool ridesOnLog = otherJournals.Count == 0 && p.Steps[0].Kind is StepKind.Collapse or StepKind.Truncate && p.Steps[0].A == fi
            && f.FsMagic is FileFacts.XFS_SUPER_MAGIC or FileFacts.EXT4_SUPER_MAGIC;
        return (EditRunner.Run(p, handles, otherJournals, flags, progress, trace, ridesOnLog, cancellation) with { Recovered = recovered }, layout);
    }

    /// <summary>What running <paramref name="p"/> would return: each step's method as
    /// planned (a Move's as its files allow), and the bytes its copying steps would copy. A
    /// copy skips its source's holes (<see cref="EditRunner"/>), and the removed parts, moved
    /// out first, leave holes (their whole blocks: a punch of part of a block writes zeros)
    /// that a tail saved aside through a sidecar then skips twice: saved and put back.</summary>
    private static EditResult Predicted(EditPlan p, bool zeroCopy, long bs)
    {
        var holes = new List<(int File, long Offset, long Length)>();
        var copied = new Dictionary<string, long>();
        long skippedInSidecar = 0;
        foreach (EditStep s in p.Steps)
        {
            long skipped = s.Kind is StepKind.Copy or StepKind.Save ? holes.Where(h => h.File == s.A)
                .Sum(h => Math.Max(0, Math.Min(h.Offset + h.Length, s.OffsetA + s.Length) - Math.Max(h.Offset, s.OffsetA))) : 0;
            long bytes = s.Kind switch
            {
                StepKind.Copy => s.Length - skipped,
                StepKind.Save when !s.ByClone => s.Length - skipped,
                StepKind.Restore when !s.ByClone => s.Length - skippedInSidecar,
                StepKind.Move when !zeroCopy => s.Length,
                _ => 0,
            };
            skippedInSidecar = s.Kind switch
            {
                StepKind.Save => skippedInSidecar + skipped,
                StepKind.Restore => 0,
                _ => skippedInSidecar,
            };
            if (s.Kind is StepKind.Move or StepKind.Punch)
            {
                long from = (s.OffsetA + bs - 1) / bs * bs, to = (s.OffsetA + s.Length) / bs * bs;
                holes.Add((s.A, from, Math.Max(0, to - from)));
            }
            copied[s.Group] = copied.GetValueOrDefault(s.Group) + bytes;
        }
        return new([.. p.Groups.Select(g => new EditStepResult(g.Group, g.Method ?? (zeroCopy ? StepMethod.ClonePunch : StepMethod.CopyPunch), copied.GetValueOrDefault(g.Group)))]);
    }

    /// <summary>Adds the steps that build the output of the removed parts aside, in the
    /// journal next to its final name, to be renamed into place as the cut's last step.</summary>
    /// <returns>The output's two files in the plan, whether its parts go without copying, and
    /// where it is on another filesystem, what says so (else null).</returns>
    private static (int OutFile, int TargetFile, bool ZeroCopy, string? Apart) AddOutput(EditPlan p, int fi, FileFacts f, RemovedOutput o, long bs)
    {
        string target = Path.GetFullPath(o.Path);
        Validate.Absent(target, o.Path, "the removed parts go into a new file and never replace one");
        string outDir = Path.GetDirectoryName(target) ?? "/";
        DirectoryFacts od = DirectoryFacts.Of(outDir, $"nothing changed: the removed parts' file {target}: its directory {outDir}");
        Capabilities oc = Capabilities.ForDirectory(outDir, od.Device, od.BlockSize);
        bool zeroCopy = f.Device == od.Device && (oc.Exchange == true || oc.Reflink == true);
        string journal = JournalRecord.DirectoryFor(outDir);
        int outFile = p.AddFile(new EditFile("output", EditFileKind.Own, 0, 0, Path.Combine(journal, $"{p.Id}.out")));
        int targetFile = p.AddFile(new EditFile("output", EditFileKind.Target, 0, 0, target));
        p.Add(new EditStep(StepKind.Create, SaveGroup, outFile, 0, -1, 0, o.Size));
        p.Group(SaveGroup, StepMethod.Native);
        foreach ((long source, long at, long length) in o.Parts)
        {
            Plans.Transfer(p, fi, source, outFile, at, length, bs, move: true, zeroCopy, punchEdges: true, SaveGroup);
        }
        if (o.Writes.Count > 0)
        {
            p.Add(new EditStep(StepKind.Write, SaveGroup, outFile, 0, -1, 0, 0) { Patches = o.Writes });
        }
        return (outFile, targetFile, zeroCopy, f.Device == od.Device ? null : $"the removed parts go to {target}, on another filesystem ({od.FsType})");
    }
}
