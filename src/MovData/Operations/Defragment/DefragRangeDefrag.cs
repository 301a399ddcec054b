using MovData.Native;

namespace MovData.Operations;

/// <summary>
/// btrfs: BTRFS_IOC_DEFRAG_RANGE rewrites every extent shorter than btrfs's longest (128 MiB)
/// copy-on-write, one such length at a time, into the page cache; one fsync at the end writes
/// it all; a crash leaves each piece old or new, never torn. Extents
/// shared with a reflinked copy or a snapshot are unshared by it: the result says how many
/// bytes that was, and the free-space check counted them before.
/// </summary>
internal sealed class DefragRangeDefrag : DefragMechanism
{
    /// <summary>One call per longest extent: a shorter range would cap the extents it writes.</summary>
    private const long RangePiece = FileLayout.BtrfsMaxExtentBytes;

    internal override DefragmentMethod Method => DefragmentMethod.DefragRange;

    internal override DefragmentMethod Run(DefragJob job)
    {
        CrashSwitch.At("defrag", 1, job.Handle);
        List<(long Offset, long Length)> pieces = Pieces(job.DataRuns(), RangePiece);
        SwapEach(job, pieces, i => Interop.ThrowIfFailed(
            Interop.BtrfsDefragRange(job.Handle, pieces[i].Offset, pieces[i].Length, (uint)FileLayout.BtrfsMaxExtentBytes), "BTRFS_IOC_DEFRAG_RANGE"),
            swapped => swapped);
        CrashSwitch.At("defrag", 3, job.Handle);
        Interop.ThrowIfFailed(Interop.FSync(job.Handle), "fsync of the file");
        return Method;
    }
}
