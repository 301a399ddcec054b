using Microsoft.Win32.SafeHandles;
using MovData.Layout;
using MovData.Operations;

namespace MovData.Edits;

/// <summary>
/// Runs an edit's steps in order: each step, then sync what it touched, then record it done.
/// The same code runs a fresh edit and finishes an interrupted one (from its first step not
/// recorded done), so recovery does exactly what the edit would have done.
/// </summary>
internal sealed class EditRunner : IDisposable
{
    private readonly EditPlan _plan;
    private readonly SafeFileHandle?[] _handles;
    private readonly bool[] _owned;
    private readonly bool _recovering;
    private readonly MoveFlags _flags;
    private readonly IProgress<EditProgress>? _progress;
    private readonly CancellationToken _cancellation;
    private int _step; // the step running now
    private long _total; // bytes the steps left to run transfer
    private long _transferred; // of those, transferred so far
    private readonly Dictionary<string, (StepMethod? Method, long Copied)> _groups = [];
    private readonly EditTrace _trace;
    private readonly List<int> _unmarked = []; // steps done but not yet recorded so (MarkDone)

    private EditRunner(EditPlan plan, SafeFileHandle?[] handles, bool recovering, MoveFlags flags, IProgress<EditProgress>? progress, CancellationToken cancellation, EditTrace? trace = null)
    {
        _trace = trace ?? new EditTrace();
        _plan = plan;
        _handles = new SafeFileHandle?[plan.Files.Count];
        handles.AsSpan(0, Math.Min(handles.Length, _handles.Length)).CopyTo(_handles);
        _owned = new bool[handles.Length];
        _recovering = recovering;
        _flags = flags;
        _progress = progress;
        _cancellation = cancellation;
        foreach ((string group, StepMethod? method) in plan.Groups)
        {
            _groups[group] = (method, 0);
        }
    }

    /// <summary>Runs a new edit: writes its record, runs every step, removes the record. On a
    /// failure the record stays, so that recovery (or the next edit of these files) finishes it.
    /// The handles are the caller's open files, by index in the plan's file table (null, or
    /// missing at the end, for MovData's own files). Cancelled, it stops between two steps with
    /// the record kept (<see cref="EditInterruptedException"/>).</summary>
    /// <remarks>With <paramref name="recordRidesOnLog"/> (the caller knows the plan's first
    /// change is a shift or truncation of a file on XFS or ext4, in the directory of the
    /// record), the record is kept as metadata and not synced (<see cref="JournalRecord.Begin"/>):
    /// nothing of that change can be durable without it.</remarks>
    internal static EditResult Run(EditPlan plan, SafeFileHandle?[] handles, IEnumerable<string> otherJournalDirectories, MoveFlags flags, IProgress<EditProgress>? progress,
        EditTrace? trace = null, bool recordRidesOnLog = false, CancellationToken cancellation = default)
    {
        cancellation.ThrowIfCancellationRequested();
        trace ??= new EditTrace();
        using JournalRecord record = trace.Time(recordRidesOnLog ? "record-xattr" : "record", "journal", 0, 0,
            () => JournalRecord.Begin(plan, otherJournalDirectories, durableWithNextSync: recordRidesOnLog));
        trace.Calls[^1] = trace.Calls[^1] with { Call = record.Synced ? "record" : "record-xattr", Length = record.Bytes };
        CrashSwitch.At("done", -1, handles.FirstOrDefault(h => h is not null));
        using var runner = new EditRunner(plan, handles, recovering: false, flags, progress, cancellation, trace);
        try
        {
            runner.RunFrom(record, []);
        }
        catch (Exception e) when (e is not EditIncompleteException and not EditInterruptedException)
        {
            // Anything else, an OperationCanceledException a progress callback threw among
            // them, stopped a step part-way: the record finishes it.
            // Out of room (a filesystem that copies what a cut shifts, nearly full): recovery
            // meets the same until there is room, so say to make it.
            string room = FreeSpace.Exhausted(e) ? "the filesystem is full: free some space on it, then " : "";
            throw new EditIncompleteException(
                $"the {plan.Name} stopped part-way ({e.Message}); nothing is lost: {room}its journal record {plan.Id} in {plan.JournalDirectory} lets `movdata recover` (or the next edit of these files) finish it", e);
        }
        if (!trace.Time("unlink", "journal", 0, 0, record.Complete))
        {
            // The last step is recorded by the record's removal alone; if that fails, the
            // filesystem went read-only under the edit (ext4 answers fsync with 0 once its
            // journal has aborted), and what the last steps did may not be on disk.
            throw new EditIncompleteException(
                $"the {plan.Name} ran every step, but its journal record {plan.Id} in {plan.JournalDirectory} could not be removed (the filesystem went read-only?), so its last steps may not be on disk; `movdata recover` finishes it once the filesystem is writable again");
        }
        return runner.Result();
    }

