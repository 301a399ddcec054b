using MovData.Edits;

namespace MovData.Media;

/// <summary>
/// The block arithmetic of a cut in place, whatever the format: only whole blocks are
/// removed (a collapse shifts by blocks), and a removal keeps the format's grid where it is a
/// multiple of both the block and the format's unit (an MPEG-TS packet); what a format writes
/// is placed in the file as it is after every removal.
/// </summary>
internal static class Blocks
{
    internal static long Lcm(long a, long b)
    {
        long x = a, y = b;
        while (y != 0)
        {
            (x, y) = (y, x % y);
        }
        return a / x * b;
    }

    /// <summary>The largest whole number of <paramref name="unit"/>s inside [<paramref name="start"/>,
    /// <paramref name="end"/>) from its first block boundary: where that is, and their length (0 if none fits).</summary>
    internal static (long At, long Length) WholeUnitsIn(long start, long end, long blockSize, long unit)
    {
        long at = (start + blockSize - 1) / blockSize * blockSize;
        return (at, end > at ? (end - at) / unit * unit : 0);
    }

    /// <summary>Writes planned at offsets of the file as it is, where they land after
    /// <paramref name="removals"/>: each moved down by what was collapsed before it; in offset order.</summary>
    internal static List<Patch> AfterRemovals(IEnumerable<Patch> writes, IReadOnlyList<BlockRemoval> removals) =>
        [.. writes.Select(w => w with { Offset = w.Offset - removals.Where(r => !r.ToEnd && r.Offset + r.Length <= w.Offset).Sum(r => r.Length) }).OrderBy(w => w.Offset)];
}
