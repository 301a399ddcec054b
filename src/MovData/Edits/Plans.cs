using Microsoft.Win32.SafeHandles;
using MovData.Operations;

namespace MovData.Edits;

/// <summary>
/// Turns an edit into steps. Block-aligned work is done on extents (native fallocate, or
/// clones); only the partial blocks at unaligned edges are copied, at most two per file; a
/// length that is not a multiple of the block size shifts every later byte within its block,
/// so the tail is rewritten by copying.
/// </summary>
internal static class Plans
{
    /// <summary>Removes [offset, offset+length) of file <paramref name="f"/>; its size shrinks.</summary>
    internal static void Collapse(EditPlan p, int f, long size, long bs, Capabilities caps, long offset, long length, string group)
    {
        if (offset + length == size)
        {
            p.Add(new EditStep(StepKind.Truncate, group, f, 0, -1, 0, offset));
            p.Group(group, StepMethod.Native);
            return;
        }
        if (length % bs != 0)
        {
            ViaSidecar(p, f, size, offset, length, collapse: true, byClone: false, group);
            return;
        }
        // The head of the first block, [o, offset), is kept: copy it over the start of the
        // block that will slide down into its place, then collapse whole blocks.
        long edge = offset % bs;
        long o = offset - edge;
        if (edge > 0)
        {
            p.Add(new EditStep(StepKind.Copy, group, f, o, f, o + length, edge));
        }
        AlignedShift(p, f, size, caps, o, length, collapse: true, group);
    }

    /// <summary>Inserts a hole of <paramref name="length"/> bytes at <paramref name="offset"/>
    /// of file <paramref name="f"/> (at the end: extends it); its size grows.</summary>
    internal static void Insert(EditPlan p, int f, long size, long bs, Capabilities caps, long offset, long length, string group)
    {
        if (offset == size)
        {
            p.Add(new EditStep(StepKind.Truncate, group, f, 0, -1, 0, size + length));
            p.Group(group, StepMethod.Native);
            return;
        }
        if (length % bs != 0)
        {
            ViaSidecar(p, f, size, offset, length, collapse: false, byClone: false, group);
            return;
        }
        // Insert whole blocks before the block holding offset, then bring that block's head,
        // [o, offset), back down in front of the hole and zero where it was.
        long edge = offset % bs;
        long o = offset - edge;
        AlignedShift(p, f, size, caps, o, length, collapse: false, group);
        if (edge > 0)
        {
            p.Add(new EditStep(StepKind.Copy, group, f, o + length, f, o, edge));
            p.Add(new EditStep(StepKind.Punch, group, f, o + length, -1, 0, edge));
        }
    }

    private static void AlignedShift(EditPlan p, int f, long size, Capabilities caps, long offset, long length, bool collapse, string group)
    {
        if ((collapse ? caps.Collapse : caps.Insert) == true)
        {
            p.Add(new EditStep(collapse ? StepKind.Collapse : StepKind.Insert, group, f, offset, -1, 0, length, size));
            p.Group(group, StepMethod.Native);
            return;
        }
        ViaSidecar(p, f, size, offset, length, collapse, byClone: caps.Reflink == true, group);
    }

    /// <summary>
    /// Shifts the tail through a sidecar file: save the tail aside, cut the file at the edit,
    /// put the tail back at its new place, drop the sidecar. With clones (btrfs) no data is
    /// copied. This is always four steps and two clones. Shifting within the file instead
    /// (FICLONERANGE refuses overlapping ranges of one file, so in steps no longer than the
    /// shift) takes ceil(tail / length) clones, fewer only when the tail fits in one step, and
    /// btrfs refuses to clone a file's unaligned last block anywhere but at the end of the
    /// destination; the sidecar puts it there every time, since the file is cut first.
    /// Every step can run again after a crash: the tail is intact in the file until the cut,
    /// and in the sidecar after it.
    /// </summary>
    private static void ViaSidecar(EditPlan p, int f, long size, long offset, long length, bool collapse, bool byClone, string group)
    {
        long from = collapse ? offset + length : offset;
        long to = collapse ? offset : offset + length;
        long tail = size - from;
        int s = p.AddSidecar();
        // The size before says, on recovery, whether the file was cut after the save (it happened).
        p.Add(new EditStep(StepKind.Save, group, f, from, s, 0, tail, size, ByClone: byClone));
        p.Add(new EditStep(StepKind.Truncate, group, f, 0, -1, 0, offset));
        p.Add(new EditStep(StepKind.Restore, group, f, to, s, 0, tail, ByClone: byClone));
        p.Add(new EditStep(StepKind.Unlink, group, s, 0, -1, 0, 0));
        p.Group(group, byClone ? StepMethod.Emulated : StepMethod.Copy);
    }

