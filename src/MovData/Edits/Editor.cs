using Microsoft.Win32.SafeHandles;
using MovData.Native;
using MovData.Operations;

namespace MovData.Edits;

/// <summary>
/// The multi-step edits: each validates everything first, finishes any interrupted edit of
/// its files (their journal records), takes locks on the whole files, plans its steps,
/// refuses under ZeroCopyOnly if the plan copies more than edge blocks, and runs the plan
/// under an intent record.
/// </summary>
internal static class Editor
{
    internal static RangeResult Shift(SafeFileHandle file, long offset, long length, MoveFlags flags, bool collapse)
    {
        string name = collapse ? "collapse" : "insert";
        Validate.KnownFlags(flags);
        FileFacts f = FileFacts.Of(file, "file");
        Validate.Writable(f);
        Validate.NonNegative(offset, "offset");
        Validate.Positive(length, "length");
        RecoverFor(file);
        using RangeLocks locks = RangeLocks.Take((f, 0, 0));
        f = FileFacts.Of(file, "file"); // as it is now that this edit holds it
        CheckShiftRange(f, offset, length, collapse);
        Capabilities caps = Capabilities.For(f);
        long bs = f.BlockSize;
        bool aligned = offset % bs == 0 && length % bs == 0;
        if (aligned && (collapse ? caps.Collapse : caps.Insert) != false)
        {
            // One kernel call, atomic as far as the filesystem's log makes it: no record needed.
            int errno = Interop.Fallocate(file, collapse ? Interop.FALLOC_FL_COLLAPSE_RANGE : Interop.FALLOC_FL_INSERT_RANGE, offset, length);
            if (errno == 0)
            {
                return new RangeResult(length, RangeMethod.Native, 0);
            }
            if (!Interop.IsNotSupported(errno) && errno != Interop.EINVAL)
            {
                throw Interop.GetExceptionForErrno(errno, $"fallocate ({name})");
            }
            Capabilities.Remember(f.Device, c => collapse ? c with { Collapse = false } : c with { Insert = false });
            caps = Capabilities.For(f);
        }
        EditPlan plan = NewPlan(name, file);
        int fi = plan.AddFile(UserFile(f));
        if (collapse)
        {
            Plans.Collapse(plan, fi, f.Size, bs, caps, offset, length, name);
        }
        else
        {
            Plans.Insert(plan, fi, f.Size, bs, caps, offset, length, name);
        }
        RefuseCopying(plan, flags, $"{name} of {length} bytes at offset {offset}", f.FsType, bs);
        EditResult result = EditRunner.Run(plan, [file, null], [], flags, null);
        string method = plan.Groups[0].Method;
        return new RangeResult(length, method switch { "native" => RangeMethod.Native, "emulated" => RangeMethod.Emulated, _ => RangeMethod.Copy }, result.BytesCopied);
    }

    private static void CheckShiftRange(FileFacts f, long offset, long length, bool collapse)
    {
        if (collapse && (offset > long.MaxValue - length || offset + length >= f.Size))
        {
            throw new ContractViolationException(ContractRule.Range, nameof(offset),
                $"rule 5 (range): collapse needs offset + length < size; {offset} + {length} reaches the end of the file ({f.Size} bytes; block size {f.BlockSize}); truncate instead");
        }
        if (!collapse && offset >= f.Size)
        {
            throw new ContractViolationException(ContractRule.Range, nameof(offset),
                $"rule 5 (range): insert needs offset < size; {offset} is at or past the end of the file ({f.Size} bytes); extend with truncate instead");
        }
        if (!collapse && f.Size > long.MaxValue - length)
        {
            throw new ContractViolationException(ContractRule.Range, nameof(length),
                $"rule 5 (range): size {f.Size} + length {length} overflows a 64-bit offset");
        }
    }

