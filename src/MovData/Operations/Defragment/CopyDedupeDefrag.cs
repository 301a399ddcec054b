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
        using SafeFileHandle? copy = FreshCopy.Make(job, runs, 0.5);
        if (copy is null)
        {
            return DefragmentMethod.None;
        }
        long data = job.Report.DataBytes, swapped = 0;
        bool first = true;
        foreach ((long offset, long length) in runs)
        {
            for (long done = 0; done < length;)
            {
                job.Cancellation.ThrowIfCancellationRequested();
                long n = Math.Min(Piece, length - done);
                Interop.ThrowIfFailed(Interop.DedupeRange(copy, offset + done, job.Handle, offset + done, n, out _, out bool differs), "FIDEDUPERANGE from the fresh copy into the file");
                if (differs)
                {
                    Interop.ThrowIfFailed(Interop.FSync(job.Handle), "fsync of the file");
                    throw new IOException(
                        $"defragment abandoned: the file was written while it was being copied; {swapped} of {data} bytes had been swapped onto fresh blocks, and nothing was lost (FIDEDUPERANGE swaps only bytes that are still the same); try again when it is idle",
                        Interop.EBUSY);
                }
                done += n;
                swapped += n;
                job.Progress((data / 2) + (swapped / 2));
                if (first)
                {
                    CrashSwitch.At("defrag", 2, job.Handle);
                    first = false;
                }
            }
        }
        CrashSwitch.At("defrag", 3, job.Handle);
        Interop.ThrowIfFailed(Interop.FSync(job.Handle), "fsync of the file");
        return Method;
    }
}