    /// <summary>
    /// Removes several block-aligned ranges of file <paramref name="f"/> (in file order, none
    /// reaching its end) in one shift: natively one collapse each, from the last to the first;
    /// where the filesystem has no collapse, what lies between and after them is saved into
    /// one sidecar, packed, the file cut at the first range and the sidecar put back, so the
    /// tail is cloned (or copied) twice in all, not twice per range.
    /// </summary>
    internal static void CollapseAll(EditPlan p, int f, long size, long bs, Capabilities caps, IReadOnlyList<(long Offset, long Length)> ranges, string group)
    {
        if (caps.Collapse == true || ranges.Count < 2)
        {
            foreach ((long offset, long length) in ranges.Reverse())
            {
                Collapse(p, f, size, bs, caps, offset, length, group);
                size -= length;
            }
            return;
        }
        bool byClone = caps.Reflink == true;
        int sidecar = p.AddSidecar();
        long packed = 0;
        for (int i = 0; i < ranges.Count; i++)
        {
            long from = ranges[i].Offset + ranges[i].Length;
            long to = i + 1 < ranges.Count ? ranges[i + 1].Offset : size;
            // Every piece but the last is whole blocks; the last ends at the end of both files,
            // where btrfs allows an unaligned last block to be cloned.
            p.Add(new EditStep(StepKind.Save, group, f, from, sidecar, packed, to - from, size, ByClone: byClone));
            packed += to - from;
        }
        p.Add(new EditStep(StepKind.Truncate, group, f, 0, -1, 0, ranges[0].Offset));
        p.Add(new EditStep(StepKind.Restore, group, f, ranges[0].Offset, sidecar, 0, packed, ByClone: byClone));
        p.Add(new EditStep(StepKind.Unlink, group, sidecar, 0, -1, 0, 0));
        p.Group(group, byClone ? StepMethod.Emulated : StepMethod.Copy);
    }

    /// <summary>
    /// Inserts several block-aligned holes into file <paramref name="f"/> (in file order, each
    /// offset where the hole starts once those before it are in, none at the end): natively
    /// one insert each; where the filesystem has no insert, the tail from the first hole on is
    /// saved into one sidecar, the file cut there, and each piece between two holes put back
    /// where it goes, so the tail is cloned (or copied) twice in all, not twice per hole: the
    /// mirror of <see cref="CollapseAll"/>, which a restore undoes.
    /// </summary>
    /// <remarks>The pieces go back last first: the first makes the file its final size, larger
    /// than it was, so the file is never again the size the save saw, which is how recovery
    /// tells that the save is done (put back first first, the file could pass through that
    /// size, and a save run again would take the half-restored file for the tail).</remarks>
    internal static void InsertAll(EditPlan p, int f, long size, long bs, Capabilities caps, IReadOnlyList<(long Offset, long Length)> holes, string group)
    {
        if (caps.Insert == true || holes.Count < 2 || holes.Any(h => h.Offset % bs != 0 || h.Length % bs != 0))
        {
            foreach ((long offset, long length) in holes)
            {
                Insert(p, f, size, bs, caps, offset, length, group);
                size += length;
            }
            return;
        }
        bool byClone = caps.Reflink == true;
        int sidecar = p.AddSidecar();
        long start = holes[0].Offset; // where the tail starts, in the file as it is now
        var pieces = new List<(long From, long To, long Target)>();
        long inserted = 0;
        foreach ((long offset, long length) in holes)
        {
            // The piece from this hole to the next, in the file as it is now (after the holes
            // before it and this one, in the file as it will be).
            long from = offset - inserted;
            inserted += length;
            pieces.Add((from, -1, offset + length));
        }
        for (int i = 0; i < pieces.Count; i++)
        {
            pieces[i] = pieces[i] with { To = i + 1 < pieces.Count ? pieces[i + 1].From : size };
        }
        p.Add(new EditStep(StepKind.Save, group, f, start, sidecar, 0, size - start, size, ByClone: byClone));
        p.Add(new EditStep(StepKind.Truncate, group, f, 0, -1, 0, start));
        if (pieces[^1].To == pieces[^1].From)
        {
            p.Add(new EditStep(StepKind.Truncate, group, f, 0, -1, 0, size + inserted)); // nothing after the last hole
        }
        // Every piece but the last is whole blocks; the last ends at the end of both files,
        // where btrfs allows an unaligned last block to be cloned.
        foreach ((long from, long to, long target) in Enumerable.Reverse(pieces).Where(x => x.To > x.From))
        {
            p.Add(new EditStep(StepKind.Restore, group, f, target, sidecar, from - start, to - from, ByClone: byClone));
        }
        p.Add(new EditStep(StepKind.Unlink, group, sidecar, 0, -1, 0, 0));
        p.Group(group, byClone ? StepMethod.Emulated : StepMethod.Copy);
    }