    /// <summary>Finishes (or, for a discard plan, throws away) an interrupted edit. Returns
    /// true if the files are now as after the edit, false if as before.</summary>
    internal static bool Resume(EditPlan plan, JournalRecord record, HashSet<int> done)
    {
        using var runner = new EditRunner(plan, new SafeFileHandle?[plan.Files.Count], recovering: true, MoveFlags.None, null, CancellationToken.None);
        bool finished = !plan.Discard || runner.Published(done);
        if (!finished)
        {
            runner.RemoveOwnFiles();
        }
        else
        {
            runner.CheckIdentities();
            runner.RunFrom(record, done);
        }
        record.Complete();
        return finished;
    }

    /// <summary>A discard plan whose output was already renamed into place (its last step)
    /// has done all it does to the caller's files: it is finished, not thrown away.</summary>
    private bool Published(HashSet<int> done)
    {
        int rename = _plan.Steps.FindLastIndex(s => s.Kind == StepKind.Rename);
        if (rename < 0)
        {
            return false;
        }
        EditStep s = _plan.Steps[rename];
        return done.Contains(rename) || (!File.Exists(_plan.Files[s.A].Path) && File.Exists(_plan.Files[s.B].Path));
    }

    private void RunFrom(JournalRecord record, HashSet<int> done)
    {
        _total = _plan.Steps.Where((s, k) => !done.Contains(k)).Sum(Transfers);
        for (int k = 0; k < _plan.Steps.Count; k++)
        {
            if (done.Contains(k))
            {
                continue;
            }
            if (k > 0 && _cancellation.IsCancellationRequested)
            {
                throw Interrupted(k);
            }
            EditStep step = _plan.Steps[k];
            _step = k;
            long before = _transferred;
            (string call, long from, long to) = Traced(step);
            (StepMethod? method, long copied) = _trace.Time(call, Role(step.A), from, step.Length, () => Execute(step), to);
            Transferred(before + Transfers(step)); // a copy into a hole skips the source's holes
            CrashSwitch.At("ran", k, FirstUserHandle());
            if (!SyncWithNext(k))
            {
                SyncAfter(step);
            }
            _unmarked.Add(k);
            if (MustRecord(k))
            {
                // Done lines go in order: those of the steps before it that needed none go with it.
                _trace.Time("done", "journal", k, _unmarked.Count, () => record.MarkDone(_unmarked));
                _unmarked.Clear();
            }
            CrashSwitch.At("done", k, FirstUserHandle());
            (StepMethod? m, long c) = _groups.GetValueOrDefault(step.Group, (StepMethod.Native, 0));
            _groups[step.Group] = (method ?? m, c + copied);
        }
    }

    /// <summary>
    /// Whether step <paramref name="k"/> must be recorded done before the next runs. Not a
    /// shift (collapse, insert): recovery tells by the file's size whether it happened
    /// (<see cref="Shift"/>, the sizes of a run of shifts all differ). Not the plan's last
    /// step: the record's removal says the edit ended, and every step can run again once the
    /// steps before it are done (a crash before the removal is durable runs it once more).
    /// Every other step is, with the steps before it that were not.
    /// </summary>
    private bool MustRecord(int k)
    {
        if (k == _plan.Steps.Count - 1)
        {
            return false;
        }
        EditStep s = _plan.Steps[k], next = _plan.Steps[k + 1];
        if (s.Kind == StepKind.Unlink || BeforeRestore(k))
        {
            return false; // removing a file again does nothing; see BeforeRestore
        }
        // A shift's size is its record only while nothing else changes that file's size:
        // the next step is a shift of its run, or writes into the file without growing it.
        return !IsShift(s) || !(InRun(s, next) || (next.Kind == StepKind.Write && next.A == s.A && next.Patches.All(p => p.Offset + p.Length <= SizeAfter(s))));
    }