    internal static EditResult Splice(SafeFileHandle donor, long donorOffset, SafeFileHandle receiver, long receiverOffset, long length, MoveFlags flags, IProgress<long>? progress)
    {
        (FileFacts d, FileFacts r) = Validate.DonorAndReceiver(donor, donorOffset, receiver, receiverOffset, length, flags);
        if (d.SameFileAs(r))
        {
            throw new ContractViolationException(ContractRule.Overlap, nameof(receiver),
                "a splice takes a range out of one file and into another; the donor and the receiver are the same file (to reorder within one file, splice through a second file)");
        }
        RecoverFor(donor, receiver);
        using RangeLocks locks = RangeLocks.Take((d, 0, 0), (r, 0, 0));
        d = FileFacts.Of(donor, "donor");
        r = FileFacts.Of(receiver, "receiver");
        long bs = Validate.BlockSize(d, r);
        if (donorOffset > d.Size - length)
        {
            throw new ContractViolationException(ContractRule.Range, nameof(donorOffset),
                $"rule 5 (range): the donor range [{donorOffset}, {donorOffset} + {length}) ends past the donor's size ({d.Size} bytes)");
        }
        if (receiverOffset > r.Size || r.Size > long.MaxValue - length)
        {
            throw new ContractViolationException(ContractRule.Range, nameof(receiverOffset),
                $"rule 5 (range): the receiver offset {receiverOffset} is past the receiver's end ({r.Size} bytes), or its size would overflow");
        }
        Capabilities dc = Capabilities.For(d);
        Capabilities rc = Capabilities.For(r);
        bool zeroCopy = d.Device == r.Device && (rc.Exchange == true || rc.Reflink == true);
        EditPlan plan = NewPlan("splice", receiver);
        int di = plan.AddFile(UserFile(d));
        int ri = plan.AddFile(UserFile(r));
        Plans.Insert(plan, ri, r.Size, bs, rc, receiverOffset, length, "insert");
        Plans.Transfer(plan, di, donorOffset, ri, receiverOffset, length, bs, move: true, zeroCopy, punchEdges: false, "move");
        Plans.Collapse(plan, di, d.Size, bs, dc, donorOffset, length, "collapse");
        RefuseCopying(plan, flags, $"splice of {length} bytes", d.Device == r.Device ? r.FsType : $"{d.FsType} and {r.FsType}", bs, zeroCopy);
        return EditRunner.Run(plan, [donor, receiver, null, null], DirectoriesOf(donor), flags, progress);
    }

