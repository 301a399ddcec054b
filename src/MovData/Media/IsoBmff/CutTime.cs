namespace MovData.Media.IsoBmff;

/// <summary>
/// The time a cut of a movie removes, on the movie's clock (seconds from where the movie
/// begins, before any track's delay): its ranges, in order, each with whether it runs to the
/// end. A cut of the head (<see cref="MovieCut"/>) takes all that is shown before its end,
/// from the movie's start. What follows time rather than samples needs it: the chapters of a
/// chpl, which are on that clock (<see cref="ChapterList"/>), and the texts of a saved movie
/// (<see cref="SavedMovie"/>), which shows the ranges one after another.
/// </summary>
internal sealed class CutTime
{
    private readonly List<(double From, double To, bool ToEnd)> _ranges;
    private readonly long _movieTimescale;

    private CutTime(List<(double From, double To, bool ToEnd)> ranges, long movieTimescale)
    {
        _ranges = ranges;
        _movieTimescale = movieTimescale;
    }

    /// <summary>The ranges, in order.</summary>
    internal IReadOnlyList<(double From, double To, bool ToEnd)> Ranges => _ranges;

    /// <summary>
    /// The time <paramref name="cuts"/> (planned on <paramref name="movie"/>'s video, from its
    /// time 0, where its first frame is shown) remove. With <paramref name="headFromStart"/>, a
    /// cut of the head takes all before its end, from the movie's start (<see cref="MovieCut"/>,
    /// and what a saved movie holds); without, from time 0, as a fragment cut moves its tracks.
    /// </summary>
    internal static CutTime Of(Movie movie, IReadOnlyList<PlannedCut> cuts, bool headFromStart)
    {
        (long mediaTime, long delay) = movie.Lead.EditStart();
        double timeZero = (double)delay / movie.MovieTimescale + (double)(movie.Pts0 - mediaTime) / movie.Lead.Timescale;
        return new CutTime([.. cuts.Select(c => (c.Head && headFromStart ? 0 : c.From.Seconds + timeZero, c.To.Seconds + timeZero, c.End == movie.Samples.Count))],
            movie.MovieTimescale);
    }

    /// <summary>The time outside the ranges: what a movie of the removed parts alone has lost.
    /// That movie begins with the first range: at the movie's start where it is a cut of the
    /// head (it holds what was shown before the video, and keeps the delays), else at the
    /// range's own start (every track shown from it: <see cref="SavedMovie"/>).</summary>
    internal CutTime Outside()
    {
        var outside = new List<(double From, double To, bool ToEnd)>(_ranges.Count + 1);
        double at = 0;
        foreach ((double from, double to, bool toEnd) in _ranges)
        {
            if (from > at)
            {
                outside.Add((at, from, false));
            }
            at = to;
            if (toEnd)
            {
                return new CutTime(outside, _movieTimescale);
            }
        }
        outside.Add((at, double.PositiveInfinity, true));
        return new CutTime(outside, _movieTimescale);
    }

    /// <summary>Where <paramref name="track"/>'s media time <paramref name="time"/> is shown on
    /// the movie's clock (seconds), through its edit list.</summary>
    internal double Seconds(Track track, long time) => track.ShownAt(time, _movieTimescale);

    /// <summary>How long before the next range's start <paramref name="time"/> (seconds on the
    /// movie's clock) is; 0 inside a range or after the last.</summary>
    internal double BeforeRange(double time)
    {
        foreach ((double from, double to, bool toEnd) in _ranges)
        {
            if (time < from)
            {
                return from - time;
            }
            if (toEnd || time < to)
            {
                return 0;
            }
        }
        return 0;
    }

    /// <summary>How much of [<paramref name="start"/>, <paramref name="end"/>) (seconds on the
    /// movie's clock) lies inside the ranges.</summary>
    internal double Inside(double start, double end)
    {
        double inside = 0;
        foreach ((double from, double to, bool toEnd) in _ranges)
        {
            inside += Math.Max(0, Math.Min(end, toEnd ? double.PositiveInfinity : to) - Math.Max(start, from));
        }
        return inside;
    }
}
