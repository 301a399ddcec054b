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

    private CutTime(List<(double From, double To, bool ToEnd)> ranges, double timeZero, double timeZeroAfter, double videoDelay, long movieTimescale, bool head, bool beforeZeroGoes)
    {
        _ranges = ranges;
        TimeZero = timeZero;
        TimeZeroAfter = timeZeroAfter;
        _videoDelay = videoDelay;
        _movieTimescale = movieTimescale;
        Head = head;
        BeforeZeroGoes = beforeZeroGoes;
    }

    /// <summary>The video's delay (an empty edit), seconds.</summary>
    private readonly double _videoDelay;

    /// <summary>Whether the first range is a cut of the head.</summary>
    internal bool Head { get; }

    /// <summary>Whether what is shown before time 0 (before a delayed video's first frame)
    /// goes too: with a cut of the head, which takes it; and in a movie of the removed parts
    /// alone, which shows none of it (<see cref="Outside"/>).</summary>
    internal bool BeforeZeroGoes { get; }

    /// <summary>Where time 0 is on the movie's clock (seconds).</summary>
    internal double TimeZero { get; }

    /// <summary>Where time 0 is on the movie's clock after the cut: less the video's delay
    /// where a cut of the head took it (<see cref="MovieCut"/>).</summary>
    internal double TimeZeroAfter { get; }

    /// <summary>The ranges, in order.</summary>
    internal IReadOnlyList<(double From, double To, bool ToEnd)> Ranges => _ranges;

    /// <summary>The time <paramref name="cuts"/> (planned on <paramref name="movie"/>'s video)
    /// remove. With <paramref name="headTakesDelay"/>, a cut of the head takes the video's
    /// delay (an empty edit) with it (<see cref="MovieCut"/>; a fragment cut leaves it).</summary>
    internal static CutTime Of(Movie movie, IReadOnlyList<PlannedCut> cuts, bool headTakesDelay)
    {
        (long mediaTime, long delay) = movie.Video.EditStart();
        double timeZero = (double)delay / movie.MovieTimescale + (double)(movie.Pts0 - mediaTime) / movie.Video.Timescale;
        bool head = cuts.Count > 0 && cuts[0].Head;
        double videoDelay = (double)delay / movie.MovieTimescale;
        return new CutTime([.. cuts.Select(c => (c.From.Seconds, c.To.Seconds, c.End == movie.Samples.Count))], timeZero,
            head && headTakesDelay ? timeZero - videoDelay : timeZero, videoDelay, movie.MovieTimescale, head, beforeZeroGoes: head);
    }

    /// <summary>The time outside the ranges: what a movie of the removed parts alone has lost.
    /// Its video is shown after the recording's delay where the first range is a cut of the
    /// head (what was shown before the video is in it), from its start where not (<see cref="SavedMovie"/>).</summary>
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
                return new CutTime(outside, TimeZero, Head ? TimeZero : TimeZero - _videoDelay, _videoDelay, _movieTimescale, head: false, beforeZeroGoes: true);
            }
        }
        outside.Add((at, double.PositiveInfinity, true));
        return new CutTime(outside, TimeZero, Head ? TimeZero : TimeZero - _videoDelay, _videoDelay, _movieTimescale, head: false, beforeZeroGoes: true);
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
