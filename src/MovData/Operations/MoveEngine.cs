using Microsoft.Win32.SafeHandles;
using MovData.Layout;

namespace MovData.Operations;

/// <summary>The seed's FS_IOC_MOV_DATA, in the pieces the edits layer runs in order
/// (<c>Edits.MoveEdit</c>, the one place a Move runs): validate, then under the caller's locks
/// check the receiver's hole, then try the mechanisms best first.</summary>
internal static class MoveEngine
{
    private static readonly ExchangeRangeMove Exchange = new();
    private static readonly ClonePunchMove Clone = new();
    private static readonly CopyPunchMove Copy = new();

    /// <summary>Every rule that needs no lock: flags, file kinds, open modes, alignment,
    /// sizes, overlap.</summary>
    internal static MoveJob Prepare(SafeFileHandle donor, long donorOffset, SafeFileHandle receiver, long receiverOffset, long length, MoveFlags flags,
        IProgress<long>? progress, CancellationToken cancellation)
    {
        (FileFacts d, FileFacts r) = Validate.DonorAndReceiver(donor, donorOffset, receiver, receiverOffset, length, flags);
        long bs = Validate.BlockSize(d, r);
        Validate.Aligned(donorOffset, "donorOffset", bs);
        Validate.Aligned(receiverOffset, "receiverOffset", bs);
        Validate.Aligned(length, "length", bs);
        Validate.WithinSize(d, donorOffset, length, "donorOffset", bs);
        Validate.WithinSize(r, receiverOffset, length, "receiverOffset", bs);
        Validate.NoOverlap(d, donorOffset, r, receiverOffset, length);
        return new MoveJob(d, donorOffset, r, receiverOffset, length, progress, cancellation);
    }

    /// <summary>Rule 2, checked while the caller holds the ranges: another MovData edit of
    /// them waits, and sees the result (the receiver range then holding data) when it gets
    /// its turn.</summary>
    internal static void CheckReceiverHole(MoveJob job)
    {
        long data = Extents.FirstData(job.Receiver.Handle, job.ReceiverOffset, job.ReceiverOffset + job.Length, "the receiver");
        if (data >= 0)
        {
#pragma warning disable CA2208 // the parameter is FileRange.Move's, whose caller broke the rule
            throw new ContractViolationException(ContractRule.ReceiverNotHole, "receiverOffset",
                $"rule 2 (receiver hole): the receiver holds data at offset {data}, inside [{job.ReceiverOffset}, {job.ReceiverOffset + job.Length}) (block size {job.Receiver.BlockSize})");
#pragma warning restore CA2208
        }
    }

    /// <summary>The mechanisms to try, best first, as far as this filesystem is known.</summary>
    internal static IEnumerable<MoveMechanism> Candidates(MoveJob job, MoveFlags flags)
    {
        bool sameDevice = job.Donor.Device == job.Receiver.Device;
        Capabilities caps = Capabilities.For(job.Receiver);
        if (sameDevice && caps.Exchange != false)
        {
            yield return Exchange;
        }
        if (caps.Reflink != false)
        {
            yield return Clone;
        }
        if ((flags & MoveFlags.ZeroCopyOnly) == 0)
        {
            yield return Copy;
        }
    }

    /// <summary>The mechanism answered "not supported" before changing anything.</summary>
    internal static void NotSupported(MoveJob job, MoveMechanism mechanism)
    {
        // For two files of one filesystem that is a fact about the filesystem; across two
        // filesystems only a fact about the pair.
        if (job.Donor.Device == job.Receiver.Device)
        {
            Capabilities.Remember(job.Donor.Device, c => mechanism.Method == MoveMethod.ExchangeRange ? c with { Exchange = false } : c with { Reflink = false });
        }
    }

    /// <summary>No mechanism was left: only copying could move the data, and the caller forbade it.</summary>
    internal static FileSystemNotSupportedException NoZeroCopy(MoveJob job)
    {
        string where = job.Donor.Device == job.Receiver.Device ? $"{job.Receiver.FsType}" : $"two filesystems ({job.Donor.FsType} and {job.Receiver.FsType})";
        return new FileSystemNotSupportedException(
            $"a zero-copy move is not possible on {where}: it has neither XFS exchange-range nor FICLONERANGE, so only copying could move the data, and ZeroCopyOnly forbids that; nothing was changed");
    }
}
