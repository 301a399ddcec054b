using MovData.Layout;
using MovData.Native;

namespace MovData.Operations;

/// <summary>
/// Where nothing better exists: copy each data segment with copy_file_range (read/write across
/// filesystems), in chunks; after each chunk make the receiver durable and punch that chunk
/// out of the donor. A failure part-way therefore reports every whole chunk as moved and
/// leaves the rest in the donor; memory stays bounded whatever the range's size.
/// </summary>
internal sealed class CopyPunchMove : MoveMechanism
{
    /// <summary>Bytes copied between two commits: large enough that the per-chunk fdatasync
    /// is a small cost, small enough that a failure loses little progress.</summary>
    internal const long ChunkSize = 64L << 20;

    internal override MoveMethod Method => MoveMethod.CopyPunch;

    internal override MoveResult? TryMove(MoveJob job)
    {
        long end = job.DonorOffset + job.Length;
        List<(long Offset, long Length)> segments = Extents.DataSegments(job.Donor.Handle, job.DonorOffset, end, "the donor");
        long committed = 0;   // bytes of the range, from its start, fully moved
        long bytesCopied = 0;
        bool kernelCopy = true;
        foreach ((long segOffset, long segLength) in segments)
        {
            for (long at = segOffset; at < segOffset + segLength; at += ChunkSize)
            {
                long n = Math.Min(ChunkSize, segOffset + segLength - at);
                long receiverAt = job.ReceiverOffset + (at - job.DonorOffset);
                int errno = 0;
                long copied = 0;
                if (kernelCopy)
                {
                    errno = Interop.CopyFileRange(job.Donor.Handle, at, job.Receiver.Handle, receiverAt, n, out copied);
                    // Across filesystems (EXDEV) or where the kernel has no copy path, fall back
                    // to read/write for the rest of the move.
                    if (errno != 0 && copied == 0 && (Interop.IsNotSupported(errno) || errno == Interop.EINVAL))
                    {
                        kernelCopy = false;
                    }
                }
                if (!kernelCopy)
                {
                    errno = Interop.CopyByReadWrite(job.Donor.Handle, at, job.Receiver.Handle, receiverAt, n, out copied);
                }
                if (errno != 0)
                {
                    // The whole chunk, not just what was counted as copied: a failed write can
                    // leave bytes past the count, and this receiver range was a hole (rule 2).
                    job.Rollback(receiverAt, n);
                    throw MoveJob.Incomplete(committed, Method, bytesCopied + copied, errno, kernelCopy ? "copy_file_range" : "read/write copy");
                }
                bytesCopied += n;
                errno = Interop.FDataSync(job.Receiver.Handle);
                if (errno != 0)
                {
                    job.Rollback(receiverAt, n);
                    throw MoveJob.Incomplete(committed, Method, bytesCopied, errno, "fdatasync of the receiver");
                }
                // Punch from the end of the last commit: the holes between segments go too.
                long chunkEnd = at + n - job.DonorOffset;
                errno = Interop.Fallocate(job.Donor.Handle, Interop.FALLOC_FL_PUNCH_HOLE | Interop.FALLOC_FL_KEEP_SIZE, job.DonorOffset + committed, chunkEnd - committed);
                if (errno != 0)
                {
                    throw MoveJob.Incomplete(committed, Method, bytesCopied, errno, "punching the donor range");
                }
                committed = chunkEnd;
                job.Report(committed);
            }
        }
        // The tail after the last data segment: holes, or unwritten extents whose space must go.
        (int tailErrno, string step) = job.FreeDonor(job.DonorOffset + committed, job.Length - committed);
        if (tailErrno != 0)
        {
            throw MoveJob.Incomplete(committed, Method, bytesCopied, tailErrno, step);
        }
        job.Report(job.Length);
        return new MoveResult(job.Length, Method, bytesCopied);
    }
}
