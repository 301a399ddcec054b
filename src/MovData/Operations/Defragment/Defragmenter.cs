using Microsoft.Win32.SafeHandles;
using MovData.Layout;
using MovData.Native;

namespace MovData.Operations;

/// <summary>
/// Copy to fresh space, then exchange it in: the seed's enhancement 2, on XFS exchange-range.
/// </summary>
internal static class Defragmenter
{
    /// <remarks>Cancelled, it stops before the next segment or before the exchange: the copy
    /// is an unnamed file, and the file is unchanged.</remarks>
    internal static DefragmentResult Run(SafeFileHandle file, IProgress<long>? progress, CancellationToken cancellation)
    {
        FileFacts f = FileFacts.Of(file, "file");
        Validate.Writable(f);
        Capabilities caps = Capabilities.For(f);
        if (caps.Exchange != true)
        {
            throw new FileSystemNotSupportedException(
                $"defragment is not supported on {f.FsType}: it swaps the fresh copy in with XFS_IOC_EXCHANGE_RANGE, which only XFS with the exchange-range feature has (mkfs.xfs -i exchange=1); nothing was changed");
        }
        string directory = Capabilities.DirectoryOf(file)
            ?? throw new IOException("defragment needs the file's directory for its temporary copy, and the file has none (deleted?)");
        int before = Extents.CountDataExtents(file, f.Size, "the file");
        List<(long Offset, long Length)> data = Extents.DataSegments(file, 0, f.Size, "the file");

        int errno = Interop.OpenTempFile(directory, out SafeFileHandle temp);
        Interop.ThrowIfFailed(errno, $"O_TMPFILE in {directory}");
        using (temp)
        {
            RandomAccess.SetLength(temp, f.Size);
            long copied = 0;
            foreach ((long offset, long length) in data)
            {
                cancellation.ThrowIfCancellationRequested();
                // Allocating each data segment in one call asks the allocator for contiguous
                // space; holes are left unallocated so they stay holes.
                Interop.ThrowIfFailed(Interop.Fallocate(temp, Interop.FALLOC_FL_KEEP_SIZE, offset, length), "fallocate of the temporary copy");
                // read/write, not copy_file_range: on XFS that would reflink the old,
                // fragmented blocks instead of writing new ones.
                Interop.ThrowIfFailed(Interop.CopyByReadWrite(file, offset, temp, offset, length, out long n), "copying into the temporary file");
                copied += n;
                progress?.Report(copied);
            }
            Interop.ThrowIfFailed(Interop.FDataSync(temp), "fdatasync of the temporary copy");
            cancellation.ThrowIfCancellationRequested();

            // A write during the copy would be lost by the exchange: refuse if the file changed.
            FileFacts now = FileFacts.Of(file, "file");
            if (now.ChangeTimeSec != f.ChangeTimeSec || now.ChangeTimeNsec != f.ChangeTimeNsec || now.Size != f.Size)
            {
                throw new IOException("the file changed while defragment copied it; nothing was changed, try again when it is idle");
            }
            Interop.ThrowIfFailed(Interop.ExchangeRange(temp, 0, file, 0, f.Size, Interop.XFS_EXCHANGE_RANGE_DSYNC), "XFS_IOC_EXCHANGE_RANGE");
            int after = Extents.CountDataExtents(file, f.Size, "the file");
            return new DefragmentResult(before, after, copied);
        }
    }
}
