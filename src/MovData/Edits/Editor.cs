using Microsoft.Win32.SafeHandles;
using MovData.Native;
using MovData.Operations;

namespace MovData.Edits;

/// <summary>
/// The multi-step edits: each validates everything first, finishes any interrupted edit of
/// its files (<see cref="Recovery"/>), takes locks on the whole files, plans its steps,
/// refuses under ZeroCopyOnly if the plan copies more than edge blocks, and runs the plan
/// under an intent record. The Move has its own file, <see cref="MoveEdit"/>.
/// </summary>
internal static class Editor
{
    internal static RangeResult Shift(SafeFileHandle file, long offset, long length, MoveFlags flags, bool collapse, CancellationToken cancellation)
    {
        string name = collapse ? "collapse" : "insert";
        Validate.KnownFlags(flags);
        FileFacts f = FileFacts.Of(file, "file");
        Validate.Writable(f);
        Validate.NonNegative(offset, "offset");
        Validate.Positive(length, "length");
        IReadOnlyList<RecoveredEdit> recovered = Recovery.ForFiles(file);
        cancellation.ThrowIfCancellationRequested();
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
                return new RangeResult(length, RangeMethod.Native, 0) { Recovered = recovered };
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
        EditResult result = EditRunner.Run(plan, [file, null], [], flags, null, cancellation);
        string method = plan.Groups[0].Method;
        return new RangeResult(length, method switch { "native" => RangeMethod.Native, "emulated" => RangeMethod.Emulated, _ => RangeMethod.Copy }, result.BytesCopied) { Recovered = recovered };
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

    internal static EditResult Splice(SafeFileHandle donor, long donorOffset, SafeFileHandle receiver, long receiverOffset, long length, MoveFlags flags, IProgress<long>? progress, CancellationToken cancellation)
    {
        (FileFacts d, FileFacts r) = Validate.DonorAndReceiver(donor, donorOffset, receiver, receiverOffset, length, flags);
        if (d.SameFileAs(r))
        {
            throw new ContractViolationException(ContractRule.Overlap, nameof(receiver),
                "a splice takes a range out of one file and into another; the donor and the receiver are the same file (to reorder within one file, splice through a second file)");
        }
        IReadOnlyList<RecoveredEdit> recovered = Recovery.ForFiles(donor, receiver);
        cancellation.ThrowIfCancellationRequested();
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
        return EditRunner.Run(plan, [donor, receiver, null, null], DirectoriesOf(donor), flags, progress, cancellation) with { Recovered = recovered };
    }

    internal static EditResult Concat(string output, IReadOnlyList<ConcatPart> parts, bool move, MoveFlags flags, IProgress<long>? progress, CancellationToken cancellation)
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
            IReadOnlyList<RecoveredEdit> recovered = Recovery.ForFiles([.. handles]);
            cancellation.ThrowIfCancellationRequested();
            int errno = Interop.StatxPath(outDir, out Interop.Statx st);
            if (errno == 0)
            {
                errno = Interop.StatFsPath(outDir, out Interop.StatFs fs);
                if (errno == 0)
                {
                    return ConcatLocked(target, outDir, ((ulong)st.DevMajor << 32) | st.DevMinor, fs, parts, handles, facts, move, flags, progress, cancellation) with { Recovered = recovered };
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
        List<SafeFileHandle> handles, List<FileFacts> facts, bool move, MoveFlags flags, IProgress<long>? progress, CancellationToken cancellation)
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
        return EditRunner.Run(plan, planHandles, handles.SelectMany(DirectoriesOf), flags, progress, cancellation);
    }

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
}
