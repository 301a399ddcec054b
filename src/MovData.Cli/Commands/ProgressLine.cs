namespace MovData.Cli.Commands;

/// <summary>
/// A progress line on standard error for long copies: shown only when standard error is a
/// terminal and the work has run for half a second, so scripts and --json never see it.
/// </summary>
internal sealed class ProgressLine(Io io, long total, string what) : IProgress<long>
{
    private readonly long _start = Environment.TickCount64;
    private long _lastDraw;
    private bool _drawn;

    internal static ProgressLine? For(Io io, long total, string what) =>
        Console.IsErrorRedirected || !ReferenceEquals(io.Err, Console.Error) ? null : new ProgressLine(io, total, what);

    /// <summary>Runs <paramref name="work"/> with a progress line (none under --json) and ends
    /// the line however the work ends.</summary>
    internal static T Around<T>(Io io, bool json, long total, string what, Func<IProgress<long>?, T> work)
    {
        ProgressLine? progress = json ? null : For(io, total, what);
        try
        {
            return work(progress);
        }
        finally
        {
            progress?.Done();
        }
    }

    public void Report(long value)
    {
        long now = Environment.TickCount64;
        if (now - _start < 500 || (now - _lastDraw < 100 && value < total))
        {
            return;
        }
        _lastDraw = now;
        _drawn = true;
        int percent = total == 0 ? 100 : (int)(value * 100 / total);
        int filled = percent * 30 / 100;
        io.Err.Write($"\r{what} [{new string('#', filled)}{new string('.', 30 - filled)}] {percent,3}% {Sizes.Human(value)} of {Sizes.Human(total)}");
    }

    /// <summary>Ends the line, if one was drawn.</summary>
    internal void Done()
    {
        if (_drawn)
        {
            io.Err.WriteLine();
        }
    }
}
