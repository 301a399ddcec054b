using Microsoft.Win32.SafeHandles;
using MovData.Operations;

namespace MovData.Edits;

/// <summary>
/// A cut undone, as media plans it from the manifest the cut left in its file of removed
/// parts: the recording is <see cref="SizeNow"/> bytes; each of the cut's
/// <see cref="Removals"/> gets its blocks back as a hole (in ascending order, so each goes in
/// at its offset in the recording as it was), a truncation is extended to
/// <see cref="SizeBefore"/>, each of <see cref="Parts"/> comes back from the saved file
/// (moved, not copied, where the filesystem can), <see cref="Writes"/> put back the bytes the
/// cut overwrote, and <see cref="Beside"/> (the EDL the cut replaced) is written back.
/// </summary>
/// <param name="SizeNow">The recording's size as the cut left it.</param>
/// <param name="SizeBefore">Its size before the cut: what the restore gives back.</param>
/// <param name="Removals">The cut's block removals, to undo.</param>
/// <param name="Parts">Each part: where it goes in the recording, where it is in the saved file, its length.</param>
/// <param name="Writes">Original bytes, at offsets of the recording as it was.</param>
/// <param name="Beside">The EDL to write back beside the recording, or null.</param>
internal sealed record RestoreLayout(long SizeNow, long SizeBefore, List<BlockRemoval> Removals, List<(long Source, long Target, long Length)> Parts, List<Patch> Writes, ReplacedFile? Beside)
{
    /// <summary>Bytes the restore writes in place (not counting the partial edge blocks of
    /// the parts, which are copied).</summary>
    internal long BytesWritten => Writes.Sum(p => p.Length) + (Beside?.Bytes.Length ?? 0);
}

/// <summary>
/// Runs a restore as one journaled edit of the recording and the saved file: both are
/// validated, their interrupted edits finished, both locked whole, and only then is the
/// layout planned (by the caller, who reads both files as they now are and refuses a pair
/// that does not fit). Every step is in the intent record before the first change; the saved
/// file is removed as the last, so a crash anywhere is finished by recovery, leaving the
/// recording byte for byte as it was before the cut and the saved file gone.
/// </summary>
internal static class RestoreEdit
{
    internal const string InsertGroup = "insert", ReturnGroup = "return", WriteGroup = "write", BesideGroup = "edl";