    private static bool IsShift(EditStep s) => s.Kind is StepKind.Collapse or StepKind.Insert;

    /// <summary>
    /// Whether step <paramref name="k"/>, a shift, is made durable by the sync after the next
    /// step instead of its own: the next is a shift of the same kind on the same file, on a
    /// filesystem whose log commits in order (XFS, ext4), where a later shift cannot be
    /// durable without the earlier. A crash between them leaves the file at a size recovery
    /// places in the run (<see cref="Shift"/>).
    /// </summary>
    private bool SyncWithNext(int k)
    {
        if (BeforeRestore(k))
        {
            return true;
        }
        EditStep s = _plan.Steps[k];
        if (!IsShift(s) || k + 1 >= _plan.Steps.Count)
        {
            return false;
        }
        return InRun(s, _plan.Steps[k + 1]) && OrderedLog(s.A);
    }

    /// <summary>
    /// Whether step <paramref name="k"/> is a save of a tail into a sidecar, or the file's cut
    /// after the saves, on btrfs, that one restore of the sidecar into the file follows (an
    /// emulated collapse, <see cref="Plans.CollapseAll"/>): none of these is synced or recorded
    /// done on its own; the restore's sync and record cover them all. Recovery runs them again
    /// from the first: a save whose file was already cut (its size is no longer the one the
    /// save saw) is done, and a cut and a restore run again give the same file from the sidecar.
    /// btrfs makes changes durable a transaction at a time, or an fsynced file's state as a
    /// whole, so the file cannot be durably cut while the saves before are not; and the file
    /// is not synced before the restore.
    /// </summary>
    private bool BeforeRestore(int k)
    {
        EditStep s = _plan.Steps[k];
        bool save = s.Kind == StepKind.Save && s.SizeBefore >= 0;
        bool cutAfterSaves = s.Kind == StepKind.Truncate && k > 0 && _plan.Steps[k - 1] is { Kind: StepKind.Save, SizeBefore: >= 0 } last && last.A == s.A;
        if (!save && !cutAfterSaves)
        {
            return false;
        }
        for (int j = k + 1; j < _plan.Steps.Count; j++)
        {
            EditStep next = _plan.Steps[j];
            if (next.A != s.A || next.Kind is not (StepKind.Save or StepKind.Truncate or StepKind.Restore))
            {
                return false;
            }
            if (next.Kind == StepKind.Restore)
            {
                // Only where that restore is the sidecar's one reader: pieces put back one by
                // one (Plans.InsertAll) read it after the first is recorded done, so its saves
                // are synced and recorded on their own.
                bool only = !(j + 1 < _plan.Steps.Count && _plan.Steps[j + 1].Kind == StepKind.Restore && _plan.Steps[j + 1].B == next.B);
                return only && FileFacts.Of(Handle(s.A), Role(s.A)).FsMagic == FileFacts.BTRFS_SUPER_MAGIC;
            }
        }
        return false;
    }

    /// <summary>Whether <paramref name="next"/> is a shift of the same kind on the same file
    /// that starts where <paramref name="s"/> left it: the file's sizes along such a run all differ.</summary>
    private static bool InRun(EditStep s, EditStep next) =>
        IsShift(s) && next.Kind == s.Kind && next.A == s.A && next.SizeBefore == SizeAfter(s);

    private static long SizeAfter(EditStep s) => s.Kind == StepKind.Collapse ? s.SizeBefore - s.Length : s.SizeBefore + s.Length;

