namespace MovData.Media.IsoBmff;

/// <summary>
/// The time a cut of a movie removes: its ranges, in order, on the cut's timeline (seconds
/// from time 0, where the first video frame is shown), each with whether it runs to the end;
/// and where time 0 is on the movie's clock. What follows time rather than samples needs it:
/// the chapters of a chpl (<see cref="ChapterList"/>), and the texts of a saved movie
/// (<see cref="SavedMovie"/>), which shows the ranges one after another.
/// </summary>
internal sealed class CutTime
{
    private readonly List<(double From, double To, bool ToEnd)> _ranges;
    private readonly long _movieTimescale;

    private CutTime(List<(double From, double To, bool ToEnd)> ranges, double timeZero, long movieTimescale)
    {
        _ranges = ranges;
        TimeZero = timeZero;
        _movieTimescale = movieTimescale;
    }

    /// <summary>Where time 0 is on the movie's clock (seconds).</summary>
    internal double TimeZero { get; }

    /// <summary>The ranges, in order.</summary>
    internal IReadOnlyList<(double From, double To, bool ToEnd)> Ranges => _ranges;

    /// <summary>The time <paramref name="cuts"/> (planned on <paramref name="movie"/>'s video) remove.</summary>
    internal static CutTime Of(Movie movie, IReadOnlyList<PlannedCut> cuts)
    {
        (long mediaTime, long delay) = movie.Video.EditStart();
        double timeZero = (double)delay / movie.MovieTimescale + (double)(movie.Pts0 - mediaTime) / movie.Video.Timescale;
        return new CutTime([.. cuts.Select(c => (c.From.Seconds, c.To.Seconds, c.End == movie.Samples.Count))], timeZero, movie.MovieTimescale);
    }

    /// <summary>The time outside the ranges: what a movie of the removed parts alone has lost.</summary>
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
                return new CutTime(outside, TimeZero, _movieTimescale);
            }
        }
        outside.Add((at, double.PositiveInfinity, true));
        return new CutTime(outside, TimeZero, _movieTimescale);
    }

    /// <summary>Where <paramref name="track"/>'s media time <paramref name="time"/> is shown on
    /// the cut's timeline (seconds from time 0), through its edit list.</summary>
    internal double Seconds(Track track, long time)
    {
        (long mediaTime, long delay) = track.EditStart();
        return (double)delay / _movieTimescale + (double)(time - mediaTime) / track.Timescale - TimeZero;
    }

    /// <summary>How much of [<paramref name="start"/>, <paramref name="end"/>) (seconds on the
    /// cut's timeline) lies inside the ranges.</summary>
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
