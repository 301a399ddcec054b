using Microsoft.Win32.SafeHandles;
using MovData.Operations;

namespace MovData.Edits;

/// <summary>
/// Collapse and Insert: a range out of a file or a hole into it, the rest shifting. Block-aligned
/// on a filesystem that has the fallocate mode, one kernel call; otherwise a plan (clones
/// through a sidecar, or copies, and edge blocks rewritten) run under an intent record.
/// </summary>
internal static class ShiftEdit
{
    internal static RangeResult Run(SafeFileHandle file, long offset, long length, MoveFlags flags, bool collapse, IProgress<EditProgress>? progress, CancellationToken cancellation)
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
        if (collapse)
        {
            Validate.EndsBeforeEnd(f, offset, length, nameof(offset));
        }
        else
        {
            Validate.CanGrowAt(f, offset, length, nameof(offset), mayAppend: false);
        }
        Capabilities caps = Capabilities.For(f);
        long bs = f.BlockSize;
        bool aligned = offset % bs == 0 && length % bs == 0;
        if (aligned && (collapse ? caps.Collapse : caps.Insert) != false)
        {
            // One kernel call, atomic as far as the filesystem's log makes it: no record needed.
            if (Allocation.TryShift(file, collapse, offset, length))
            {
                return new RangeResult(length, RangeMethod.Native, 0) { Recovered = recovered };
            }
            Capabilities.Remember(f.Device, c => collapse ? c with { Collapse = false } : c with { Insert = false });
            caps = Capabilities.For(f);
        }
        EditPlan plan = Editor.NewPlan(name, file);
        int fi = plan.AddFile(Editor.UserFile(f));
        if (collapse)
        {
            Plans.Collapse(plan, fi, f.Size, bs, caps, offset, length, name);
        }
        else
        {
            Plans.Insert(plan, fi, f.Size, bs, caps, offset, length, name);
        }
        Editor.RefuseCopying(plan, flags, $"{name} of {length} bytes at offset {offset}", f.FsType, bs);
        EditResult result = EditRunner.Run(plan, [file, null], [], flags, progress, cancellation: cancellation);
        return new RangeResult(length, result.Steps[0].Method.ToRangeMethod(), result.BytesCopied) { Recovered = recovered };
    }
}