    private bool OrderedLog(int file) =>
        FileFacts.Of(Handle(file), Role(file)).FsMagic is FileFacts.XFS_SUPER_MAGIC or FileFacts.EXT4_SUPER_MAGIC;

    /// <summary>The bytes of data a step transfers, what <see cref="EditProgress"/> counts: a
    /// copy, a clone or a move of a range; the shifts, punches and renames only change metadata.</summary>
    private static long Transfers(EditStep s) => s.Kind is StepKind.Save or StepKind.Restore or StepKind.Copy or StepKind.Clone or StepKind.Move ? s.Length : 0;

    /// <summary>Tells the caller's progress that <paramref name="transferred"/> bytes of the edit are done.</summary>
    private void Transferred(long transferred)
    {
        if (transferred != _transferred)
        {
            _transferred = transferred;
            _progress?.Report(new EditProgress(transferred, _total));
        }
    }

    /// <summary>The edit stops before step <paramref name="k"/>: steps before it are durable
    /// and recorded, the record is kept for the rest.</summary>
    private EditInterruptedException Interrupted(int k) =>
        new(_plan.Name, k, _plan.Steps.Count, "steps", _plan.JournalDirectory, _cancellation);

    private EditResult Result() => new(_plan.Groups.Select(g => new EditStepResult(g.Group,
        _groups[g.Group].Method ?? throw new InvalidOperationException($"the {_plan.Name}'s step {g.Group} ran no Move to learn its method from"),
        _groups[g.Group].Copied)).ToList());

    /// <summary>Does one step. Returns the method where the step learns it (a Move) and the
    /// bytes it copied.</summary>
    private (StepMethod? Method, long Copied) Execute(EditStep s)
    {
        switch (s.Kind)
        {
            case StepKind.Collapse:
            case StepKind.Insert:
                return Shift(s);
            case StepKind.Save:
                if (_recovering && s.SizeBefore >= 0 && RandomAccess.GetLength(Handle(s.A)) != s.SizeBefore)
                {
                    return (null, 0); // the file was cut after it: the sidecar has what it saved
                }
                if (s.OffsetB == 0)
                {
                    Truncate(Handle(s.B, create: true), 0);
                }
                return (null, Transfer(s, Handle(s.A), s.OffsetA, Handle(s.B, create: true), s.OffsetB, intoHole: true));
            case StepKind.Truncate:
                Truncate(Handle(s.A), s.Length);
                return (null, 0);
            case StepKind.Restore:
                // The file was cut at or before OffsetA: the destination is past its end, or
                // (Plans.InsertAll, a piece put back after a later one) in a hole.
                return (null, Transfer(s, Handle(s.B), s.OffsetB, Handle(s.A), s.OffsetA, intoHole: true));
            case StepKind.Unlink:
                CloseHandle(s.A);
                File.Delete(_plan.Files[s.A].Path);
                return (null, 0);
            case StepKind.Copy:
                return (null, Transfer(s, Handle(s.A), s.OffsetA, Handle(s.B), s.OffsetB));
            case StepKind.Punch:
                Allocation.Punch(Handle(s.A), s.OffsetA, s.Length, $"punching the {Role(s.A)}");
                return (null, 0);
            case StepKind.Clone:
                CloneOperation.Clone(Handle(s.A), s.OffsetA, Handle(s.B), s.OffsetB, s.Length, $"FICLONERANGE from the {Role(s.A)} into the {Role(s.B)}");
                return (null, 0);
            case StepKind.Move:
                return _recovering ? MoveFinisher.Finish(Handle(s.A), s.OffsetA, Handle(s.B), s.OffsetB, s.Length) : Move(s);
            case StepKind.Create:
                Truncate(Handle(s.A, create: true), s.Length);
                return (null, 0);
            case StepKind.Rename:
                return Rename(s);
            case StepKind.Write:
                WritePatches(Handle(s.A), s.Patches, _trace, Role(s.A));
                return (null, 0);
            default:
                throw new InvalidOperationException($"unknown step {s.Kind}");
        }
    }

