using Microsoft.Win32.SafeHandles;
using MovData.Layout;
using MovData.Native;

namespace MovData.Operations;

/// <summary>
/// ext4: an unnamed donor file gets fresh preallocated space for each run of the file's data,
/// and EXT4_IOC_MOVE_EXT copies the file's blocks into it and swaps the extents, one piece at
/// a time under the file's lock, each swap journaled: a write meanwhile lands before or after
/// a piece, never in between. The donor ends up with the old blocks and takes them with it
/// when it is closed (or, after a crash, when the journal's orphan list is replayed).
/// </summary>
internal sealed class MoveExtentsDefrag : DefragMechanism
{
    /// <summary>EBUSY answers in a row, with no block moved, before giving up.</summary>
    private const int BusyTries = 16;

    internal override DefragmentMethod Method => DefragmentMethod.MoveExtents;

    internal override DefragmentMethod Run(DefragJob job)
    {
        // Written back and out of the cache first, as e4defrag does: a cached page costs the
        // move a journal commit of its own (a 256 MiB file: 68 s instead of 4 s), and a dirty
        // one makes it stop with EBUSY.
        Interop.ThrowIfFailed(Interop.FDataSync(job.Handle), "fdatasync of the file");
        Interop.ThrowIfFailed(Interop.DropCachedPages(job.Handle), "posix_fadvise (DONTNEED) of the file");
        string directory = job.Directory;
        Interop.ThrowIfFailed(Interop.OpenTempFile(directory, out SafeFileHandle donor), $"O_TMPFILE in {directory}");
        using (donor)
        {
            List<(long Offset, long Length)> runs = job.DataRuns();
            RandomAccess.SetLength(donor, job.File.Size);
            foreach ((long offset, long length) in runs)
            {
                Interop.ThrowIfFailed(Interop.Fallocate(donor, 0, offset, length), "fallocate of the donor");
            }
            if (Extents.Map(donor, job.File.Size, "the donor").Count(s => s.Kind != SegmentKind.Hole) >= job.Report.Extents)
            {
                return DefragmentMethod.None;
            }
            CrashSwitch.At("defrag", 1, job.Handle);
            long bs = job.File.BlockSize;
            List<(long Offset, long Length)> pieces = Pieces(runs);
            SwapEach(job, pieces, i => MovePiece(job, donor, pieces[i].Offset / bs, (pieces[i].Length + bs - 1) / bs), moved =>
            {
                job.BytesCopied = moved;
                return moved;
            });
            CrashSwitch.At("defrag", 3, job.Handle);
            Interop.ThrowIfFailed(Interop.FSync(job.Handle), "fsync of the file");
            return Method;
        }
    }

    private static void MovePiece(DefragJob job, SafeFileHandle donor, long start, long blocks)
    {
        int busy = 0;
        while (blocks > 0)
        {
            int errno = Interop.MoveExtents(job.Handle, donor, start, start, blocks, out long moved);
            if (errno == 0 || errno == Interop.ENODATA)
            {
                return; // ENODATA: the rest of the piece is a hole
            }
            if (errno != Interop.EBUSY)
            {
                Interop.ThrowIfFailed(errno, "EXT4_IOC_MOVE_EXT");
            }
            // A page turned dirty or busy: what moved stays moved; write back and go on from
            // there (starting again from the piece's start would swap the moved blocks back).
            busy = moved > 0 ? 0 : busy + 1;
            if (busy == BusyTries)
            {
                throw new IOException(
                    "defragment abandoned: the file kept being written while its extents were moved (EXT4_IOC_MOVE_EXT: EBUSY); nothing was lost, try again when it is idle",
                    Interop.EBUSY);
            }
            start += moved;
            blocks -= moved;
            Interop.ThrowIfFailed(Interop.FDataSync(job.Handle), "fdatasync of the file");
        }
    }
}
