using Microsoft.Win32.SafeHandles;
using MovData.Operations;

namespace MovData.Edits;

/// <summary>
/// What every multi-step edit shares: its plan and journal next to its file, how a caller's
/// file is named in the record, and the ZeroCopyOnly refusal. The edits each have their file:
/// <see cref="MoveEdit"/>, <see cref="ShiftEdit"/>, <see cref="SpliceEdit"/>,
/// <see cref="ConcatEdit"/>, <see cref="PaddedCut"/>; each validates everything first,
/// finishes any interrupted edit of its files (<see cref="Recovery"/>), takes locks on the
/// whole files, plans its steps, refuses under ZeroCopyOnly if the plan copies more than edge
/// blocks, and runs the plan (<see cref="EditRunner"/>) under an intent record.
/// </summary>
internal static class Editor
{
    internal static EditPlan NewPlan(string name, SafeFileHandle home)
    {
        string dir = Capabilities.DirectoryOf(home)
            ?? throw new IOException($"a {name} keeps a journal next to the file, and this file has no path (deleted, or /proc is missing)");
        return new EditPlan(name, JournalRecord.NewId(), JournalRecord.DirectoryFor(dir));
    }

    internal static IEnumerable<string> DirectoriesOf(SafeFileHandle h) => Recovery.JournalsOf(Capabilities.PathOf(h));

    /// <summary>A caller's file as a record names it; <paramref name="path"/> when the caller
    /// has read it already (a file with no path gets none, and recovery will refuse it).</summary>
    internal static EditFile UserFile(FileFacts f, string? path = null) =>
        new(f.Role, EditFileKind.User, f.Device, f.Inode, path ?? Capabilities.PathOf(f.Handle) ?? "", f.BirthNanoseconds);

    /// <summary>With <see cref="MoveFlags.ZeroCopyOnly"/>, refuses a plan that copies data
    /// (<see cref="FileSystemNotSupportedException"/>, nothing changed). Where the edit moves
    /// blocks between two filesystems, <c>apart</c> says so ("the removed parts go to …, on
    /// another filesystem (ext4)"), and is the reason given when that is why.</summary>
    internal static void RefuseCopying(EditPlan plan, MoveFlags flags, string what, string fsType, long bs, bool zeroCopy = true, string? apart = null)
    {
        if ((flags & MoveFlags.ZeroCopyOnly) == 0)
        {
            return;
        }
        if (apart is not null && !zeroCopy && plan.Steps.Any(s => s.Kind == StepKind.Move))
        {
            throw new FileSystemNotSupportedException($"the {what} cannot be done without copying: {apart}, and blocks do not move between filesystems; ZeroCopyOnly forbids that; nothing was changed");
        }
        if (Plans.CopiesData(plan) || (!zeroCopy && plan.Steps.Any(s => s.Kind == StepKind.Move)))
        {
            throw new FileSystemNotSupportedException(
                $"the {what} cannot be done without copying on {fsType}: a length that is not a multiple of the block size ({bs}), offsets that sit differently in their blocks, or a filesystem without clones or collapse/insert; ZeroCopyOnly forbids that; nothing was changed");
        }
    }
}
