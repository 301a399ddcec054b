using MovData.Native;

namespace MovData.Operations;

/// <summary>
/// One validated Move: both files' facts, the range, and how far it has got. Every mechanism
/// goes through the same stages (<see cref="MoveStage"/>) for each part of the range it
/// carries: write the receiver, make it durable, punch the donor, make that durable. The
/// rules of a failure live here, once:
/// <list type="bullet">
/// <item>while the donor is untouched the receiver's part is rolled back (punched, synced);
/// if that works the files are consistent and only <see cref="Moved"/> counts as moved;</item>
/// <item>once the donor is touched nothing is rolled back: the part is durable in the
/// receiver, the files are not consistent, and recovery (from the journal record the edits
/// layer kept) finishes the Move;</item>
/// <item><see cref="Moved"/> only grows when a part is durable in the receiver and punched
/// from the donor.</item>
/// </list>
/// </summary>
internal sealed class MoveJob(FileFacts donor, long donorOffset, FileFacts receiver, long receiverOffset, long length, IProgress<long>? progress, CancellationToken cancellation)
{
    internal FileFacts Donor { get; } = donor;
    internal FileFacts Receiver { get; } = receiver;
    internal long DonorOffset { get; } = donorOffset;
    internal long ReceiverOffset { get; } = receiverOffset;
    internal long Length { get; } = length;
    internal CancellationToken Cancellation { get; } = cancellation;

    /// <summary>Bytes of the range, from its start, durable in the receiver and punched from
    /// the donor: what a failure reports as moved.</summary>
    internal long Moved { get; private set; }

    /// <summary>Bytes physically copied so far.</summary>
    internal long Copied { get; private set; }

    /// <summary>Tells the caller's progress how much of the range is moved.</summary>
    internal void Report(long done) => progress?.Report(done);

    /// <summary>Tells the caller's progress how much of the range is carried while a chunk is
    /// still being copied, before its commit: progress for a person to watch, and no point
    /// for the crash switch, which counts only <see cref="Report"/>.</summary>
    internal void ReportCopying(long done)
    {
        if (progress is IMoveProgress move)
        {
            move.ReportCopying(done);
        }
        else
        {
            progress?.Report(done);
        }
    }

    internal void AddCopied(long n) => Copied += n;

    /// <summary>Marks the start of a stage (the fault and crash tests stop or die here).</summary>
    internal void Begin(MoveStage stage) => CrashSwitch.At("stage", (int)stage, Donor.Handle);

    /// <summary>
    /// The range's bytes up to <paramref name="end"/> (range-relative) are written in the
    /// receiver: make them durable there, then punch the donor from <see cref="Moved"/> to
    /// <paramref name="end"/> (holes between data segments go too). The donor's punch is made
    /// durable by <see cref="SyncDonor"/>. Throws on failure, as the class says.
    /// <paramref name="dataOnly"/> syncs with fdatasync (enough where the size stays).
    /// </summary>
    internal void Commit(MoveMethod method, long end, bool dataOnly = false)
    {
        if (end <= Moved)
        {
            return;
        }
        Begin(MoveStage.SyncReceiver);
        int errno = dataOnly ? Interop.FDataSync(Receiver.Handle) : Interop.FSync(Receiver.Handle);
        if (errno != 0)
        {
            throw Fail(method, MoveStage.SyncReceiver, errno, dataOnly ? "fdatasync of the receiver" : "fsync of the receiver", RollBack(Moved, end - Moved));
        }
        PunchDonor(method, end);
    }

    /// <summary>Punches the donor from <see cref="Moved"/> to <paramref name="end"/>, the
    /// receiver already holding those bytes durably.</summary>
    internal void PunchDonor(MoveMethod method, long end)
    {
        if (end <= Moved)
        {
            return;
        }
        Begin(MoveStage.PunchDonor);
        int errno = Interop.Fallocate(Donor.Handle, Interop.FALLOC_FL_PUNCH_HOLE | Interop.FALLOC_FL_KEEP_SIZE, DonorOffset + Moved, end - Moved);
        if (errno != 0)
        {
            // A failed punch may have freed part of the range: the bytes are durable in the
            // receiver, and only recovery may decide what the donor still holds.
            throw Fail(method, MoveStage.PunchDonor, errno, "punching the donor range", consistent: false);
        }
        Moved = end;
    }