    private (StepMethod?, long) Move(EditStep s)
    {
        MoveResult r = MoveEdit.RunAsStep(Handle(s.A), s.OffsetA, Handle(s.B), s.OffsetB, s.Length, _flags,
            _progress is null ? null : new StepProgress(this, _transferred), _cancellation);
        if (r.MovedLength < s.Length)
        {
            // Cancelled inside the Move, at a chunk boundary: recovery finishes the step.
            throw Interrupted(_step);
        }
        return (r.Method.ToStepMethod(), r.BytesCopied);
    }

    private (StepMethod?, long) Shift(EditStep s)
    {
        bool collapse = s.Kind == StepKind.Collapse;
        long size = RandomAccess.GetLength(Handle(s.A));
        long after = SizeAfter(s);
        if (_recovering && RunSizes(_step).Contains(size))
        {
            return (null, 0); // it happened before the crash, and maybe the shifts after it too
        }
        if (size != s.SizeBefore)
        {
            throw new IOException($"the {Role(s.A)} is {size} bytes, neither the {s.SizeBefore} the {_plan.Name} started from nor the {after} it makes: it was changed by something else; the journal record {_plan.Id} is kept");
        }
        Allocation.Shift(Handle(s.A), collapse, s.OffsetA, s.Length, $"fallocate ({(collapse ? "collapse" : "insert")}) of the {Role(s.A)}");
        return (null, 0);
    }

    /// <summary>The sizes the file has after step <paramref name="k"/> and after each shift of
    /// the same kind on the same file that follows it in a run (none is recorded done until a
    /// later step is): a size among them says the step happened.</summary>
    private IEnumerable<long> RunSizes(int k)
    {
        EditStep s = _plan.Steps[k];
        yield return SizeAfter(s);
        for (int j = k + 1; j < _plan.Steps.Count && InRun(_plan.Steps[j - 1], _plan.Steps[j]); j++)
        {
            yield return SizeAfter(_plan.Steps[j]);
        }
    }

    private (StepMethod?, long) Rename(EditStep s)
    {
        string from = _plan.Files[s.A].Path;
        string to = _plan.Files[s.B].Path;
        CloseHandle(s.A);
        if (File.Exists(from))
        {
            File.Move(from, to, overwrite: false);
        }
        else if (!File.Exists(to))
        {
            throw new FileNotFoundException($"neither the {_plan.Name}'s output {from} nor its final name {to} exists; the journal record {_plan.Id} is kept");
        }
        return (null, 0);
    }

    /// <summary>How a step's call goes into the trace: its name, where from in file A (a
    /// restore: in its sidecar) and where to (a save, clone or copy: in file B; a restore: in
    /// A; else -1). A Write's own writes are traced one by one inside it.</summary>
    private static (string Call, long From, long To) Traced(EditStep s) => s.Kind switch
    {
        StepKind.Write => ("writes", 0, -1),
        StepKind.Truncate or StepKind.Unlink or StepKind.Create => (s.Kind.ToString().ToLowerInvariant(), 0, -1),
        StepKind.Restore => ("restore", s.OffsetB, s.OffsetA),
        StepKind.Save or StepKind.Clone or StepKind.Copy or StepKind.Move => (s.Kind.ToString().ToLowerInvariant(), s.OffsetA, s.OffsetB),
        _ => (s.Kind.ToString().ToLowerInvariant(), s.OffsetA, -1),
    };

    /// <summary>Writes each patch, its bytes repeated to fill its length, a bounded buffer at a time.</summary>
    private static void WritePatches(SafeFileHandle file, List<Patch> patches, EditTrace trace, string role)
    {
        if (patches.Count > 1)
        {
            // Many small writes far apart (a fragmented MP4's every fragment): their pages read together, not one wait each.
            PageCache.PrefetchPartialPages(file, patches.Select(p => (p.Offset, p.Length)));
        }
        foreach (Patch p in patches)
        {
            trace.Time("write", role, p.Offset, p.Length, () => WritePatch(file, p, role), p.Bytes);
        }
    }

