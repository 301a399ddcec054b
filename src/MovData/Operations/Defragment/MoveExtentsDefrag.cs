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
        // Written back and out of the cache first, as e4defrag does: pages left from the
        // file's writing cost the move a journal commit each (a 256 MiB file just written:
        // 68 s instead of 4 s), and a dirty one makes it stop with EBUSY.
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
            // The move reads the file's old blocks a page at a time, waiting for each (a 512 MiB
            // file: 131,085 reads of 4 KiB, and e4defrag's the same): each piece is read ahead
            // while the one before it moves, in large requests (2,019 reads; 3 s instead of 19).
            SwapEach(job, pieces, i =>
            {
                for (int j = i == 0 ? 0 : i + 1; j <= i + 1 && j < pieces.Count; j++)
                {
                    _ = Interop.Prefetch(job.Handle, pieces[j].Offset, pieces[j].Length);
                }
                MovePiece(job, donor, pieces[i].Offset / bs, (pieces[i].Length + bs - 1) / bs);
                EvictPiece(job, pieces[i].Offset, pieces[i].Length);
            }, moved =>
            {
                job.BytesCopied = moved;
                return moved;
            });
            CrashSwitch.At("defrag", 3, job.Handle);
            Interop.ThrowIfFailed(Interop.FSync(job.Handle), "fsync of the file");
            return Method;
        }
    }

    /// <summary>Writes back the pages a move left dirty in the cache and drops them, as e4defrag
    /// does after each of its moves: left for the final fsync, they made a 512 MiB file take
    /// 4.4-5.4 s instead of 3.0-3.1 s.</summary>
    private static void EvictPiece(DefragJob job, long offset, long length)
    {
        Interop.ThrowIfFailed(Interop.WriteBack(job.Handle, offset, length), "sync_file_range of the moved piece");
        Interop.ThrowIfFailed(Interop.DropCachedPages(job.Handle, offset, length), "posix_fadvise (DONTNEED) of the moved piece");
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
