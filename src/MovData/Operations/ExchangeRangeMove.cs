using MovData.Native;

namespace MovData.Operations;

/// <summary>
/// XFS_IOC_EXCHANGE_RANGE: the donor range is swapped, atomically and without copying, with
/// the receiver's hole; then the donor range (now holding the receiver's old hole or
/// unwritten extents) is punched so its space is freed. The exchange is logged as one
/// operation, so a crash leaves the bytes wholly in the donor or wholly in the receiver.
/// </summary>
internal sealed class ExchangeRangeMove : MoveMechanism
{
    internal override MoveMethod Method => MoveMethod.ExchangeRange;

    internal override bool Atomic => true;

    internal override bool ReceiverDurableBeforeDonor => false;

    internal override MoveResult? TryMove(MoveJob job)
    {
        job.Begin(MoveStage.WriteReceiver);
        int errno = Interop.ExchangeRange(job.Donor.Handle, job.DonorOffset, job.Receiver.Handle, job.ReceiverOffset, job.Length, 0);
        if (Interop.IsNotSupported(errno))
        {
            return null;
        }
        if (errno != 0)
        {
            throw job.Fail(Method, MoveStage.WriteReceiver, errno, "XFS_IOC_EXCHANGE_RANGE", consistent: true);
        }
        job.Report(job.Length);
        // The receiver needs no separate flush: the donor's fdatasync below forces the log
        // that holds the exchange too. What the donor range holds now is the receiver's old
        // hole, so a failure from here on loses nothing and leaves nothing to finish.
        job.PunchDonorAfterExchange(Method);
        job.SyncDonor(Method, consistentIfFailed: true);
        return new MoveResult(job.Length, Method, 0);
    }
}
