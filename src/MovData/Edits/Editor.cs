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

    /// <summary>
    /// Refuses, before the journal record and the first change, a plan whose copies would not
    /// fit on the filesystem of <paramref name="f"/> (IOException, ENOSPC, nothing changed):
    /// where data is copied, not shifted or cloned (tmpfs; ext4's parts), the steps are played
    /// out on paper, adding what each copies into a file there and taking off what each frees
    /// (a punch, a truncation, a native collapse, a sidecar removed), and the highest point
    /// must fit in the free space, a sixteenth more for the filesystem's own needs. Without the
    /// check such an edit stops part-way (the record finishes it once there is room), and a
    /// recording cut at its first range does not play meanwhile.
    /// (<c>zeroCopy</c>: moves between files go without copying, by exchange or clones.)
    /// </summary>
    internal static void RequireRoom(EditPlan plan, FileFacts f, bool zeroCopy, string what)
    {
        long peak = RoomNeeded(plan, f, zeroCopy);
        if (peak <= 0)
        {
            return;
        }
        long needed = peak + peak / 16;
        FreeSpace.Require(f.Handle, needed, free =>
            $"nothing changed: the {what} copies data on {f.FsType}, and at its fullest needs about {needed} bytes free there, where {free} are: free some space on it, or edit where blocks move without copying (XFS, ext4, btrfs)");
    }

    /// <summary>The most the plan's steps have added, at any point, to the bytes stored on
    /// the filesystem of <paramref name="f"/> (its files: the caller's there, and MovData's own
    /// in the plan's journal directory).</summary>
    private static long RoomNeeded(EditPlan plan, FileFacts f, bool zeroCopy)
    {
        int n = plan.Files.Count;
        var here = new bool[n];
        var size = new long[n];
        var stored = new long[n]; // of MovData's own files: what the plan put in them
        for (int i = 0; i < n; i++)
        {
            EditFile e = plan.Files[i];
            here[i] = e.Kind == EditFileKind.User ? e.Device == f.Device : Path.GetDirectoryName(e.Path) == plan.JournalDirectory;
            size[i] = e.Kind == EditFileKind.User && e.Inode == f.Inode && e.Device == f.Device ? f.Size : 0;
        }
        long now = 0, peak = 0;
        void Add(int file, long bytes)
        {
            if (file >= 0 && here[file])
            {
                now += bytes;
                stored[file] += bytes;
                peak = Math.Max(peak, now);
            }
        }
        foreach (EditStep s in plan.Steps)
        {
            switch (s.Kind)
            {
                case StepKind.Save when !s.ByClone:
                    Add(s.B, s.Length);
                    break;
                case StepKind.Restore when !s.ByClone:
                    Add(s.A, s.Length);
                    size[s.A] = Math.Max(size[s.A], s.OffsetA + s.Length);
                    break;
                case StepKind.Copy:
                    Add(s.B, s.Length);
                    break;
                case StepKind.Move when !zeroCopy:
                    // Copied a chunk at a time, each punched out of the source once it is durable.
                    long chunk = Math.Min(s.Length, CopyPunchMove.MaxChunkSize);
                    Add(s.B, chunk);
                    Add(s.A, -chunk);
                    break;
                case StepKind.Punch:
                    Add(s.A, -s.Length);
                    break;
                case StepKind.Collapse:
                    Add(s.A, -s.Length);
                    size[s.A] -= s.Length;
                    break;
                case StepKind.Insert:
                    size[s.A] += s.Length;
                    break;
                case StepKind.Truncate:
                    Add(s.A, -Math.Max(0, size[s.A] - s.Length));
                    size[s.A] = s.Length;
                    break;
                case StepKind.Unlink when plan.Files[s.A].Kind == EditFileKind.Own:
                    Add(s.A, -stored[s.A]);
                    break;
                case StepKind.Write when s.Payload is { } payload:
                    Add(s.B, payload.Length); // written before the record, removed with it
                    break;
            }
        }
        return peak;
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
