using Microsoft.Win32.SafeHandles;
using MovData.Layout;

namespace MovData.Operations;

/// <summary>The seed's FS_IOC_MOV_DATA: validate everything, then pick the mechanism.</summary>
internal static class MoveEngine
{
    private static readonly ExchangeRangeMove Exchange = new();
    private static readonly ClonePunchMove Clone = new();
    private static readonly CopyPunchMove Copy = new();

    /// <remarks>beforeChange is called once the move is validated and locked, with the
    /// mechanism about to run, before anything changes (the edits layer writes its intent
    /// record there), and again if that mechanism was not supported and another follows.
    /// takeLocks is false when the caller already holds locks covering both ranges.</remarks>
    internal static MoveResult Move(SafeFileHandle donor, long donorOffset, SafeFileHandle receiver, long receiverOffset, long length, MoveFlags flags, IProgress<long>? progress,
        Action<MoveJob, MoveMethod>? beforeChange = null, bool takeLocks = true)
    {
        (FileFacts d, FileFacts r) = Validate.DonorAndReceiver(donor, donorOffset, receiver, receiverOffset, length, flags);
        long bs = Validate.BlockSize(d, r);
        Validate.Aligned(donorOffset, "donorOffset", bs);
        Validate.Aligned(receiverOffset, "receiverOffset", bs);
        Validate.Aligned(length, "length", bs);
        Validate.WithinSize(d, donorOffset, length, "donorOffset", bs);
        Validate.WithinSize(r, receiverOffset, length, "receiverOffset", bs);
        Validate.NoOverlap(d, donorOffset, r, receiverOffset, length);

        // From here on the ranges are this Move's: another MovData edit of them waits, and
        // sees the result (the receiver range then holding data) when it gets its turn.
        using RangeLocks? locks = takeLocks ? RangeLocks.Take((d, donorOffset, length), (r, receiverOffset, length)) : null;
        long data = Extents.FirstData(receiver, receiverOffset, receiverOffset + length, "the receiver");
        if (data >= 0)
        {
            throw new ContractViolationException(ContractRule.ReceiverNotHole, nameof(receiverOffset),
                $"rule 2 (receiver hole): the receiver holds data at offset {data}, inside [{receiverOffset}, {receiverOffset + length}) (block size {bs})");
        }

        var job = new MoveJob(d, donorOffset, r, receiverOffset, length, progress);
        bool sameDevice = d.Device == r.Device;
        Capabilities caps = Capabilities.For(r);
        foreach (MoveMechanism mechanism in Candidates(caps, sameDevice, flags))
        {
            beforeChange?.Invoke(job, mechanism.Method);
            MoveResult? result = mechanism.TryMove(job);
            if (result is not null)
            {
                return result;
            }
            // A not-supported answer for two files of one filesystem is a fact about that
            // filesystem; across two filesystems it is only a fact about the pair.
            if (sameDevice)
            {
                Capabilities.Remember(d.Device, c => mechanism.Method == MoveMethod.ExchangeRange ? c with { Exchange = false } : c with { Reflink = false });
            }
        }
        string where = sameDevice ? $"{r.FsType}" : $"two filesystems ({d.FsType} and {r.FsType})";
        throw new FileSystemNotSupportedException(
            $"a zero-copy move is not possible on {where}: it has neither XFS exchange-range nor FICLONERANGE, so only copying could move the data, and ZeroCopyOnly forbids that; nothing was changed");
    }

    private static IEnumerable<MoveMechanism> Candidates(Capabilities caps, bool sameDevice, MoveFlags flags)
    {
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
}
