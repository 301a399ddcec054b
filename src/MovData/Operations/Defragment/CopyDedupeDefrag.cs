using Microsoft.Win32.SafeHandles;
using MovData.Native;

namespace MovData.Operations;

/// <summary>
/// XFS with reflink: the data is copied to fresh space and made durable, then FIDEDUPERANGE
/// makes the file share the copy's blocks piece by piece. The kernel compares the bytes under
/// both files' locks and remaps only where they are the same, so a write that landed after
/// the copy is never overwritten (unlike FICLONERANGE, which would), and every state a crash
/// can leave holds the same bytes; the old blocks are freed when the copy is closed.
/// </summary>
internal sealed class CopyDedupeDefrag : DefragMechanism
{
    internal override DefragmentMethod Method => DefragmentMethod.CopyDedupe;

    internal override DefragmentMethod Run(DefragJob job)
    {
        List<(long Offset, long Length)> runs = job.DataRuns();
        using SafeFileHandle? copy = FreshCopy.Make(job, runs, 0.5, cached: true);
        if (copy is null)
        {
            return DefragmentMethod.None;
        }
        long data = job.Report.DataBytes;
        List<(long Offset, long Length)> pieces = Pieces(runs);
        _ = Interop.Prefetch(copy, pieces[0].Offset, pieces[0].Length);
        long swapped = 0;
        SwapEach(job, pieces, i =>
        {
            (long at, long n) = pieces[i];
            // The comparison reads a page at a time: should the copy have left the cache, the
            // next piece is read ahead while this one is compared.
            if (i + 1 < pieces.Count)
            {
                _ = Interop.Prefetch(copy, pieces[i + 1].Offset, pieces[i + 1].Length);
            }
            Interop.ThrowIfFailed(Interop.DedupeRange(copy, at, job.Handle, at, n, out _, out bool differs), "FIDEDUPERANGE from the fresh copy into the file");
            if (differs)
            {
                Interop.ThrowIfFailed(Interop.FSync(job.Handle), "fsync of the file");
                throw new IOException(
                    $"defragment abandoned: the file was written while it was being copied; {swapped} of {data} bytes had been swapped onto fresh blocks, and nothing was lost (FIDEDUPERANGE swaps only bytes that are still the same); try again when it is idle",
                    Interop.EBUSY);
            }
            swapped += n;
        }, done => (data / 2) + (done / 2));
        CrashSwitch.At("defrag", 3, job.Handle);
        Interop.ThrowIfFailed(Interop.FSync(job.Handle), "fsync of the file");
        return Method;
    }
}
