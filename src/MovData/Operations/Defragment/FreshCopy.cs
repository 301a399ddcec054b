using Microsoft.Win32.SafeHandles;
using MovData.Layout;
using MovData.Native;

namespace MovData.Operations;

/// <summary>How a fresh copy is written, and how the file is read for it.</summary>
internal enum CopyIo
{
    /// <summary>Both through the page cache, the copy's writeback started piece by piece:
    /// FIDEDUPERANGE will compare them a page at a time, and on a 1 GiB file took 0.3 s with
    /// both cached, 3.7 s with the copy read back from disk (bench/defrag.sh's images).</summary>
    Cached,

    /// <summary>Both with O_DIRECT, as xfs_fsr copies (nothing reads them again), the file
    /// through a second handle of its own.</summary>
    Direct,

    /// <summary>Both with O_DIRECT, the file through its own handle, switched to O_DIRECT for
    /// the copy and back: a second open of the file would break a write lease on it.</summary>
    DirectOnOwnHandle,
}

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
    /// <param name="io">How the copy is written and the file read.</param>
    /// <param name="afterPiece">Called after each piece is copied (a lease's check), or null.</param>
    internal static SafeFileHandle? Make(DefragJob job, List<(long Offset, long Length)> runs, double share, CopyIo io, Action? afterPiece = null)
    {
        string directory = job.Directory;
        SafeFileHandle temp = new();
        int errno = io == CopyIo.Cached ? Interop.EINVAL : Interop.OpenDirectTempFile(directory, out temp);
        bool direct = errno == 0;
        if (errno == Interop.EINVAL)
        {
            errno = Interop.OpenTempFile(directory, out temp); // cached, or no direct I/O here
        }
        Interop.ThrowIfFailed(errno, $"O_TMPFILE in {directory}");
        using DirectSource source = direct ? DirectSource.Open(job.Handle, io) : DirectSource.None(job.Handle);
        using Interop.DirectBuffer? buffer = direct ? new Interop.DirectBuffer((int)job.File.BlockSize) : null;
        try
        {
            RandomAccess.SetLength(temp, job.File.Size);
            long copied = 0;
            foreach ((long offset, long length) in runs)
            {
                // One fallocate per run of data asks the allocator for contiguous space.
                Interop.ThrowIfFailed(Interop.Fallocate(temp, Interop.FALLOC_FL_KEEP_SIZE, offset, length), "fallocate of the fresh copy");
                if (!source.Direct)
                {
                    _ = Interop.Prefetch(job.Handle, offset, Math.Min(DefragMechanism.Piece, length));
                }
                for (long done = 0; done < length;)
                {
                    job.Cancellation.ThrowIfCancellationRequested();
                    long n = Math.Min(DefragMechanism.Piece, length - done);
                    // The next piece is read ahead, all its extents at once, while this one is
                    // copied: readahead alone reads a fragmented file a small window at a time.
                    if (!source.Direct && done + n < length)
                    {
                        _ = Interop.Prefetch(job.Handle, offset + done + n, Math.Min(DefragMechanism.Piece, length - done - n));
                    }
                    // read/write, not copy_file_range: on XFS that would reflink the old,
                    // fragmented blocks instead of writing new ones.
                    long wrote;
                    Interop.ThrowIfFailed(direct
                        ? Interop.CopyIntoDirect(source.Handle, offset + done, temp, offset + done, n, buffer!, out wrote)
                        : Interop.CopyByReadWrite(source.Handle, offset + done, temp, offset + done, n, out wrote), "copying into the fresh copy");
                    if (!direct)
                    {
                        _ = Interop.StartWriteback(temp, offset + done, wrote); // so the final sync finds little left
                    }
                    done += wrote;
                    copied += wrote;
                    job.Progress((long)(copied * share));
                    afterPiece?.Invoke();
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

    /// <summary>Where the copy reads the file from: its own handle (through the cache, or
    /// switched to O_DIRECT and back when disposed), or a second O_DIRECT handle on it.</summary>
    private sealed class DirectSource : IDisposable
    {
        private readonly SafeFileHandle own;
        private readonly int restoreFlags = -1;

        private DirectSource(SafeFileHandle own, SafeFileHandle handle, bool direct, int restoreFlags)
        {
            this.own = own;
            Handle = handle;
            Direct = direct;
            this.restoreFlags = restoreFlags;
        }

        internal SafeFileHandle Handle { get; }

        internal bool Direct { get; }

        internal static DirectSource None(SafeFileHandle file) => new(file, file, false, -1);

        /// <summary>Direct reads of <paramref name="file"/> as <paramref name="io"/> says, or
        /// reads through the cache where the filesystem refuses O_DIRECT.</summary>
        internal static DirectSource Open(SafeFileHandle file, CopyIo io)
        {
            if (io == CopyIo.DirectOnOwnHandle)
            {
                if (Interop.GetStatusFlags(file, out int flags) == 0 && Interop.SetStatusFlags(file, flags | Interop.O_DIRECT) == 0)
                {
                    return new DirectSource(file, file, true, flags);
                }
                return None(file);
            }
            return Interop.OpenDirectReader(file, out SafeFileHandle reader) == 0 ? new DirectSource(file, reader, true, -1) : None(file);
        }

        public void Dispose()
        {
            if (restoreFlags >= 0)
            {
                _ = Interop.SetStatusFlags(own, restoreFlags);
            }
            else if (Handle != own)
            {
                Handle.Dispose();
            }
        }
    }
}
