using Microsoft.Win32.SafeHandles;
using MovData.Native;

namespace MovData.Operations;

/// <summary>
/// XFS with exchange-range: XFS_IOC_START_COMMIT notes what the file is, the data is copied
/// to fresh space, and XFS_IOC_COMMIT_RANGE swaps the copy in atomically only if the file did
/// not change meanwhile (EBUSY otherwise: nothing swapped). The log finishes a swap a crash
/// interrupted; readers see the old layout or the new one.
/// </summary>
internal sealed class CopyExchangeDefrag : DefragMechanism
{
    internal override DefragmentMethod Method => DefragmentMethod.CopyExchange;

    internal override DefragmentMethod Run(DefragJob job)
    {
        int errno = Interop.StartCommit(job.Handle, out Interop.XfsCommitRange started);
        if (Interop.IsNotSupported(errno))
        {
            // Exchange-range without commit-range (Linux 6.10 and 6.11): the dedupe way is as safe.
            return new CopyDedupeDefrag().Run(job);
        }
        Interop.ThrowIfFailed(errno, "XFS_IOC_START_COMMIT");
        using SafeFileHandle? copy = FreshCopy.Make(job, job.DataRuns(), 1.0, CopyIo.Direct);
        if (copy is null)
        {
            return DefragmentMethod.None;
        }
        job.Cancellation.ThrowIfCancellationRequested();
        errno = Interop.CommitRange(copy, 0, job.Handle, 0, job.File.Size, Interop.XFS_EXCHANGE_RANGE_DSYNC, started);
        if (errno == Interop.EBUSY)
        {
            throw new IOException(
                "defragment abandoned: the file was written while it was being copied, so XFS_IOC_COMMIT_RANGE refused the swap; nothing was changed, try again when it is idle",
                Interop.EBUSY);
        }
        Interop.ThrowIfFailed(errno, "XFS_IOC_COMMIT_RANGE");
        CrashSwitch.At("defrag", 3, job.Handle);
        return Method;
    }
}
