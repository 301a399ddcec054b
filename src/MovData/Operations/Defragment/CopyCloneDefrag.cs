using Microsoft.Win32.SafeHandles;
using MovData.Native;

namespace MovData.Operations;

/// <summary>
/// XFS with reflink, when no one else has the file open: a write lease
/// (<see cref="WriteLease"/>) makes any other open wait, the data is copied to fresh space
/// with O_DIRECT (as xfs_fsr copies) and made durable, and FICLONERANGE makes the file share
/// the copy's blocks, piece by piece. While the lease is held nothing else can have written
/// the file, so there is nothing to compare; should someone open it meanwhile, the lease is
/// dropped at once (they wait no longer than a piece) and the pieces not yet swapped go by
/// FIDEDUPERANGE, as <see cref="CopyDedupeDefrag"/> swaps them. Where no lease is granted
/// (the file open elsewhere, even to read; not its owner) it is <see cref="CopyDedupeDefrag"/>.
/// The comparison FIDEDUPERANGE makes needs both files read through the page cache: on
/// bench/defrag.sh's images, 1 GiB took 1.4 s longer that way.
/// </summary>
internal sealed class CopyCloneDefrag : DefragMechanism
{
    internal override DefragmentMethod Method => DefragmentMethod.CopyClone;

    internal override DefragmentMethod Planned(SafeFileHandle file)
    {
        using WriteLease? lease = WriteLease.TryTake(file);
        return lease is null ? DefragmentMethod.CopyDedupe : Method;
    }

    internal override DefragmentMethod Run(DefragJob job)
    {
        using WriteLease? lease = WriteLease.TryTake(job.Handle);
        if (lease is null)
        {
            return new CopyDedupeDefrag().Run(job);
        }
        List<(long Offset, long Length)> runs = job.DataRuns();
        using SafeFileHandle? copy = FreshCopy.Make(job, runs, 0.9, CopyIo.DirectOnOwnHandle, () => lease.DropIfBroken());
        if (copy is null)
        {
            return DefragmentMethod.None;
        }
        long data = job.Report.DataBytes;
        List<(long Offset, long Length)> pieces = Pieces(runs);
        var swap = new CopySwap(job, copy, pieces);
        bool compared = false;
        SwapEach(job, pieces, i =>
        {
            if (lease.DropIfBroken())
            {
                swap.Clone(i);
            }
            else
            {
                swap.Dedupe(i);
                compared = true;
            }
        }, done => (data * 9 / 10) + (done / 10));
        CrashSwitch.At("defrag", 3, job.Handle);
        Interop.ThrowIfFailed(Interop.FSync(job.Handle), "fsync of the file");
        return compared ? DefragmentMethod.CopyDedupe : Method;
    }
}
