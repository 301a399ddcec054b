using Microsoft.Win32.SafeHandles;
using MovData.Layout;
using MovData.Native;

namespace MovData.Operations;

/// <summary>
/// The XFS mechanisms' first half: the file's data copied into an unnamed temporary file
/// (O_TMPFILE, so a crash leaves nothing behind) on freshly preallocated space, holes left
/// holes, and made durable before anything is swapped.
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
        Interop.ThrowIfFailed(Interop.OpenTempFile(directory, out SafeFileHandle temp), $"O_TMPFILE in {directory}");
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
                    Interop.ThrowIfFailed(Interop.CopyByReadWrite(job.Handle, offset + done, temp, offset + done, n, out long wrote), "copying into the fresh copy");
                    done += wrote;
                    copied += wrote;
                    job.Progress((long)(copied * share));
                }
            }
            job.BytesCopied = copied;
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
