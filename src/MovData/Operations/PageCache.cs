using Microsoft.Win32.SafeHandles;
using MovData.Native;

namespace MovData.Operations;

/// <summary>
/// Hints to the page cache. A write of a few bytes into a page that is not cached first reads
/// the page, waiting for the disk; a cut of a fragmented MP4 writes a few bytes into every
/// fragment after it (990 fragments in a 33-minute file, 724 of them uncached after the
/// collapses dropped their pages), one such wait at a time unless the reads are started
/// together first.
/// </summary>
internal static class PageCache
{
    /// <summary>Starts reading, without waiting, the pages that the writes of
    /// <paramref name="ranges"/> cover only in part (a page a write fills whole is not read
    /// for it). Only a hint: a failure is ignored, the writes then read as they go.</summary>
    internal static void PrefetchPartialPages(SafeFileHandle file, IEnumerable<(long Offset, long Length)> ranges)
    {
        long page = Environment.SystemPageSize;
        var pages = new SortedSet<long>();
        foreach ((long offset, long length) in ranges.Where(r => r.Length > 0))
        {
            long end = offset + length;
            if (offset % page != 0 || length < page)
            {
                pages.Add(offset / page);
            }
            if (end % page != 0)
            {
                pages.Add((end - 1) / page);
            }
        }
        foreach (long p in pages)
        {
            _ = Interop.Prefetch(file, p * page, page);
        }
    }
}