    internal static EditResult Concat(string output, IReadOnlyList<ConcatPart> parts, bool move, MoveFlags flags, IProgress<long>? progress)
    {
        Validate.KnownFlags(flags);
        ArgumentException.ThrowIfNullOrEmpty(output);
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0)
        {
            throw new ContractViolationException(ContractRule.Range, nameof(parts), "concat needs at least one part");
        }
        string target = Path.GetFullPath(output);
        if (File.Exists(target) || Directory.Exists(target))
        {
            throw new IOException($"{output} exists; concat makes a new file and never replaces one", Interop.EEXIST);
        }
        string outDir = Path.GetDirectoryName(target) ?? "/";
        var handles = new List<SafeFileHandle>();
        try
        {
            var facts = new List<FileFacts>();
            foreach (ConcatPart part in parts)
            {
                ArgumentNullException.ThrowIfNull(part);
                SafeFileHandle h = move ? FileRange.OpenForEdit(part.Path, "part") : OpenForRead(part.Path);
                handles.Add(h);
                FileFacts f = FileFacts.Of(h, "part");
                if (move)
                {
                    Validate.Writable(f);
                }
                else
                {
                    Validate.Readable(f);
                }
                facts.Add(f);
            }
            RecoverFor([.. handles]);
            int errno = Interop.StatxPath(outDir, out Interop.Statx st);
            if (errno == 0)
            {
                errno = Interop.StatFsPath(outDir, out Interop.StatFs fs);
                if (errno == 0)
                {
                    return ConcatLocked(target, outDir, ((ulong)st.DevMajor << 32) | st.DevMinor, fs, parts, handles, facts, move, flags, progress);
                }
            }
            throw Interop.GetExceptionForErrno(errno, $"statfs of {outDir}");
        }
        finally
        {
            handles.ForEach(h => h.Dispose());
        }
    }

    private static EditResult ConcatLocked(string target, string outDir, ulong outDevice, Interop.StatFs fs, IReadOnlyList<ConcatPart> parts,
        List<SafeFileHandle> handles, List<FileFacts> facts, bool move, MoveFlags flags, IProgress<long>? progress)
    {
        var ranges = new List<(long Offset, long Length)>();
        for (int i = 0; i < parts.Count; i++)
        {
            long offset = parts[i].Offset;
            long length = parts[i].Length ?? facts[i].Size - offset;
            Validate.NonNegative(offset, $"parts[{i}].Offset");
            Validate.Positive(length, $"parts[{i}].Length");
            if (offset > facts[i].Size - length)
            {
                throw new ContractViolationException(ContractRule.Range, $"parts[{i}]",
                    $"rule 5 (range): part {i + 1} ({parts[i].Path}) [{offset}, {offset} + {length}) ends past its size ({facts[i].Size} bytes)");
            }
            for (int j = 0; move && j < i; j++)
            {
                if (facts[j].SameFileAs(facts[i]) && offset < ranges[j].Offset + ranges[j].Length && ranges[j].Offset < offset + length)
                {
                    throw new ContractViolationException(ContractRule.Overlap, $"parts[{i}]",
                        $"parts {j + 1} and {i + 1} overlap in {parts[i].Path}; a byte can be moved only once");
                }
            }
            ranges.Add((offset, length));
        }
        long total = ranges.Aggregate(0L, (sum, r) => sum > long.MaxValue - r.Length
            ? throw new ContractViolationException(ContractRule.Range, nameof(parts), "the parts' lengths add up past a 64-bit size")
            : sum + r.Length);
        using RangeLocks? locks = move ? RangeLocks.Take([.. facts.Select((f, i) => (f, ranges[i].Offset, ranges[i].Length))]) : null;
        Capabilities oc = Capabilities.ForDirectory(outDir, outDevice, fs.Bsize);
        long bs = Math.Max(fs.Bsize, facts.Max(f => f.BlockSize));
        string journal = JournalRecord.DirectoryFor(outDir);
        var plan = new EditPlan("concat", JournalRecord.NewId(), journal) { Discard = !move };
        var fileIndex = new int[parts.Count];
        for (int i = 0; i < parts.Count; i++)
        {
            fileIndex[i] = plan.AddFile(UserFile(facts[i]));
        }
        int outFile = plan.AddFile(new EditFile("output", EditFileKind.Own, 0, 0, Path.Combine(journal, $"{plan.Id}.out")));
        int targetFile = plan.AddFile(new EditFile("output", EditFileKind.Target, 0, 0, target));
        plan.Add(new EditStep(StepKind.Create, "create", outFile, 0, -1, 0, total));
        plan.Group("create", "native");
        long cursor = 0;
        bool allZeroCopy = true;
        for (int i = 0; i < parts.Count; i++)
        {
            bool zeroCopy = facts[i].Device == outDevice && (move ? oc.Exchange == true || oc.Reflink == true : oc.Reflink == true);
            allZeroCopy &= zeroCopy;
            Plans.Transfer(plan, fileIndex[i], ranges[i].Offset, outFile, cursor, ranges[i].Length, bs, move, zeroCopy, punchEdges: true, $"part-{i + 1}");
            cursor += ranges[i].Length;
        }
        plan.Add(new EditStep(StepKind.Rename, "rename", outFile, 0, targetFile, 0, 0));
        plan.Group("rename", "native");
        RefuseCopying(plan, flags, $"concat of {parts.Count} parts", FileFacts.FsTypeName(fs.Type), bs, allZeroCopy);
        var planHandles = new SafeFileHandle?[plan.Files.Count];
        for (int i = 0; i < parts.Count; i++)
        {
            planHandles[fileIndex[i]] = handles[i];
        }
        return EditRunner.Run(plan, planHandles, handles.SelectMany(DirectoriesOf), flags, progress);
    }

    /// <summary>The seed's Move, with an intent record where the mechanism is not atomic
    /// (clone-punch, copy-punch), so that a crash part-way is finished by recovery.</summary>
    internal static MoveResult Move(SafeFileHandle donor, long donorOffset, SafeFileHandle receiver, long receiverOffset, long length, MoveFlags flags, IProgress<long>? progress)
    {
        // Each file's path is read once here (a readlink of /proc/self/fd): the recovery check,
        // the record and its second name all use it.
        string? donorPath = Capabilities.PathOf(donor), receiverPath = Capabilities.PathOf(receiver);
        RecoverFor([(donor, donorPath), (receiver, receiverPath)]);
        JournalRecord? record = null;
        bool reported = false;
        var crashable = new CrashProgress(progress, () =>
        {
            if (!reported && record is not null)
            {
                reported = true;
                CrashSwitch.At("ran", 0, donor);
            }
        });
        try
        {
            MoveResult result = MoveEngine.Move(donor, donorOffset, receiver, receiverOffset, length, flags, crashable, beforeChange: (job, method) =>
            {
                if (method == MoveMethod.ExchangeRange || record is not null)
                {
                    return; // one logged operation: a crash leaves all or nothing
                }
                if (receiverPath is null)
                {
                    return; // no path to keep a record by; clone-punch and copy-punch still lose nothing
                }
                var plan = new EditPlan("move", JournalRecord.NewId(), JournalRecord.DirectoryFor(Path.GetDirectoryName(receiverPath)!));
                FileFacts r = job.Receiver;
                plan.AddFile(UserFile(job.Donor, donorPath));
                plan.AddFile(UserFile(r, receiverPath));
                plan.Add(new EditStep(StepKind.Move, "move", 0, donorOffset, 1, receiverOffset, length));
                plan.Group("move", "move");
                // Both mechanisms sync the receiver before they touch the donor, and on XFS and
                // ext4 nothing they do to the receiver can be durable before the record, which
                // that sync makes durable too (JournalRecord.Begin).
                bool orderedLog = r.FsMagic is FileFacts.XFS_SUPER_MAGIC or FileFacts.EXT4_SUPER_MAGIC;
                record = JournalRecord.Begin(plan, JournalsOf(donorPath), durableWithNextSync: orderedLog);
                CrashSwitch.At("done", -1, donor);
            });
            if (record is not null)
            {
                CrashSwitch.At("done", 0, donor);
            }
            record?.Complete();
            return result;
        }
        catch (Exception e) when (e is MoveIncompleteException or FileSystemNotSupportedException or ContractViolationException)
        {
            // The mechanisms leave the files consistent on these (a partial move is whole
            // chunks, reported): nothing to finish.
            record?.Complete();
            throw;
        }
        catch
        {
            // Anything else (a progress callback that threw, say) may have stopped between
            // the receiver's copy and the donor's punch: keep the record, so that recovery, or
            // the next edit of these files, finishes the move.
            record?.Dispose();
            throw;
        }
    }

    /// <summary>Finishes every interrupted edit in the journal next to <paramref name="path"/>
    /// (a directory, or a file: then only the edits of that file).</summary>
    internal static IReadOnlyList<RecoveredEdit> Recover(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        FileIdentity? only = null;
        string dir = full;
        if (!Directory.Exists(full))
        {
            int errno = Interop.StatxPath(full, out Interop.Statx st);
            if (errno != 0)
            {
                throw Interop.GetExceptionForErrno(errno, $"statx of {path}");
            }
            only = FileIdentity.Of(st);
            dir = Path.GetDirectoryName(full) ?? "/";
        }
        var outcomes = new List<RecoveredEdit>();
        JournalRecord.RemoveAbandonedDrafts(JournalRecord.DirectoryFor(dir));
        foreach (string record in Records(JournalRecord.DirectoryFor(dir)))
        {
            RecoveredEdit? outcome = RecoverOne(record, wait: false, only is { } o ? [o] : null);
            if (outcome is not null)
            {
                outcomes.Add(outcome);
            }
        }
        try
        {
            // A crash can leave the directory behind without a record in it (its name was
            // durable, the record's was not).
            Directory.Delete(JournalRecord.DirectoryFor(dir));
        }
        catch (IOException)
        {
            // Not there, or records are kept in it.
        }
        return outcomes;
    }

    /// <summary>Finishes the interrupted edits of these files before a new edit of them
    /// starts; waits for one that is running now.</summary>
    /// <exception cref="EditIncompleteException">One could not be finished.</exception>
    internal static void RecoverFor(params SafeFileHandle[] files) =>
        RecoverFor(files.Select(h => (h, Capabilities.PathOf(h))));

    private static void RecoverFor(IEnumerable<(SafeFileHandle Handle, string? Path)> files)
    {
        List<FileIdentity> ids = [];
        List<string> journals = [];
        foreach ((SafeFileHandle h, string? path) in files)
        {
            if (h is null || h.IsInvalid || h.IsClosed || Interop.FStatx(h, out Interop.Statx st) != 0)
            {
                continue; // the edit's own validation reports it
            }
            ids.Add(FileIdentity.Of(st));
            journals.AddRange(JournalsOf(path));
        }
        foreach (string record in journals.Distinct().SelectMany(Records))
        {
            RecoveredEdit? outcome = RecoverOne(record, wait: true, ids);
            if (outcome is { Outcome: RecoveryOutcome.Failed })
            {
                throw new EditIncompleteException(
                    $"an interrupted {outcome.Edit} of these files could not be finished, so this edit did not start: {outcome.Detail}; see `movdata recover`");
            }
        }
    }

    private static RecoveredEdit? RecoverOne(string path, bool wait, List<FileIdentity>? only)
    {
        string id = Path.GetFileNameWithoutExtension(path);
        if (only is not null)
        {
            // Read without the lock first: a live edit of other files is not waited for.
            string peek;
            try
            {
                peek = File.ReadAllText(path);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                return null;
            }
            EditPlan? seen = EditPlan.Parse(peek, id, out _);
            if (seen is not null && !seen.Files.Any(f => f.Kind == EditFileKind.User && only.Any(id => id.Matches(f))))
            {
                return null;
            }
        }
        using JournalRecord? record = JournalRecord.Open(path, wait, out string text);
        if (record is null)
        {
            return File.Exists(path) ? new RecoveredEdit(path, "?", RecoveryOutcome.InProgress, "another process holds this record: its edit is running") : null;
        }
        EditPlan? plan = EditPlan.Parse(text, id, out HashSet<int> done);
        if (plan is null)
        {
            // Cut short before "begin": the edit never changed anything.
            record.Complete();
            return new RecoveredEdit(path, "?", RecoveryOutcome.Discarded, "the record was incomplete: the edit had not begun");
        }
        string files = string.Join(", ", plan.Files.Where(f => f.Kind != EditFileKind.Own).Select(f => $"{f.Role} {f.Path}"));
        record.AddNames(plan.Files.Where(f => f.Kind == EditFileKind.User)
            .Select(f => Path.Combine(JournalRecord.DirectoryFor(Path.GetDirectoryName(f.Path) ?? "/"), id + JournalRecord.Extension))
            .Where(File.Exists));
        try
        {
            bool finished = EditRunner.Resume(plan, record, done);
            return new RecoveredEdit(path, plan.Name, finished ? RecoveryOutcome.Finished : RecoveryOutcome.Discarded, files);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FileSystemNotSupportedException or MoveIncompleteException or ArgumentException)
        {
            return new RecoveredEdit(path, plan.Name, RecoveryOutcome.Failed, $"{files}: {e.Message}");
        }
    }

    private static IEnumerable<string> Records(string journalDirectory)
    {
        if (!Directory.Exists(journalDirectory))
        {
            return []; // the common case, and one stat: no exception thrown and caught per edit
        }
        try
        {
            return Directory.GetFiles(journalDirectory, "*" + JournalRecord.Extension).Order(StringComparer.Ordinal);
        }
        catch (DirectoryNotFoundException)
        {
            return []; // none, or the last edit's record was just removed with its directory
        }
    }

    internal static EditPlan NewPlan(string name, SafeFileHandle home)
    {
        string dir = Capabilities.DirectoryOf(home)
            ?? throw new IOException($"a {name} keeps a journal next to the file, and this file has no path (deleted, or /proc is missing)");
        return new EditPlan(name, JournalRecord.NewId(), JournalRecord.DirectoryFor(dir));
    }

    internal static IEnumerable<string> DirectoriesOf(SafeFileHandle h) => JournalsOf(Capabilities.PathOf(h));

    /// <summary>The journal next to a file's path; none for a file with no path.</summary>
    private static IEnumerable<string> JournalsOf(string? path) =>
        path is not null ? [JournalRecord.DirectoryFor(Path.GetDirectoryName(path)!)] : [];

    /// <summary>A caller's file as a record names it; <paramref name="path"/> when the caller
    /// has read it already (a file with no path gets none, and recovery will refuse it).</summary>
    internal static EditFile UserFile(FileFacts f, string? path = null) =>
        new(f.Role, EditFileKind.User, f.Device, f.Inode, path ?? Capabilities.PathOf(f.Handle) ?? "", f.BirthNanoseconds);

    private static SafeFileHandle OpenForRead(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            throw new ContractViolationException(ContractRule.FileKind, nameof(path), $"the part {path} is a directory; range operations need regular files");
        }
        return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
    }

    internal static void RefuseCopying(EditPlan plan, MoveFlags flags, string what, string fsType, long bs, bool zeroCopy = true)
    {
        if ((flags & MoveFlags.ZeroCopyOnly) == 0)
        {
            return;
        }
        if (Plans.CopiesData(plan) || (!zeroCopy && plan.Steps.Any(s => s.Kind == StepKind.Move)))
        {
            throw new FileSystemNotSupportedException(
                $"the {what} cannot be done without copying on {fsType}: a length that is not a multiple of the block size ({bs}), offsets that sit differently in their blocks, or a filesystem without clones or collapse/insert; ZeroCopyOnly forbids that; nothing was changed");
        }
    }

    /// <summary>Passes progress on, and gives the crash switch its point inside a Move.</summary>
    private sealed class CrashProgress(IProgress<long>? inner, Action onReport) : IProgress<long>
    {
        public void Report(long value)
        {
            onReport();
            inner?.Report(value);
        }
    }
}

/// <summary>
/// What tells one file from another across a crash: its inode number and creation time (statx
/// btime, where the filesystem keeps one). Not the device number: a loop device or a disk can
/// come back under another number after a reboot, and the record is found next to the file
/// anyway, on its filesystem.
/// </summary>
internal readonly record struct FileIdentity(ulong Inode, long Birth)
{
    internal static FileIdentity Of(in Interop.Statx st) =>
        new(st.Ino, (st.Mask & Interop.STATX_BTIME) != 0 ? st.Btime.Sec * 1_000_000_000 + st.Btime.Nsec : 0);

    internal static FileIdentity Of(FileFacts f) => new(f.Inode, f.BirthNanoseconds);

    /// <summary>The same file as the record's, where both creation times are known; the same
    /// inode number where one is not.</summary>
    internal bool Matches(EditFile f) => Inode == f.Inode && (Birth == 0 || f.Birth == 0 || Birth == f.Birth);
}