    private static void WritePatch(SafeFileHandle file, Patch p, string role)
    {
        int unit = p.Bytes.Length;
        // Whole repetitions, so each write starts where the pattern starts.
        byte[] buffer = new byte[(int)Math.Min(p.Length, Math.Max(unit, 256 * 1024 / unit * unit))];
        for (int i = 0; i < buffer.Length; i += unit)
        {
            p.Bytes.AsSpan(0, Math.Min(unit, buffer.Length - i)).CopyTo(buffer.AsSpan(i));
        }
        for (long done = 0; done < p.Length; done += buffer.Length)
        {
            FileWrites.At(file, buffer.AsSpan(0, (int)Math.Min(buffer.Length, p.Length - done)), p.Offset + done, $"writing {p.Length} bytes at {p.Offset} of the {role}");
        }
    }

    /// <summary>Copies, or clones, the step's length; returns the bytes copied. Where the
    /// destination is known to be a hole (<paramref name="intoHole"/>), a copy skips the
    /// source's holes, so they stay holes and cost nothing.</summary>
    private long Transfer(EditStep s, SafeFileHandle src, long srcOffset, SafeFileHandle dst, long dstOffset, bool intoHole = false)
    {
        long length = s.Length;
        bool byClone = s.ByClone && s.Kind != StepKind.Copy;
        long start = _transferred;
        Action<long>? copiedSoFar = _progress is null ? null : n => Transferred(start + n);
        if (length == 0)
        {
            return 0;
        }
        if (byClone)
        {
            CloneOperation.Clone(src, srcOffset, dst, dstOffset, length, "FICLONERANGE");
            return 0;
        }
        if (!intoHole)
        {
            return RangeCopy.Copy(src, srcOffset, dst, dstOffset, length, copiedSoFar);
        }
        if (RandomAccess.GetLength(dst) < dstOffset + length)
        {
            RandomAccess.SetLength(dst, dstOffset + length);
        }
        long copied = 0;
        foreach ((long offset, long n) in Extents.DataSegments(src, srcOffset, srcOffset + length, "the source"))
        {
            copied += RangeCopy.Copy(src, offset, dst, dstOffset + (offset - srcOffset), n, copiedSoFar is null ? null : c => copiedSoFar(offset - srcOffset + c));
        }
        return copied;
    }

    /// <summary>A Move step's progress as the edit's: what the edit had transferred before it, plus the Move's bytes.</summary>
    private sealed class StepProgress(EditRunner runner, long before) : IProgress<long>
    {
        public void Report(long value) => runner.Transferred(before + value);
    }

    private void SyncAfter(EditStep s)
    {
        switch (s.Kind)
        {
            case StepKind.Unlink:
                // A sidecar's directory is the journal; a caller's file (a restore's saved parts) has its own.
                SyncDirectory(Path.GetDirectoryName(_plan.Files[s.A].Path) ?? "/");
                break;
            case StepKind.Rename:
                SyncDirectory(Path.GetDirectoryName(_plan.Files[s.B].Path) ?? "/");
                SyncDirectory(_plan.JournalDirectory);
                break;
            default:
                _trace.Time("fsync", Role(s.A), 0, 0, () => Durability.Sync(Handle(s.A), $"fsync of the {Role(s.A)}"));
                if (s.B >= 0 && s.Kind is not (StepKind.Write or StepKind.Restore)) // a Write's B is its payload, a Restore's its sidecar: only read
                {
                    _trace.Time("fsync", Role(s.B), 0, 0, () => Durability.Sync(Handle(s.B), $"fsync of the {Role(s.B)}"));
                }
                if (s.Kind is StepKind.Save or StepKind.Create)
                {
                    // The new file's name must survive too.
                    SyncDirectory(_plan.JournalDirectory);
                }
                break;
        }
    }

    private void SyncDirectory(string directory) => _trace.Time("fsync", "directory", 0, 0, () => Durability.SyncDirectory(directory));

