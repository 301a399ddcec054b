using Microsoft.Win32.SafeHandles;
using MovData.Operations;

namespace MovData.Edits;

/// <summary>
/// A new file from ranges of others, in order: built aside in the journal directory by clones
/// (or moves, or copies from an unaligned boundary on), then renamed into place, so it
/// appears whole or not at all.
/// </summary>
internal static class ConcatEdit
{
    internal static EditResult Run(string output, IReadOnlyList<ConcatPart> parts, bool move, MoveFlags flags, IProgress<EditProgress>? progress, CancellationToken cancellation)
    {
        Validate.KnownFlags(flags);
        ArgumentException.ThrowIfNullOrEmpty(output);
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0)
        {
            throw Validate.OutOfRange(nameof(parts), "concat needs at least one part");
        }
        string target = Path.GetFullPath(output);
        Validate.Absent(target, output, "concat makes a new file and never replaces one");
        string outDir = Path.GetDirectoryName(target) ?? "/";
        var handles = new List<SafeFileHandle>();
        try
        {
            var facts = new List<FileFacts>();
            foreach (ConcatPart part in parts)
            {
                ArgumentNullException.ThrowIfNull(part);
                SafeFileHandle h = move ? FileRange.OpenForEdit(part.Path, "part") : FileRange.OpenForRead(part.Path, "part");
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
            return ConcatLocked(target, outDir, DirectoryFacts.Of(outDir), parts, handles, facts, move, flags, progress, cancellation) with { Recovered = recovered };
        }
        finally
        {
            handles.ForEach(h => h.Dispose());
        }
    }

    private static EditResult ConcatLocked(string target, string outDir, DirectoryFacts od, IReadOnlyList<ConcatPart> parts,
        List<SafeFileHandle> handles, List<FileFacts> facts, bool move, MoveFlags flags, IProgress<EditProgress>? progress, CancellationToken cancellation)
    {
        var ranges = new List<(long Offset, long Length)>();
        for (int i = 0; i < parts.Count; i++)
        {
            long offset = parts[i].Offset;
            long length = parts[i].Length ?? facts[i].Size - offset;
            Validate.NonNegative(offset, $"parts[{i}].Offset");
            Validate.Positive(length, $"parts[{i}].Length");
            Validate.WithinSize(facts[i], offset, length, $"parts[{i}].Offset", what: $"part {i + 1} ({parts[i].Path})");
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
            ? throw Validate.OutOfRange(nameof(parts), "the parts' lengths add up past a 64-bit size")
            : sum + r.Length);
        using RangeLocks? locks = move ? RangeLocks.Take([.. facts.Select((f, i) => (f, ranges[i].Offset, ranges[i].Length))]) : null;
        Capabilities oc = Capabilities.ForDirectory(outDir, od.Device, od.BlockSize);
        long bs = Math.Max(od.BlockSize, facts.Max(f => f.BlockSize));
        string journal = JournalRecord.DirectoryFor(outDir);
        var plan = new EditPlan("concat", JournalRecord.NewId(), journal) { Discard = !move };
        var fileIndex = new int[parts.Count];
        for (int i = 0; i < parts.Count; i++)
        {
            fileIndex[i] = plan.AddFile(Editor.UserFile(facts[i]));
        }
        int outFile = plan.AddFile(new EditFile("output", EditFileKind.Own, 0, 0, Path.Combine(journal, $"{plan.Id}.out")));
        int targetFile = plan.AddFile(new EditFile("output", EditFileKind.Target, 0, 0, target));
        plan.Add(new EditStep(StepKind.Create, "create", outFile, 0, -1, 0, total));
        plan.Group("create", StepMethod.Native);
        long cursor = 0;
        bool allZeroCopy = true;
        for (int i = 0; i < parts.Count; i++)
        {
            bool zeroCopy = facts[i].Device == od.Device && (move ? oc.Exchange == true || oc.Reflink == true : oc.Reflink == true);
            allZeroCopy &= zeroCopy;
            Plans.Transfer(plan, fileIndex[i], ranges[i].Offset, outFile, cursor, ranges[i].Length, bs, move, zeroCopy, punchEdges: true, $"part-{i + 1}");
            cursor += ranges[i].Length;
        }
        plan.Add(new EditStep(StepKind.Rename, "rename", outFile, 0, targetFile, 0, 0));
        plan.Group("rename", StepMethod.Native);
        Editor.RefuseCopying(plan, flags, $"concat of {parts.Count} parts", od.FsType, bs, allZeroCopy);
        var planHandles = new SafeFileHandle?[plan.Files.Count];
        for (int i = 0; i < parts.Count; i++)
        {
            planHandles[fileIndex[i]] = handles[i];
        }
        return EditRunner.Run(plan, planHandles, handles.SelectMany(Editor.DirectoriesOf), flags, progress, cancellation: cancellation);
    }
}
