using Microsoft.Win32.SafeHandles;
using MovData.Layout;
using MovData.Native;

namespace MovData.Operations;

/// <summary>A file's extents as defragment sees them: how many, how many at best, how much
/// data and how much of it shared.</summary>
internal static class FileLayout
{
    /// <summary>ext4's longest initialized extent, in blocks (EXT_INIT_MAX_LEN).</summary>
    private const long Ext4MaxExtentBlocks = 32768;

    /// <summary>btrfs's longest data extent (BTRFS_MAX_EXTENT_SIZE).</summary>
    internal const long BtrfsMaxExtentBytes = 128L << 20;

    /// <summary>XFS's longest extent, in blocks (XFS_MAX_BMBT_EXTLEN).</summary>
    private const long XfsMaxExtentBlocks = (1L << 21) - 1;

    /// <summary>The file's segments, for <see cref="FileRange.Map(SafeFileHandle)"/>.</summary>
    internal static List<Segment> Map(SafeFileHandle file)
    {
        FileFacts f = FileFacts.Of(file, "file");
        Validate.Regular(f);
        return Extents.Map(file, f.Size, "the file");
    }

    /// <summary>The fragmentation of the file, for <see cref="FileRange.Fragmentation(SafeFileHandle)"/>.</summary>
    internal static FragmentationReport Fragmentation(SafeFileHandle file)
    {
        FileFacts f = FileFacts.Of(file, "file");
        Validate.Regular(f);
        return Measure(f);
    }

    /// <summary>The fragmentation of the file: FIEMAP's data extents against the fewest the
    /// filesystem could hold its data runs in.</summary>
    /// <exception cref="FileSystemNotSupportedException">tmpfs, or another filesystem without FIEMAP.</exception>
    internal static FragmentationReport Measure(FileFacts f)
    {
        if (f.FsMagic == FileFacts.TMPFS_MAGIC)
        {
            throw new FileSystemNotSupportedException(
                "tmpfs keeps files in memory pages, not in extents on a disk: there is nothing to defragment (FIEMAP: EOPNOTSUPP)");
        }
        int extents = Extents.CountDataExtents(f.Handle, f.Size, "the file");
        List<(long Offset, long Length)> runs = Extents.DataSegments(f.Handle, 0, f.Size, "the file");
        long longest = LongestExtent(f);
        long data = 0;
        int ideal = 0;
        foreach ((_, long length) in runs)
        {
            data += length;
            ideal += (int)((length + longest - 1) / longest);
        }
        long shared = Extents.Map(f.Handle, f.Size, "the file").Where(s => s.Shared && s.Kind != SegmentKind.Hole).Sum(s => s.Length);
        return new FragmentationReport(extents, ideal, data, shared);
    }

    /// <summary>Bytes of data whose physical address differs between two maps of one file
    /// (rewritten), and how many of them were shared before: fresh blocks are the file's own,
    /// even while the unnamed copy that wrote them waits to be freed (XFS frees it later).</summary>
    internal static (long Rewritten, long Unshared) Compare(IReadOnlyList<Segment> before, IReadOnlyList<Segment> after)
    {
        long rewritten = 0, unshared = 0;
        int j = 0;
        foreach (Segment b in before.Where(s => s.Kind != SegmentKind.Hole))
        {
            while (j < after.Count && after[j].Offset + after[j].Length <= b.Offset)
            {
                j++;
            }
            for (int k = j; k < after.Count && after[k].Offset < b.Offset + b.Length; k++)
            {
                Segment a = after[k];
                long from = Math.Max(a.Offset, b.Offset), to = Math.Min(a.Offset + a.Length, b.Offset + b.Length);
                if (to <= from || a.Kind == SegmentKind.Hole)
                {
                    continue;
                }
                long? was = b.Physical + (from - b.Offset), now = a.Physical + (from - a.Offset);
                if (was is null || now is null || was != now)
                {
                    rewritten += to - from;
                    unshared += b.Shared ? to - from : 0;
                }
            }
        }
        return (rewritten, unshared);
    }

    private static long LongestExtent(FileFacts f)
    {
        switch (f.FsMagic)
        {
            case FileFacts.EXT4_SUPER_MAGIC:
                return Ext4MaxExtentBlocks * f.BlockSize;
            case FileFacts.BTRFS_SUPER_MAGIC:
                return BtrfsMaxExtentBytes;
            case FileFacts.XFS_SUPER_MAGIC:
                long longest = XfsMaxExtentBlocks * f.BlockSize;
                // An extent never crosses an allocation group's end.
                return Interop.XfsAllocationGroupBytes(f.Handle, out long ag) == 0 && ag > 0 ? Math.Min(ag, longest) : longest;
            default:
                return long.MaxValue;
        }
    }
}
