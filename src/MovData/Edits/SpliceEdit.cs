using Microsoft.Win32.SafeHandles;
using MovData.Operations;

namespace MovData.Edits;

/// <summary>
/// The seed's whole edit: insert a hole in the receiver, move the donor's range into it,
/// collapse the donor's hole away, as one plan under one intent record.
/// </summary>
internal static class SpliceEdit
{
    internal static EditResult Run(SafeFileHandle donor, long donorOffset, SafeFileHandle receiver, long receiverOffset, long length, MoveFlags flags, IProgress<EditProgress>? progress, CancellationToken cancellation)
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
        Validate.WithinSize(d, donorOffset, length, nameof(donorOffset));
        Validate.CanGrowAt(r, receiverOffset, length, nameof(receiverOffset), mayAppend: true);
        Capabilities dc = Capabilities.For(d);
        Capabilities rc = Capabilities.For(r);
        bool zeroCopy = d.Device == r.Device && (rc.Exchange == true || rc.Reflink == true);
        EditPlan plan = Editor.NewPlan("splice", receiver);
        int di = plan.AddFile(Editor.UserFile(d));
        int ri = plan.AddFile(Editor.UserFile(r));
        Plans.Insert(plan, ri, r.Size, bs, rc, receiverOffset, length, "insert");
        Plans.Transfer(plan, di, donorOffset, ri, receiverOffset, length, bs, move: true, zeroCopy, punchEdges: false, "move");
        Plans.Collapse(plan, di, d.Size, bs, dc, donorOffset, length, "collapse");
        Editor.RefuseCopying(plan, flags, $"splice of {length} bytes", d.Device == r.Device ? r.FsType : $"{d.FsType} and {r.FsType}", bs, zeroCopy);
        return EditRunner.Run(plan, [donor, receiver, null, null], Editor.DirectoriesOf(donor), flags, progress, cancellation: cancellation) with { Recovered = recovered };
    }
}
