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

    internal override bool Atomic => false;

    internal override bool ReceiverDurableBeforeDonor => true;

    internal override MoveResult? TryMove(MoveJob job)
    {
        long end = job.DonorOffset + job.Length;
        List<(long Offset, long Length)> segments = Extents.DataSegments(job.Donor.Handle, job.DonorOffset, end, "the donor");
        job.Begin(MoveStage.WriteReceiver);
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
            long cloned = offset - job.DonorOffset;
            bool undone = job.RollBack(cloned, length);
            if (cloned > 0)
            {
                job.Commit(Method, cloned);
                job.SyncDonor(Method);
            }
            throw job.Fail(Method, MoveStage.WriteReceiver, errno, "FICLONERANGE", consistent: undone);
        }
        job.Commit(Method, job.Length);
        job.SyncDonor(Method);
        job.Report(job.Length);
        return new MoveResult(job.Length, Method, 0);
    }
}
