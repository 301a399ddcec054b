using Microsoft.Win32.SafeHandles;
using MovData.Operations;

namespace MovData.Edits;

/// <summary>
/// The one place a Move runs, whether a caller asked for it or it is a step of a larger
/// edit: validate, (for a caller's Move) finish interrupted edits of both files and lock both
/// ranges, check the receiver's hole, then try the mechanisms best first, writing an intent
/// record before the first one that is not atomic. The record is removed once the files are
/// known to be consistent and kept otherwise (<see cref="MoveIncompleteException.RecoveryPending"/>,
/// or an interruption), so that recovery finishes the Move.
/// </summary>
internal static class MoveEdit
{
    /// <summary>The seed's Move as <see cref="FileRange.Move(SafeFileHandle, long, SafeFileHandle, long, long, MoveFlags, IProgress{long}?, CancellationToken)"/> runs it.</summary>
    internal static MoveResult Run(SafeFileHandle donor, long donorOffset, SafeFileHandle receiver, long receiverOffset, long length, MoveFlags flags,
        IProgress<long>? progress, CancellationToken cancellation)
    {
        // Each file's path is read once here (a readlink of /proc/self/fd): the recovery check,
        // the record and its second name all use it.
        string? donorPath = Capabilities.PathOf(donor), receiverPath = Capabilities.PathOf(receiver);
        IReadOnlyList<RecoveredEdit> recovered = Recovery.ForFiles([(donor, donorPath), (receiver, receiverPath)]);
        cancellation.ThrowIfCancellationRequested();
        var crashable = new CrashProgress(progress, donor);
        MoveJob job = MoveEngine.Prepare(donor, donorOffset, receiver, receiverOffset, length, flags, crashable, cancellation);
        using RangeLocks locks = RangeLocks.Take((job.Donor, donorOffset, length), (job.Receiver, receiverOffset, length));
        MoveEngine.CheckReceiverHole(job);
        return Execute(job, flags, (donorPath, receiverPath), crashable) with { Recovered = recovered };
    }

    /// <summary>A Move that is a step of an edit, which holds both files, has finished their
    /// interrupted edits and keeps its own record: the step's record is the edit's. Cancelled,
    /// it returns having moved less than <paramref name="length"/>.</summary>
    internal static MoveResult RunAsStep(SafeFileHandle donor, long donorOffset, SafeFileHandle receiver, long receiverOffset, long length, MoveFlags flags,
        IProgress<long>? progress, CancellationToken cancellation)
    {
        MoveJob job = MoveEngine.Prepare(donor, donorOffset, receiver, receiverOffset, length, flags, progress, cancellation);
        MoveEngine.CheckReceiverHole(job);
        return Execute(job, flags, paths: null, crashable: null);
    }

