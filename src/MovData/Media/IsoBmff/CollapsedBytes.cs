namespace MovData.Media.IsoBmff;

/// <summary>
/// The block ranges a cut collapses out of a file, in file order, and how far each offset
/// after them moves back: a binary search over running totals, since a moov's rewrite asks
/// it once for every kept sample (hundreds of thousands in a long recording). It remembers
/// the range it answered last (asked in file order, mostly, the next answer is the same), so
/// it is for one thread at a time.
/// </summary>
internal sealed class CollapsedBytes
{
    private readonly long[] _ends;
    private readonly long[] _before;
    private int _last; // how many ranges ended at or before the offset asked last

    /// <param name="collapses">The ranges, in file order, apart and not empty.</param>
    internal CollapsedBytes(IReadOnlyList<(long Offset, long Length)> collapses)
    {
        _ends = new long[collapses.Count];
        _before = new long[collapses.Count + 1];
        for (int i = 0; i < collapses.Count; i++)
        {
            if (collapses[i].Length <= 0 || (i > 0 && collapses[i].Offset < _ends[i - 1]))
            {
                throw new ArgumentException("collapsed ranges must be in file order, apart and not empty", nameof(collapses));
            }
            _ends[i] = collapses[i].Offset + collapses[i].Length;
            _before[i + 1] = _before[i] + collapses[i].Length;
        }
    }

    /// <summary>The bytes of the ranges that end at or before <paramref name="offset"/>:
    /// how far the byte at <paramref name="offset"/> moves back (a byte inside a range is gone).</summary>
    internal long Before(long offset)
    {
        // Asked in file order, mostly: the last answer holds until the next range ends.
        int r = _last;
        if ((r > 0 && offset < _ends[r - 1]) || (r < _ends.Length && offset >= _ends[r]))
        {
            // Ends strictly increase (the ranges are apart and not empty): at an exact end that
            // range counts, otherwise the search's complement is the first range ending past it.
            int i = Array.BinarySearch(_ends, offset);
            _last = r = i >= 0 ? i + 1 : ~i;
        }
        return _before[r];
    }
}
