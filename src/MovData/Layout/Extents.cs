using Microsoft.Win32.SafeHandles;
using MovData.Native;

namespace MovData.Layout;

/// <summary>Where a file's data is: SEEK_DATA/SEEK_HOLE for the logical picture, FIEMAP for
/// the physical one.</summary>
internal static class Extents
{
    /// <summary>
    /// The data stretches of [start, end), clipped to it, in order. Unwritten extents are
    /// holes here, as SEEK_DATA reports them. The handle's file position is left as it was.
    /// </summary>
    internal static List<(long Offset, long Length)> DataSegments(SafeFileHandle fd, long start, long end, string what)
    {
        var result = new List<(long, long)>();
        long saved = Interop.Seek(fd, 0, Interop.SEEK_CUR, out _);
        try
        {
            long pos = start;
            while (pos < end)
            {
                long data = Interop.Seek(fd, pos, Interop.SEEK_DATA, out int errno);
                if (data < 0)
                {
                    if (errno == Interop.ENXIO)
                    {
                        break;
                    }
                    throw Interop.GetExceptionForErrno(errno, $"lseek(SEEK_DATA) on {what}");
                }
                if (data >= end)
                {
                    break;
                }
                long hole = Interop.Seek(fd, data, Interop.SEEK_HOLE, out errno);
                if (hole < 0)
                {
                    throw Interop.GetExceptionForErrno(errno, $"lseek(SEEK_HOLE) on {what}");
                }
                long stop = Math.Min(hole, end);
                result.Add((data, stop - data));
                pos = stop;
            }
            return result;
        }
        finally
        {
            if (saved >= 0)
            {
                Interop.Seek(fd, saved, Interop.SEEK_SET, out _);
            }
        }
    }

    /// <summary>
    /// Offset of the first written byte in [start, end), or -1 if the range is all hole
    /// (unwritten extents count as hole). Asks the filesystem's extent map (FIEMAP, flushing
    /// delayed allocations first) where it has one, SEEK_DATA otherwise. SEEK_DATA alone is not
    /// enough on XFS: over a hole that a reflinked file holds copy-on-write space for, it
    /// reports data once pages are cached, although nothing was ever written there.
    /// </summary>
    internal static long FirstData(SafeFileHandle fd, long start, long end, string what)
    {
        var raw = new List<Interop.RawExtent>();
        int errno = Interop.GetExtents(fd, start, end - start, sync: true, raw);
        if (errno == 0)
        {
            foreach (Interop.RawExtent e in raw)
            {
                if ((e.Flags & Interop.FIEMAP_EXTENT_UNWRITTEN) == 0 && e.Logical < end && e.Logical + e.Length > start)
                {
                    return Math.Max(e.Logical, start);
                }
            }
            return -1;
        }
        if (!Interop.IsNotSupported(errno))
        {
            throw Interop.GetExceptionForErrno(errno, $"FS_IOC_FIEMAP on {what}");
        }
        long saved = Interop.Seek(fd, 0, Interop.SEEK_CUR, out _);
        try
        {
            long data = Interop.Seek(fd, start, Interop.SEEK_DATA, out errno);
            if (data < 0)
            {
                return errno == Interop.ENXIO ? -1 : throw Interop.GetExceptionForErrno(errno, $"lseek(SEEK_DATA) on {what}");
            }
            return data < end ? data : -1;
        }
        finally
        {
            if (saved >= 0)
            {
                Interop.Seek(fd, saved, Interop.SEEK_SET, out _);
            }
        }
    }

    /// <summary>
    /// The whole file as segments covering [0, size): from FIEMAP where the filesystem has it
    /// (physical addresses, unwritten and shared flags), else from SEEK_DATA/SEEK_HOLE.
    /// </summary>
    internal static List<Segment> Map(SafeFileHandle fd, long size, string what)
    {
        var raw = new List<Interop.RawExtent>();
        int errno = size == 0 ? 0 : Interop.GetExtents(fd, 0, size, sync: true, raw);
        if (errno != 0 && !Interop.IsNotSupported(errno))
        {
            throw Interop.GetExceptionForErrno(errno, $"FS_IOC_FIEMAP on {what}");
        }
        var segments = new List<Segment>();
        long pos = 0;
        if (errno == 0)
        {
            foreach (Interop.RawExtent e in raw)
            {
                long start = Math.Max(e.Logical, pos);
                long stop = Math.Min(e.Logical + e.Length, size);
                if (stop <= start)
                {
                    continue;
                }
                if (start > pos)
                {
                    segments.Add(new Segment(pos, start - pos, SegmentKind.Hole, false, null));
                }
                bool unknown = (e.Flags & (Interop.FIEMAP_EXTENT_UNKNOWN | Interop.FIEMAP_EXTENT_DELALLOC)) != 0;
                SegmentKind kind = (e.Flags & Interop.FIEMAP_EXTENT_UNWRITTEN) != 0 ? SegmentKind.Unwritten : SegmentKind.Data;
                long? physical = unknown ? null : e.Physical + (start - e.Logical);
                segments.Add(new Segment(start, stop - start, kind, (e.Flags & Interop.FIEMAP_EXTENT_SHARED) != 0, physical));
                pos = stop;
            }
        }
        else
        {
            foreach ((long offset, long length) in DataSegments(fd, 0, size, what))
            {
                if (offset > pos)
                {
                    segments.Add(new Segment(pos, offset - pos, SegmentKind.Hole, false, null));
                }
                segments.Add(new Segment(offset, length, SegmentKind.Data, false, null));
                pos = offset + length;
            }
        }
        if (pos < size)
        {
            segments.Add(new Segment(pos, size - pos, SegmentKind.Hole, false, null));
        }
        return segments;
    }

    /// <summary>Data extents as the filesystem stores them (FIEMAP), for fragmentation counts.</summary>
    internal static int CountDataExtents(SafeFileHandle fd, long size, string what)
    {
        var raw = new List<Interop.RawExtent>();
        int errno = size == 0 ? 0 : Interop.GetExtents(fd, 0, size, sync: true, raw);
        Interop.ThrowIfFailed(errno, $"FS_IOC_FIEMAP on {what}");
        return raw.Count(e => (e.Flags & Interop.FIEMAP_EXTENT_UNWRITTEN) == 0);
    }
}
