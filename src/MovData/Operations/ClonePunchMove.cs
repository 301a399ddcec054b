using MovData.Layout;
using MovData.Native;

namespace MovData.Operations;

/// <summary>
/// FICLONERANGE each data segment of the donor range into the receiver (holes are skipped and
/// stay holes), make the receiver durable, then punch the donor range. No data is copied.
/// </summary>
internal sealed class ClonePunchMove : MoveMechanism
{
    internal override MoveMethod Method => MoveMethod.ClonePunch;

    internal override MoveResult? TryMove(MoveJob job)
    {
        long end = job.DonorOffset + job.Length;
        List<(long Offset, long Length)> segments = Extents.DataSegments(job.Donor.Handle, job.DonorOffset, end, "the donor");
        for (int i = 0; i < segments.Count; i++)
        {
            (long offset, long length) = segments[i];
            long receiverAt = job.ReceiverOffset + (offset - job.DonorOffset);
            int errno = Interop.CloneRange(job.Donor.Handle, offset, job.Receiver.Handle, receiverAt, length);
            if (errno == 0)
            {
                job.Report(offset + length - job.DonorOffset);
                continue;
            }
            if (i == 0 && Interop.IsNotSupported(errno))
            {
                return null;
            }
            // Keep what was cloned before this segment (it is whole), undo this one.
            long moved = offset - job.DonorOffset;
            job.Rollback(receiverAt, length);
            (int commitErrno, string step) = job.Commit(moved, receiverAlreadyDurable: false);
            if (commitErrno != 0)
            {
                job.Rollback(job.ReceiverOffset, moved);
                throw MoveJob.Incomplete(0, Method, 0, commitErrno, step);
            }
            throw MoveJob.Incomplete(moved, Method, 0, errno, "FICLONERANGE");
        }
        (int finalErrno, string finalStep) = job.Commit(job.Length, receiverAlreadyDurable: false);
        if (finalErrno != 0)
        {
            throw MoveJob.Incomplete(0, Method, 0, finalErrno, finalStep);
        }
        job.Report(job.Length);
        return new MoveResult(job.Length, Method, 0);
    }
}
