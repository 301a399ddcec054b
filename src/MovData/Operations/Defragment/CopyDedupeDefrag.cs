using Microsoft.Win32.SafeHandles;
using MovData.Native;

namespace MovData.Operations;

/// <summary>
/// XFS with reflink, when the file is open elsewhere: the data is copied to fresh space and
/// made durable, then FIDEDUPERANGE makes the file share the copy's blocks piece by piece
/// (<see cref="CopySwap"/>). The kernel compares the bytes under both files' locks and
/// remaps only where they are the same, so a write that landed after the copy is never
/// overwritten (unlike FICLONERANGE, which would); the old blocks are freed when the copy is
/// closed.
/// </summary>
internal sealed class CopyDedupeDefrag : DefragMechanism
{
    internal override DefragmentMethod Method => DefragmentMethod.CopyDedupe;

    internal override DefragmentMethod Run(DefragJob job)
    {
        List<(long Offset, long Length)> runs = job.DataRuns();
        using SafeFileHandle? copy = FreshCopy.Make(job, runs, 0.5, CopyIo.Cached);
        if (copy is null)
        {
            return DefragmentMethod.None;
        }
        long data = job.Report.DataBytes;
        List<(long Offset, long Length)> pieces = Pieces(runs);
        var swap = new CopySwap(job, copy, pieces);
        SwapEach(job, pieces, swap.Dedupe, done => (data / 2) + (done / 2));
        CrashSwitch.At("defrag", 3, job.Handle);
        Interop.ThrowIfFailed(Interop.FSync(job.Handle), "fsync of the file");
        return Method;
    }
}