    private SafeFileHandle Handle(int index, bool create = false)
    {
        if (_handles[index] is { IsClosed: false } h)
        {
            return h;
        }
        EditFile f = _plan.Files[index];
        SafeFileHandle handle;
        if (f.Kind == EditFileKind.Own && create && f.Role == "sidecar")
        {
            // A sidecar holds copies of the caller's data: like the record, for its owner only.
            handle = OwnFiles.Create(f.Path, $"creating {f.Path}", exclusive: false);
        }
        else
        {
            handle = f.Kind == EditFileKind.Own && create
                ? File.OpenHandle(f.Path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite)
                : File.OpenHandle(f.Path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        }
        _handles[index] = handle;
        _owned[index] = true;
        return handle;
    }

    private SafeFileHandle? FirstUserHandle()
    {
        int i = _plan.Files.FindIndex(f => f.Kind == EditFileKind.User);
        return i < 0 ? null : Handle(i);
    }

    private void CloseHandle(int index)
    {
        if (_owned[index])
        {
            _handles[index]?.Dispose();
            _handles[index] = null;
        }
    }

    private string Role(int index) => _plan.Files[index].Role;

    /// <summary>Refuses to recover onto files that are no longer the ones the edit began with.</summary>
    private void CheckIdentities()
    {
        for (int i = 0; i < _plan.Files.Count; i++)
        {
            EditFile f = _plan.Files[i];
            if (f.Kind != EditFileKind.User || Unlinked(i))
            {
                continue;
            }
            FileFacts facts = FileFacts.Of(Handle(i), f.Role);
            if (!FileIdentity.Of(facts).Matches(f))
            {
                throw new IOException($"{f.Path} is no longer the {f.Role} the {_plan.Name} began with (inode {f.Inode}, created at {f.Birth} ns); the journal record {_plan.Id} is kept");
            }
        }
    }

    /// <summary>Whether the caller's file <paramref name="index"/> is gone because the edit
    /// removes it (a restore's saved parts, its last step): then there is nothing to check,
    /// and running that step again removes nothing.</summary>
    private bool Unlinked(int index) =>
        _plan.Steps.Any(s => s.Kind == StepKind.Unlink && s.A == index) && !File.Exists(_plan.Files[index].Path);

    private void RemoveOwnFiles()
    {
        for (int i = 0; i < _plan.Files.Count; i++)
        {
            if (_plan.Files[i].Kind == EditFileKind.Own)
            {
                File.Delete(_plan.Files[i].Path);
            }
        }
        Durability.SyncDirectory(_plan.JournalDirectory);
    }

    private static void Truncate(SafeFileHandle handle, long length) => RandomAccess.SetLength(handle, length);

    public void Dispose()
    {
        for (int i = 0; i < _handles.Length; i++)
        {
            CloseHandle(i);
        }
    }
}

/// <summary>
/// Finishes a Move that a crash interrupted, whatever mechanism it was using: every block the
/// donor range still holds is transferred again (clone, or copy), overwriting what a partial
/// transfer left in the receiver; the receiver is synced; then the donor range is punched.
/// Blocks the donor no longer holds were moved and made durable before their punch.
/// </summary>
internal static class MoveFinisher
{
    internal static (StepMethod? Method, long Copied) Finish(SafeFileHandle donor, long donorOffset, SafeFileHandle receiver, long receiverOffset, long length)
    {
        long donorSize = RandomAccess.GetLength(donor);
        long end = Math.Min(donorOffset + length, donorSize);
        long copied = 0;
        bool clone = true;
        foreach (Segment seg in Extents.Map(donor, donorSize, "the donor").Where(s => s.Kind == SegmentKind.Data && s.End > donorOffset && s.Offset < end))
        {
            long from = Math.Max(seg.Offset, donorOffset);
            long to = Math.Min(seg.End, end);
            long at = receiverOffset + (from - donorOffset);
            if (clone && CloneOperation.TryClone(donor, from, receiver, at, to - from))
            {
                continue;
            }
            clone = false;
            copied += RangeCopy.Copy(donor, from, receiver, at, to - from);
        }
        Durability.Sync(receiver, "fsync of the receiver");
        Allocation.Punch(donor, donorOffset, length, "punching the donor range");
        Durability.SyncData(donor, "fdatasync of the donor");
        return (copied > 0 ? StepMethod.CopyPunch : StepMethod.ClonePunch, copied);
    }
}
