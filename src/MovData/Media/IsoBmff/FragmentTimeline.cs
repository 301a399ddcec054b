namespace MovData.Media.IsoBmff;

/// <summary>
/// A fragmented movie's timeline as its cut sees it: the movie's own (its video track's
/// clock, positions its sample numbers), except that a cut can begin or end only where a
/// fragment begins with a video sync sample, since a fragment goes whole or stays whole.
/// </summary>
internal sealed class FragmentTimeline : IMediaTimeline
{
    private readonly Movie _movie;
    private readonly IMediaTimeline _inner;
    private readonly Dictionary<int, int> _spanStartingAt = [];

    /// <summary>The video samples a fragment begins with that are sync samples, in decode order.</summary>
    private readonly List<int> _points = [];

    internal FragmentTimeline(Movie movie, IReadOnlyList<FragmentSpan> spans)
    {
        _movie = movie;
        _inner = movie;
        for (int k = 0; k < spans.Count; k++)
        {
            int first = spans[k].FirstVideoSample;
            if (first >= 0 && movie.Samples.IsSync(first))
            {
                _points.Add(first);
                _spanStartingAt[first] = k;
            }
        }
    }

    /// <summary>The fragment that begins with video sample <paramref name="position"/> (a point this timeline gave).</summary>
    internal int SpanStartingAt(long position) => _spanStartingAt[(int)position];

    public RecordingFormat Format => _inner.Format;

    public long Size => _inner.Size;

    public long Timescale => _inner.Timescale;

    public MediaTime EndTime => _inner.EndTime;

    public long StartPosition => _inner.StartPosition;

    public long EndPosition => _inner.EndPosition;

    public MediaPoint? FirstKeyframeAtOrAfter(MediaTime time, CancellationToken cancel)
    {
        long t = time.In(Timescale).Ticks;
        return Point(Best(i => Pts(i) >= t, (i, best) => Pts(i) < Pts(best)));
    }

    public MediaPoint? LastKeyframeAtOrBefore(MediaTime time, CancellationToken cancel)
    {
        long t = time.In(Timescale).Ticks;
        return Point(Best(i => Pts(i) <= t, (i, best) => Pts(i) > Pts(best)));
    }

    /// <summary>A fragment is cut whole: the nearest fragment that begins with a keyframe.</summary>
    public MediaPoint? NearestFrame(MediaTime time, CancellationToken cancel)
    {
        long t = time.In(Timescale).Ticks;
        return Point(Best(_ => true, (i, best) => Math.Abs(Pts(i) - t) < Math.Abs(Pts(best) - t)));
    }

    /// <summary>The point that <paramref name="fits"/> and is <paramref name="better"/> than any other that fits, or -1.</summary>
    private int Best(Func<int, bool> fits, Func<int, int, bool> better)
    {
        int best = -1;
        foreach (int i in _points.Where(fits))
        {
            if (best < 0 || better(i, best))
            {
                best = i;
            }
        }
        return best;
    }

    public int CountKeyframes(IProgress<long>? progress, CancellationToken cancel) => _points.Count;

    public IReadOnlyList<(long Offset, long Length)> Holds(long from, long to) => _inner.Holds(from, to);

    public RecordingInfo WithDetails(RecordingInfo info) => _inner.WithDetails(info);

    public CutResult WithDetails(CutResult result) => _inner.WithDetails(result);

    private long Pts(int sample) => _movie.Samples.Pts(sample) - _movie.Pts0;

    private MediaPoint? Point(int sample) => sample < 0 ? null : new MediaPoint(sample, new MediaTime(Pts(sample), Timescale));
}
