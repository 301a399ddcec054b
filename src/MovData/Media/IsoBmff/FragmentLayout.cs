namespace MovData.Media.IsoBmff;

/// <summary>A fragment whose moof a join rewrote (<see cref="ResumedFragment"/>): how far its
/// start to its moof's end moved besides the shift, and where track <c>TrackId</c>'s samples are now.</summary>
internal sealed record RewrittenMoof(int Moved, int TrackId, RunNumbers Numbers);

/// <summary>
/// What a fragment cut leaves, as the indexes that point into the fragments need it: which
/// fragments go, the byte ranges they took and where each one's free box begins (after a
/// moov written again, for the first: <see cref="FragmentCut"/>), each track's time lost before each fragment, and
/// where a byte of the file is after the cut (a fragment whose moof a join rewrote, in
/// <c>rewritten</c>, has its start to its moof's end moved that much more: <see cref="ResumedFragment"/>).
/// </summary>
internal sealed class FragmentLayout(Movie movie, List<FragmentSpan> spans, bool[] removed, List<(long Start, long End)> ranges, List<long> freeAt,
    Dictionary<int, long>[] lostBefore, Func<long, long> shift, IReadOnlyDictionary<int, RewrittenMoof> rewritten)
{
    internal Movie Movie => movie;

    internal IReadOnlyList<FragmentSpan> Spans => spans;

    internal bool Removed(int span) => removed[span];

    /// <summary>Fragment <paramref name="span"/>'s moof as a join rewrote it; null where it was not.</summary>
    internal RewrittenMoof? Rewritten(int span) => rewritten.GetValueOrDefault(span);

    /// <summary>The time <paramref name="trackId"/> lost before fragment <paramref name="span"/> (its timescale).</summary>
    internal long LostBefore(int span, int trackId) => lostBefore[span].GetValueOrDefault(trackId);

    /// <summary>The fragment that starts at or holds <paramref name="offset"/>, or -1 before the first.</summary>
    internal int SpanAt(long offset)
    {
        int lo = 0, hi = spans.Count - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) / 2;
            if (spans[mid].Start <= offset)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return found;
    }

    /// <summary>Where the byte at <paramref name="offset"/> is after the cut; a byte of a
    /// removed range is where the range's free box begins.</summary>
    internal long NewOffset(long offset)
    {
        for (int i = 0; i < ranges.Count; i++)
        {
            if (offset >= ranges[i].Start && offset < ranges[i].End)
            {
                return freeAt[i] - shift(freeAt[i]);
            }
        }
        int k = SpanAt(offset);
        int by = k >= 0 && offset < spans[k].Fragment.Moof.End && rewritten.TryGetValue(k, out RewrittenMoof? moof) ? moof.Moved : 0;
        return offset - shift(offset) + by;
    }
}