    /// <summary>
    /// Carries [sourceOffset, +length) of <paramref name="src"/> to <paramref name="dst"/> at
    /// <paramref name="destOffset"/>, by Move when <paramref name="move"/> (the source range is
    /// left empty), else by clone or copy. Where both offsets sit equally far into their
    /// blocks, the whole blocks between go without copying and only the partial blocks at the
    /// two edges are copied; otherwise no block lines up with a block, and all is copied.
    /// zeroCopy: whole blocks can go without copying (same filesystem with clones or
    /// exchange-range); punchEdges: when moving, punch the copied edges out of the source too.
    /// </summary>
    internal static void Transfer(EditPlan p, int src, long sourceOffset, int dst, long destOffset, long length, long bs,
        bool move, bool zeroCopy, bool punchEdges, string group)
    {
        long head = 0, middle = 0;
        if (sourceOffset % bs == destOffset % bs)
        {
            long edge = sourceOffset % bs;
            head = edge == 0 ? 0 : Math.Min(bs - edge, length);
            middle = (length - head) / bs * bs;
        }
        long tail = length - head - middle;
        if (head > 0)
        {
            p.Add(new EditStep(StepKind.Copy, group, src, sourceOffset, dst, destOffset, head));
        }
        if (middle > 0)
        {
            StepKind kind = move ? StepKind.Move : zeroCopy ? StepKind.Clone : StepKind.Copy;
            p.Add(new EditStep(kind, group, src, sourceOffset + head, dst, destOffset + head, middle));
            p.Group(group, kind switch { StepKind.Move => null, StepKind.Clone => StepMethod.Clone, _ => StepMethod.Copy });
        }
        if (tail > 0)
        {
            p.Add(new EditStep(StepKind.Copy, group, src, sourceOffset + head + middle, dst, destOffset + head + middle, tail));
            // A tail longer than an edge block means nothing lined up: it was all copied.
            p.Group(group, tail >= bs || middle == 0 ? StepMethod.Copy : StepMethod.Clone);
        }
        else if (middle == 0)
        {
            p.Group(group, StepMethod.Copy);
        }
        if (move && punchEdges)
        {
            if (head > 0)
            {
                p.Add(new EditStep(StepKind.Punch, group, src, sourceOffset, -1, 0, head));
            }
            if (tail > 0)
            {
                p.Add(new EditStep(StepKind.Punch, group, src, sourceOffset + head + middle, -1, 0, tail));
            }
        }
    }

    /// <summary>
    /// Replaces the whole content of the small file <paramref name="r"/> names (a player's
    /// EDL beside a recording) with its bytes: where the file exists, written in place and
    /// cut to their length (both steps can run again); where it does not, built in the
    /// journal next to it and renamed into place, never replacing a file that appeared since.
    /// The runner opens it by its path.
    /// </summary>
    internal static void Replace(EditPlan p, ReplacedFile r, string role, string group)
    {
        string target = Path.GetFullPath(r.Path);
        p.Group(group, StepMethod.Native);
        if (File.Exists(target))
        {
            int fi;
            using (SafeFileHandle handle = File.OpenHandle(target, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
            {
                fi = p.AddFile(Editor.UserFile(FileFacts.Of(handle, role), target));
            }
            if (r.Bytes.Length > 0)
            {
                p.Add(new EditStep(StepKind.Write, group, fi, 0, -1, 0, 0) { Patches = [new Patch(0, r.Bytes.Length, r.Bytes)] });
            }
            p.Add(new EditStep(StepKind.Truncate, group, fi, 0, -1, 0, r.Bytes.Length));
            return;
        }
        string journal = JournalRecord.DirectoryFor(Path.GetDirectoryName(target) ?? "/");
        int own = p.AddFile(new EditFile(role, EditFileKind.Own, 0, 0, Path.Combine(journal, $"{p.Id}.{role}{p.Files.Count}")));
        int named = p.AddFile(new EditFile(role, EditFileKind.Target, 0, 0, target));
        p.Add(new EditStep(StepKind.Create, group, own, 0, -1, 0, r.Bytes.Length));
        if (r.Bytes.Length > 0)
        {
            p.Add(new EditStep(StepKind.Write, group, own, 0, -1, 0, 0) { Patches = [new Patch(0, r.Bytes.Length, r.Bytes)] });
        }
        p.Add(new EditStep(StepKind.Rename, group, own, 0, named, 0, 0));
    }

    /// <summary>True if the plan copies more than edge blocks (what ZeroCopyOnly refuses).</summary>
    internal static bool CopiesData(EditPlan p) => p.Groups.Any(g => g.Method == StepMethod.Copy);
}