    /// <summary>After an atomic exchange the whole range is moved, whatever follows: punch the
    /// donor range (the receiver's old hole or unwritten extents now) to free its space.</summary>
    internal void PunchDonorAfterExchange(MoveMethod method)
    {
        Moved = Length;
        Begin(MoveStage.PunchDonor);
        int errno = Interop.Fallocate(Donor.Handle, Interop.FALLOC_FL_PUNCH_HOLE | Interop.FALLOC_FL_KEEP_SIZE, DonorOffset, Length);
        if (errno != 0)
        {
            throw Fail(method, MoveStage.PunchDonor, errno, "punching the donor range", consistent: true);
        }
    }

    /// <summary>Makes the donor's punches durable. Until then a crash can leave the moved
    /// bytes in both files (never in neither); a failure here keeps the record.</summary>
    internal void SyncDonor(MoveMethod method, bool consistentIfFailed = false)
    {
        Begin(MoveStage.SyncDonor);
        int errno = Interop.FDataSync(Donor.Handle);
        if (errno != 0)
        {
            throw Fail(method, MoveStage.SyncDonor, errno, "fdatasync of the donor", consistentIfFailed);
        }
    }

    /// <summary>
    /// Turns [<paramref name="from"/>, +<paramref name="length"/>) of the range in the receiver
    /// back into a hole, durably, while the donor still holds those bytes. True if that
    /// worked: the receiver then holds only what <see cref="Moved"/> counts. The whole part,
    /// not just what was counted as written: a failed write can leave bytes past the count,
    /// and this receiver range was a hole (rule 2).
    /// </summary>
    internal bool RollBack(long from, long length)
    {
        if (length <= 0)
        {
            return true;
        }
        return Interop.Fallocate(Receiver.Handle, Interop.FALLOC_FL_PUNCH_HOLE | Interop.FALLOC_FL_KEEP_SIZE, ReceiverOffset + from, length) == 0
            && Interop.FSync(Receiver.Handle) == 0;
    }

    /// <summary>The failure of <paramref name="stage"/>, with what is durable so far. Files
    /// reported consistent must stay so across a crash: the donor's earlier punches are made
    /// durable first, and if that fails too, recovery must finish the Move after all.</summary>
    internal MoveIncompleteException Fail(MoveMethod method, MoveStage stage, int errno, string what, bool consistent)
    {
        if (consistent && Moved > 0 && stage != MoveStage.SyncDonor && Interop.FDataSync(Donor.Handle) != 0)
        {
            consistent = false;
        }
        return new(new MoveResult(Moved, method, Copied), stage, recoveryPending: !consistent, Interop.GetExceptionForErrno(errno, what));
    }
}

/// <summary>
/// One way of carrying a Move's bytes. Adding one (f2fs MOVE_RANGE, say) is a new subclass
/// and a line in <see cref="MoveEngine"/>'s table.
/// </summary>
internal abstract class MoveMechanism
{
    internal abstract MoveMethod Method { get; }

    /// <summary>One logged operation: a crash leaves the bytes wholly in the donor or wholly
    /// in the receiver, so the Move needs no journal record.</summary>
    internal abstract bool Atomic { get; }

    /// <summary>The receiver's part is made durable before the donor's part is touched, so
    /// the first change that can become durable is a sync of the receiver (the edits layer
    /// lets an ordered log make the record durable with it).</summary>
    internal abstract bool ReceiverDurableBeforeDonor { get; }

    /// <summary>Does the whole move, or returns null if the filesystem answered "not
    /// supported" before anything changed. Any other failure throws
    /// <see cref="MoveIncompleteException"/> saying how far it got (<see cref="MoveJob"/>'s rules).</summary>
    internal abstract MoveResult? TryMove(MoveJob job);
}

/// <summary>A Move's progress that tells the reports made while a chunk is copied (before its
/// commit) from the others.</summary>
internal interface IMoveProgress : IProgress<long>
{
    void ReportCopying(long done);
}
