using Microsoft.Win32.SafeHandles;
using MovData.Layout;
using MovData.Native;

namespace MovData.Operations;

/// <summary>
/// The XFS mechanisms' first half: the file's data copied into an unnamed temporary file
/// (O_TMPFILE, so a crash leaves nothing behind) on freshly preallocated space, holes left
/// holes, and made durable before anything is swapped. The copy is written with O_DIRECT, as
/// xfs_fsr writes it: through the page cache a 1 GiB copy took 9 s to write back on a loop
/// device that takes 1.5 s direct (bench/defrag.sh); the file itself is read through the cache,
/// where FIDEDUPERANGE's comparison then finds it.
/// </summary>
internal static class FreshCopy
{
    /// <summary>The durable copy, or null when its space is no less fragmented than the file
    /// (nothing to gain: it is closed and gone, nothing was changed).</summary>
    /// <param name="job">The defragment.</param>
    /// <param name="runs">The file's runs of data.</param>
    /// <param name="share">The fraction of the job's progress the copy stands for (the rest is the swap's).</param>
    internal static SafeFileHandle? Make(DefragJob job, List<(long Offset, long Length)> runs, double share)
    {
        string directory = job.Directory;
        int errno = Interop.OpenDirectTempFile(directory, out SafeFileHandle temp);
        bool direct = errno == 0;
        if (errno == Interop.EINVAL)
        {
            errno = Interop.OpenTempFile(directory, out temp); // no direct I/O here
        }
        Interop.ThrowIfFailed(errno, $"O_TMPFILE in {directory}");
        try
        {
            RandomAccess.SetLength(temp, job.File.Size);
            long copied = 0;
            foreach ((long offset, long length) in runs)
            {
                // One fallocate per run of data asks the allocator for contiguous space.
                Interop.ThrowIfFailed(Interop.Fallocate(temp, Interop.FALLOC_FL_KEEP_SIZE, offset, length), "fallocate of the fresh copy");
                for (long done = 0; done < length;)
                {
                    job.Cancellation.ThrowIfCancellationRequested();
                    long n = Math.Min(DefragMechanism.Piece, length - done);
                    // read/write, not copy_file_range: on XFS that would reflink the old,
                    // fragmented blocks instead of writing new ones.
                    long wrote;
                    Interop.ThrowIfFailed(direct
                        ? Interop.CopyIntoDirect(job.Handle, offset + done, temp, offset + done, n, (int)job.File.BlockSize, out wrote)
                        : Interop.CopyByReadWrite(job.Handle, offset + done, temp, offset + done, n, out wrote), "copying into the fresh copy");
                    done += wrote;
                    copied += wrote;
                    job.Progress((long)(copied * share));
                }
            }
            job.BytesCopied = copied;
            RandomAccess.SetLength(temp, job.File.Size); // a direct write of the last block went past the end
            CrashSwitch.At("defrag", 0, job.Handle);
            Interop.ThrowIfFailed(Interop.FDataSync(temp), "fdatasync of the fresh copy");
            if (Extents.CountDataExtents(temp, job.File.Size, "the fresh copy") >= job.Report.Extents)
            {
                temp.Dispose();
                return null;
            }
            CrashSwitch.At("defrag", 1, job.Handle);
            return temp;
        }
        catch
        {
            temp.Dispose();
            throw;
        }
    }
}
