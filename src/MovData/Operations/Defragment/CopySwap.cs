using Microsoft.Win32.SafeHandles;
using MovData.Native;

namespace MovData.Operations;

/// <summary>
/// Swaps a durable fresh copy into the file piece by piece on XFS with reflink: by
/// FICLONERANGE where nothing else can have written the file since the copy (a write lease
/// held throughout says so), by FIDEDUPERANGE otherwise, which the kernel does only where
/// the bytes are still the same, under both files' locks. Every state a crash can leave
/// holds the same bytes.
/// </summary>
internal sealed class CopySwap(DefragJob job, SafeFileHandle copy, List<(long Offset, long Length)> pieces)
{
    private long swapped;
    private int readAhead = -1;

    /// <summary>Shares piece <paramref name="i"/> of the copy into the file, unconditionally.</summary>
    internal void Clone(int i)
    {
        (long at, long n) = pieces[i];
        Interop.ThrowIfFailed(Interop.CloneRange(copy, at, job.Handle, at, n), "FICLONERANGE from the fresh copy into the file");
        swapped += n;
    }

    /// <summary>Shares piece <paramref name="i"/> of the copy into the file if the file still
    /// holds the same bytes there; otherwise stops the defragment (EBUSY), nothing lost.</summary>
    internal void Dedupe(int i)
    {
        // The comparison reads a page at a time: should the copy have left the cache, the
        // next piece is read ahead while this one is compared.
        for (; readAhead <= i + 1 && readAhead < pieces.Count; readAhead++)
        {
            if (readAhead >= i)
            {
                _ = Interop.Prefetch(copy, pieces[readAhead].Offset, pieces[readAhead].Length);
            }
        }
        (long at, long n) = pieces[i];
        Interop.ThrowIfFailed(Interop.DedupeRange(copy, at, job.Handle, at, n, out _, out bool differs), "FIDEDUPERANGE from the fresh copy into the file");
        if (differs)
        {
            Interop.ThrowIfFailed(Interop.FSync(job.Handle), "fsync of the file");
            throw new IOException(
                $"defragment abandoned: the file was written while it was being copied; {swapped} of {job.Report.DataBytes} bytes had been swapped onto fresh blocks, and nothing was lost (FIDEDUPERANGE swaps only bytes that are still the same); try again when it is idle",
                Interop.EBUSY);
        }
        swapped += n;
    }
}
