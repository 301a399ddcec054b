using Microsoft.Win32.SafeHandles;
using MovData.Layout;
using MovData.Native;

namespace MovData.Operations;

/// <summary>
/// The XFS mechanisms' first half: the file's data copied into an unnamed temporary file
/// (O_TMPFILE, so a crash leaves nothing behind) on freshly preallocated space, holes left
/// holes, and made durable before anything is swapped. The file is read through the page
/// cache. The copy is written with O_DIRECT (as xfs_fsr writes it) where nothing reads it
/// again, and through the cache, its writeback started piece by piece, where FIDEDUPERANGE
/// will compare it: that comparison reads a page at a time, and on a 1 GiB file took 0.3 s
/// with both files cached, 3.7 s with the copy read from disk (bench/defrag.sh's images).
/// </summary>
internal static class FreshCopy
{
    /// <summary>The durable copy, or null when its space is no less fragmented than the file
    /// (nothing to gain: it is closed and gone, nothing was changed).</summary>
    /// <param name="job">The defragment.</param>
    /// <param name="runs">The file's runs of data.</param>
    /// <param name="share">The fraction of the job's progress the copy stands for (the rest is the swap's).</param>
    /// <param name="cached">Write the copy through the page cache (it will be read again).</param>
    internal static SafeFileHandle? Make(DefragJob job, List<(long Offset, long Length)> runs, double share, bool cached)
    {
        string directory = job.Directory;
        SafeFileHandle temp = new();
        int errno = cached ? Interop.EINVAL : Interop.OpenDirectTempFile(directory, out temp);
        bool direct = errno == 0;
        if (errno == Interop.EINVAL)
        {
            errno = Interop.OpenTempFile(directory, out temp); // cached, or no direct I/O here
        }
        Interop.ThrowIfFailed(errno, $"O_TMPFILE in {directory}");
        // Where nothing reads the file again, it is read past the cache too, as xfs_fsr reads
        // it: all of a piece's extents at once (through the cache, 1 GiB in 4096 pieces read
        // at a third of the speed).
        SafeFileHandle source = job.Handle;
        if (direct && Interop.OpenDirectReader(job.Handle, out SafeFileHandle reader) == 0)
        {
            source = reader;
        }
        try
        {
            RandomAccess.SetLength(temp, job.File.Size);
            long copied = 0;
            foreach ((long offset, long length) in runs)
            {
                // One fallocate per run of data asks the allocator for contiguous space.
                Interop.ThrowIfFailed(Interop.Fallocate(temp, Interop.FALLOC_FL_KEEP_SIZE, offset, length), "fallocate of the fresh copy");
                if (!direct)
                {
                    _ = Interop.Prefetch(job.Handle, offset, Math.Min(DefragMechanism.Piece, length));
                }
                for (long done = 0; done < length;)
                {
                    job.Cancellation.ThrowIfCancellationRequested();
                    long n = Math.Min(DefragMechanism.Piece, length - done);
                    // The next piece is read ahead, all its extents at once, while this one is
                    // copied: readahead alone reads a fragmented file a small window at a time.
                    if (!direct && done + n < length)
                    {
                        _ = Interop.Prefetch(job.Handle, offset + done + n, Math.Min(DefragMechanism.Piece, length - done - n));
                    }
                    // read/write, not copy_file_range: on XFS that would reflink the old,
                    // fragmented blocks instead of writing new ones.
                    long wrote;
                    Interop.ThrowIfFailed(direct
                        ? Interop.CopyIntoDirect(source, offset + done, temp, offset + done, n, (int)job.File.BlockSize, out wrote)
                        : Interop.CopyByReadWrite(job.Handle, offset + done, temp, offset + done, n, out wrote), "copying into the fresh copy");
                    if (!direct)
                    {
                        _ = Interop.StartWriteback(temp, offset + done, wrote); // so the final sync finds little left
                    }
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
        finally
        {
            if (source != job.Handle)
            {
                source.Dispose();
            }
        }
    }
}