    /// <summary>What a restore did, or with <paramref name="dryRun"/> would do (nothing changed):
    /// the result of its steps (for a dry run, the methods and copies planned), the layout,
    /// and whether the parts move without copying.</summary>
    internal static (EditResult Result, RestoreLayout Layout) Run(SafeFileHandle rec, SafeFileHandle saved, Func<FileFacts, FileFacts, RestoreLayout> plan, bool dryRun,
        MoveFlags flags, IProgress<EditProgress>? progress, EditTrace trace, CancellationToken cancellation)
    {
        Validate.KnownFlags(flags);
        (FileFacts f, FileFacts sf, IReadOnlyList<RecoveredEdit> recovered, RangeLocks locks) = trace.Phase("open", () =>
        {
            FileFacts r0 = FileFacts.Of(rec, "recording"), s0 = FileFacts.Of(saved, "saved");
            Validate.Writable(r0);
            Validate.Writable(s0);
            if (r0.SameFileAs(s0))
            {
                throw new ArgumentException("the recording and the file of removed parts are the same file");
            }
            OpenWriters.Refuse(r0, "restore"); // a recording a player or DVR is writing to is left alone
            // A dry run changes nothing, so it finishes no interrupted edit either: where one
            // names either file, what the restore would do depends on it, and it refuses (as a
            // cut's dry run does).
            IReadOnlyList<RecoveredEdit> finished = dryRun
                ? [.. Recovery.RefusePending(rec, "a dry run"), .. Recovery.RefusePending(saved, "a dry run")]
                : Recovery.ForFiles(rec, saved);
            RangeLocks held = RangeLocks.Take((r0, 0, 0), (s0, 0, 0));
            return (FileFacts.Of(rec, "recording"), FileFacts.Of(saved, "saved"), finished, held);
        });
        using RangeLocks _ = locks;
        RestoreLayout layout;
        try
        {
            layout = trace.Phase("plan", () => plan(f, sf));
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException && recovered.Any(r => r.Outcome == RecoveryOutcome.Finished))
        {
            // The refusal may come of the edit just finished (a later cut of the recording):
            // say that it was, or the user reads "nothing changed" of a file that did.
            string first = $"{Recovery.Said(recovered.Where(r => r.Outcome == RecoveryOutcome.Finished))} was finished first; then: ";
            string Then(string message) => first + message.Replace("nothing was changed", "nothing else was changed", StringComparison.Ordinal);
            throw e is ArgumentException { ParamName: { } name } a
                ? new ArgumentException(Then(a.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal)), name, e)
                : e is InvalidDataException ? new InvalidDataException(Then(e.Message), e) : new ArgumentException(Then(e.Message), e);
        }
        Capabilities caps = trace.Phase("probe", () => dryRun ? Capabilities.ForShiftsUntouched(f) : Capabilities.ForShifts(f));
        // Whether whole blocks go from one file to the other without copying, as the cut's
        // output asks it (the same filesystem, with exchange-range or clones).
        Capabilities moves = Capabilities.For(sf);
        bool zeroCopy = f.Device == sf.Device && (moves.Exchange == true || moves.Reflink == true);
        long bs = f.BlockSize;
        EditPlan p = Editor.NewPlan("restore", rec);
        int ri = p.AddFile(Editor.UserFile(f));
        int si = p.AddFile(Editor.UserFile(sf));
        List<string> otherJournals = [.. Editor.DirectoriesOf(saved).Where(d => d != p.JournalDirectory)];
        long size = layout.SizeNow;
        p.Group(InsertGroup, StepMethod.Native);
        List<(long Offset, long Length)> holes = [.. layout.Removals.Where(r => !r.ToEnd && r.Length > 0).OrderBy(r => r.Offset).Select(r => (r.Offset, r.Length))];
        Plans.InsertAll(p, ri, size, bs, caps, holes, InsertGroup); // the tail shifted once for all, as the cut shifted it
        size += holes.Sum(h => h.Length);
        if (size != layout.SizeBefore)
        {
            p.Add(new EditStep(StepKind.Truncate, InsertGroup, ri, 0, -1, 0, layout.SizeBefore));
        }
        p.Group(ReturnGroup, StepMethod.Native);
        foreach ((long source, long target, long length) in layout.Parts)
        {
            // What the cut left of the part in the recording (its padding) is punched, so the
            // part's whole blocks can move into holes; the collapsed blocks came back as holes.
            foreach ((long o, long n) in Filled(source, length, layout.Removals, layout.SizeBefore))
            {
                p.Add(new EditStep(StepKind.Punch, ReturnGroup, ri, o, -1, 0, n));
            }
            Plans.Transfer(p, si, target, ri, source, length, bs, move: true, zeroCopy, punchEdges: false, ReturnGroup);
        }
        if (layout.Writes.Count > 0)
        {
            p.Group(WriteGroup, StepMethod.Native);
            p.Add(new EditStep(StepKind.Write, WriteGroup, ri, 0, -1, 0, 0) { Patches = layout.Writes });
        }
        if (layout.Beside is { } beside)
        {
            Plans.Replace(p, beside, "edl", BesideGroup);
        }
        // Last: once the saved file is gone, every step before it is done and recorded.
        p.Add(new EditStep(StepKind.Unlink, ReturnGroup, si, 0, -1, 0, 0));
        Editor.RefuseCopying(p, flags, "restore", f.FsType, bs, zeroCopy,
            f.Device == sf.Device ? null : $"the removed parts come back from {Capabilities.PathOf(saved) ?? "the saved file"}, on another filesystem ({sf.FsType})");
        Editor.RequireRoom(p, f, zeroCopy, "restore");
        if (dryRun)
        {
            return (Planned(p, zeroCopy, moves) with { Recovered = recovered }, layout);
        }
        var handles = new SafeFileHandle?[p.Files.Count];
        handles[ri] = rec;
        handles[si] = saved;
        return (EditRunner.Run(p, handles, otherJournals, flags, progress, trace, recordRidesOnLog: false, cancellation) with { Recovered = recovered }, layout);
    }

    /// <summary>What of [<paramref name="source"/>, +<paramref name="length"/>) the recording
    /// holds after the holes are back: not a collapsed range, not past the truncation.</summary>
    private static IEnumerable<(long Offset, long Length)> Filled(long source, long length, List<BlockRemoval> removals, long sizeBefore)
    {
        long at = source, end = source + length;
        foreach (BlockRemoval r in removals.Where(r => r.Length > 0 || r.ToEnd).OrderBy(r => r.Offset))
        {
            long rEnd = r.ToEnd ? sizeBefore : r.Offset + r.Length;
            if (rEnd <= at || r.Offset >= end)
            {
                continue;
            }
            if (r.Offset > at)
            {
                yield return (at, r.Offset - at);
            }
            at = Math.Max(at, rEnd);
        }
        if (end > at)
        {
            yield return (at, end - at);
        }
    }

    /// <summary>A dry run's result: each step's method as planned (a Move's as this
    /// filesystem would run it) and the bytes it would copy.</summary>
    private static EditResult Planned(EditPlan p, bool zeroCopy, Capabilities moves)
    {
        StepMethod move = !zeroCopy ? StepMethod.CopyPunch : moves.Exchange == true ? StepMethod.ExchangeRange : StepMethod.ClonePunch;
        return new EditResult([.. p.Groups.Select(g => new EditStepResult(g.Group, g.Method ?? move,
            p.Steps.Where(s => s.Group == g.Group).Sum(s => s.Kind switch
            {
                StepKind.Copy => s.Length,
                StepKind.Save or StepKind.Restore when !s.ByClone => s.Length,
                StepKind.Move when !zeroCopy => s.Length,
                _ => 0,
            })))]);
    }
}
