using MovData.Native;

namespace MovData.Operations;

/// <summary>One validated Move: both files' facts, the range, and the steps every mechanism
/// shares (make the receiver durable, free the donor range, undo a partial transfer).</summary>
internal sealed class MoveJob(FileFacts donor, long donorOffset, FileFacts receiver, long receiverOffset, long length, IProgress<long>? progress)
{
    internal FileFacts Donor { get; } = donor;
    internal FileFacts Receiver { get; } = receiver;
    internal long DonorOffset { get; } = donorOffset;
    internal long ReceiverOffset { get; } = receiverOffset;
    internal long Length { get; } = length;

    internal void Report(long done) => progress?.Report(done);

    /// <summary>
    /// The first <paramref name="moved"/> bytes are in the receiver: make them durable there,
    /// then (only then) punch them out of the donor and make that durable. A crash before the
    /// punch leaves the bytes in both files, never in neither. Returns 0 or errno and the
    /// step that failed.
    /// </summary>
    internal (int Errno, string Step) Commit(long moved, bool receiverAlreadyDurable)
    {
        if (moved == 0)
        {
            return (0, "");
        }
        if (!receiverAlreadyDurable)
        {
            int errno = Interop.FSync(Receiver.Handle);
            if (errno != 0)
            {
                return (errno, "fsync of the receiver");
            }
        }
        return FreeDonor(DonorOffset, moved);
    }

    /// <summary>Punches [offset, offset+length) of the donor and makes that durable.</summary>
    internal (int Errno, string Step) FreeDonor(long offset, long length)
    {
        int errno = length == 0 ? 0 : Interop.Fallocate(Donor.Handle, Interop.FALLOC_FL_PUNCH_HOLE | Interop.FALLOC_FL_KEEP_SIZE, offset, length);
        if (errno != 0)
        {
            return (errno, "punching the donor range");
        }
        errno = Interop.FDataSync(Donor.Handle);
        return errno != 0 ? (errno, "fdatasync of the donor") : (0, "");
    }

    /// <summary>Best effort: turn a partly written receiver range back into a hole. Its
    /// bytes are still in the donor, so failing here loses nothing.</summary>
    internal void Rollback(long receiverStart, long length)
    {
        if (length > 0)
        {
            _ = Interop.Fallocate(Receiver.Handle, Interop.FALLOC_FL_PUNCH_HOLE | Interop.FALLOC_FL_KEEP_SIZE, receiverStart, length);
        }
    }

    internal static MoveIncompleteException Incomplete(long moved, MoveMethod method, long copied, int errno, string step) =>
        new(new MoveResult(moved, method, copied), Interop.GetExceptionForErrno(errno, step));
}

/// <summary>
/// One way of carrying a Move's bytes. Adding one (f2fs MOVE_RANGE, say) is a new subclass
/// and a line in <see cref="MoveEngine"/>'s table.
/// </summary>
internal abstract class MoveMechanism
{
    internal abstract MoveMethod Method { get; }

    /// <summary>Does the whole move, or returns null if the filesystem answered "not
    /// supported" before anything changed. Any other failure throws
    /// <see cref="MoveIncompleteException"/> saying how far it got.</summary>
    internal abstract MoveResult? TryMove(MoveJob job);
}
