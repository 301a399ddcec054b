using System.Diagnostics;
using System.Globalization;

namespace MovData.Cli.Commands;

/// <summary>
/// The one progress display of every verb that copies or reads for long: a line on standard
/// error, <c>move  42% [########............] 1.2 GiB of 2.8 GiB, 210 MiB/s, 0:08 left</c>,
/// redrawn in place at most five times a second and erased when the work ends, so that what
/// stays on the screen is the result (or the error). Drawn only when standard error is a
/// terminal and the work has run for half a second (MOVDATA_PROGRESS_DELAY, in seconds, as
/// git's GIT_PROGRESS_DELAY): scripts, pipes and --json never see it. The rate is the mean
/// since the work began, as dd's status=progress shows it.
/// A Move or a read reports bytes of a total the verb knows; an edit reports its own total
/// (<see cref="EditProgress"/>), which its plan decides.
/// </summary>
internal sealed class ProgressLine : IProgress<long>, IProgress<EditProgress>
{
    private const long RedrawEveryMs = 200;
    private const int BarWidth = 20;

    private readonly TextWriter _err;
    private readonly Func<int> _width;
    private readonly string _what;
    private readonly long _total;
    private readonly bool _dumb = Environment.GetEnvironmentVariable("TERM") is null or "" or "dumb";
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _lock = new();
    private readonly long _showAfterMs = DelayMs();
    private long _lastDrawMs = -RedrawEveryMs, _lastDrawnDone = -1;
    private int _drawnWidth;

    private ProgressLine(TextWriter err, Func<int> width, string what, long total)
    {
        _err = err;
        _width = width;
        _what = what;
        _total = total;
    }

    /// <summary>Runs <paramref name="work"/> with a progress line where one is shown (none
    /// under --json or off a terminal: the work is given null) and erases the line however the
    /// work ends. <paramref name="total"/> is the bytes a plain count is out of; an edit's
    /// reports bring their own.</summary>
    internal static T Around<T>(Io io, bool json, long total, string what, Func<ProgressLine?, T> work)
    {
        ProgressLine? progress = !json && io.TerminalWidth is { } width ? new ProgressLine(io.Err, width, what, total) : null;
        try
        {
            return work(progress);
        }
        finally
        {
            progress?.Erase();
        }
    }

    public void Report(long value) => Draw(value, _total);

    public void Report(EditProgress value) => Draw(value.Done, value.Total);

    private void Draw(long done, long total)
    {
        lock (_lock)
        {
            long now = _clock.ElapsedMilliseconds;
            // The end is always drawn, once; anything else at most every RedrawEveryMs.
            bool end = done >= total && _lastDrawnDone < total;
            if (now < _showAfterMs || done == _lastDrawnDone || (now - _lastDrawMs < RedrawEveryMs && !end))
            {
                return;
            }
            (_lastDrawMs, _lastDrawnDone) = (now, done);
            double seconds = _clock.Elapsed.TotalSeconds;
            // One column short of the terminal's width: a line that wrapped could not be redrawn in place.
            string line = Text(_what, done, total, seconds > 0 ? done / seconds : 0, Math.Max(_width() - 1, 20));
            // \r and erase to the end of the line: a shorter line leaves nothing of a longer one.
            _err.Write(_dumb ? $"\r{line.PadRight(_drawnWidth)}" : $"\r{line}\e[K");
            _err.Flush();
            _drawnWidth = Math.Max(_drawnWidth, line.Length);
        }
    }

    /// <summary>"move  42% [########............] 1.2 GiB of 2.8 GiB, 210 MiB/s, 0:08 left", in
    /// at most <paramref name="width"/> characters: the bar goes first, then the rest is cut.</summary>
    internal static string Text(string what, long done, long total, double rate, int width)
    {
        done = Math.Clamp(done, 0, Math.Max(total, 0));
        int percent = total <= 0 ? 100 : (int)(done * 100 / total);
        int filled = percent * BarWidth / 100;
        string speed = rate >= 1 ? $", {Sizes.Brief(rate)}/s" : "";
        string left = rate >= 1 && done < total ? $", {Duration((total - done) / rate)} left" : "";
        string counts = $"{Sizes.Human(done)} of {Sizes.Human(total)}{speed}{left}";
        string line = $"{what} {percent,3}% [{new string('#', filled)}{new string('.', BarWidth - filled)}] {counts}";
        if (line.Length > width)
        {
            line = $"{what} {percent,3}% {counts}";
        }
        return line.Length <= width ? line : line[..width];
    }

    /// <summary>MOVDATA_PROGRESS_DELAY seconds, 0.5 if unset or not a number.</summary>
    private static long DelayMs() =>
        double.TryParse(Environment.GetEnvironmentVariable("MOVDATA_PROGRESS_DELAY"), NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s >= 0
            ? (long)Math.Min(s * 1000, int.MaxValue)
            : 500;

    /// <summary>"0:08", "12:40", "1:02:03".</summary>
    internal static string Duration(double seconds)
    {
        var t = TimeSpan.FromSeconds(Math.Min(Math.Ceiling(seconds), TimeSpan.MaxValue.TotalSeconds / 2));
        return t.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}")
            : string.Create(CultureInfo.InvariantCulture, $"{t.Minutes}:{t.Seconds:00}");
    }

    /// <summary>Takes the line off the screen, if one was drawn.</summary>
    private void Erase()
    {
        lock (_lock)
        {
            if (_drawnWidth > 0)
            {
                _err.Write(_dumb ? $"\r{new string(' ', _drawnWidth)}\r" : "\r\e[K");
                _err.Flush();
                _drawnWidth = 0;
            }
        }
    }
}