    /// <summary>Tries the mechanisms, best first, under a record where one is needed.</summary>
    /// <param name="job">The validated Move, its ranges held.</param>
    /// <param name="flags">The caller's flags.</param>
    /// <param name="paths">The files' paths where this Move keeps its own record; null for a
    /// step of an edit.</param>
    /// <param name="crashable">The progress that gives the crash switch its point, armed once a record exists.</param>
    private static MoveResult Execute(MoveJob job, MoveFlags flags, (string? Donor, string? Receiver)? paths, CrashProgress? crashable)
    {
        JournalRecord? record = null;
        try
        {
            foreach (MoveMechanism mechanism in MoveEngine.Candidates(job, flags))
            {
                if (paths is { } p && record is null && !mechanism.Atomic && p.Receiver is not null)
                {
                    // A file with no path (deleted, /proc missing) gets no record: its Move
                    // still loses nothing, but a crash leaves recovery nothing to go on.
                    record = Begin(job, mechanism, p.Donor, p.Receiver);
                    crashable?.Arm();
                }
                MoveResult? result = mechanism.TryMove(job);
                if (result is null)
                {
                    MoveEngine.NotSupported(job, mechanism);
                    continue;
                }
                if (result.MovedLength < job.Length && paths is not null)
                {
                    // Cancelled at a chunk boundary: the files are consistent and the record,
                    // kept, has the rest. (A step's partial Move goes back to its edit.)
                    string where = record is not null ? Path.GetDirectoryName(record.Path)! : "(no journal: the receiver has no path)";
                    record?.Dispose();
                    record = null;
                    throw new EditInterruptedException("move", result.MovedLength, job.Length, "bytes", where, job.Cancellation);
                }
                if (record is not null)
                {
                    CrashSwitch.At("done", 0, job.Donor.Handle);
                }
                record?.Complete();
                return result;
            }
            throw MoveEngine.NoZeroCopy(job);
        }
        catch (MoveIncompleteException e) when (e.RecoveryPending && paths is not null)
        {
            // Not consistent yet: keep the record, so that recovery, or the next edit of these
            // files, finishes the move.
            string? where = record is not null ? Path.GetDirectoryName(record.Path) : null;
            record?.Dispose();
            record = null;
            throw e.WithNote(where is not null
                ? $"its journal record is kept in {where}: `movdata recover {Path.GetDirectoryName(where)}` finishes it"
                : "no journal record could be kept (the receiver has no path): move the rest again once the cause is gone");
        }
        catch (MoveIncompleteException e) when (record is not null)
        {
            // Consistent, as the exception says: nothing to finish, unless the record cannot
            // be removed (the filesystem died with the error): then recovery will run it.
            string where = Path.GetDirectoryName(record.Path)!;
            if (!record.Complete())
            {
                throw e.AsPending($"its journal record could not be removed from {where}: `movdata recover {Path.GetDirectoryName(where)}` finishes the move");
            }
            throw;
        }
        catch (Exception e) when (e is MoveIncompleteException or FileSystemNotSupportedException or ContractViolationException)
        {
            // Consistent, as the exception says: nothing to finish.
            record?.Complete();
            throw;
        }
        catch
        {
            // Anything else (a progress callback that threw, say) may have stopped between the
            // receiver's copy and the donor's punch: keep the record.
            record?.Dispose();
            throw;
        }
    }

    private static JournalRecord Begin(MoveJob job, MoveMechanism mechanism, string? donorPath, string receiverPath)
    {
        var plan = new EditPlan("move", JournalRecord.NewId(), JournalRecord.DirectoryFor(Path.GetDirectoryName(receiverPath)!));
        plan.AddFile(Editor.UserFile(job.Donor, donorPath));
        plan.AddFile(Editor.UserFile(job.Receiver, receiverPath));
        plan.Add(new EditStep(StepKind.Move, "move", 0, job.DonorOffset, 1, job.ReceiverOffset, job.Length));
        plan.Group("move", null);
        // Where the mechanism's first durable change is the receiver's sync, an ordered log
        // (XFS, ext4) makes the record durable with it (JournalRecord.Begin): nothing of the
        // move can be durable without the record.
        bool orderedLog = job.Receiver.FsMagic is FileFacts.XFS_SUPER_MAGIC or FileFacts.EXT4_SUPER_MAGIC;
        JournalRecord record = JournalRecord.Begin(plan, Recovery.JournalsOf(donorPath), durableWithNextSync: orderedLog && mechanism.ReceiverDurableBeforeDonor);
        CrashSwitch.At("done", -1, job.Donor.Handle);
        return record;
    }

    /// <summary>Passes progress on, and gives the crash switch its point inside a recorded
    /// Move: the first report, after the receiver was first written (for a copy, after its
    /// first chunk was committed: the reports while a chunk is copied do not count).</summary>
    private sealed class CrashProgress(IProgress<long>? inner, SafeFileHandle donor) : IMoveProgress
    {
        public void ReportCopying(long done) => inner?.Report(done);

        private bool _armed;

        internal void Arm() => _armed = true;

        public void Report(long value)
        {
            if (_armed)
            {
                _armed = false;
                CrashSwitch.At("ran", 0, donor);
            }
            inner?.Report(value);
        }
    }
}
