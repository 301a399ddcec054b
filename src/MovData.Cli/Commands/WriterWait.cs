using System.Diagnostics;
using System.Globalization;
using MovData.Media;

namespace MovData.Cli.Commands;

/// <summary>
/// A recording still being made is not cut: `movdata cut` refuses a file another process has
/// open for writing (the library's rule, <see cref="MediaFile.Writers"/>), and with --wait
/// polls until the writer closes it, saying so on a terminal, for at most a given time.
/// </summary>
internal static class WriterWait
{
    /// <summary>--wait without a number: six hours, longer than most recordings a hook can
    /// start early on (NextPVR's ParallelProcessing, a MythTV job on a live recording).</summary>
    internal const int DefaultSeconds = 6 * 60 * 60;

    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);

    private const int EBUSY = 16;

    private const string Hint = "--wait[=SECONDS] waits for it to be closed";

    /// <summary>The seconds --wait[=SECONDS] gives.</summary>
    internal static int Seconds(string? text) =>
        text is null ? DefaultSeconds
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int s) ? s
        : throw new ArgumentException($"--wait {text}: give whole seconds, e.g. --wait=600");

    /// <summary>What <paramref name="cut"/> returns; its refusal of a recording another
    /// process is writing (EBUSY) says, where --wait was not given, that --wait waits.</summary>
    internal static T Hinting<T>(Func<T> cut, bool waited)
    {
        try
        {
            return cut();
        }
        catch (IOException e) when (!waited && e.GetType() == typeof(IOException) && e.HResult == EBUSY) // the refusal, not an edit that stopped part-way
        {
            throw new IOException($"{e.Message}; {Hint}", e.HResult);
        }
    }

    /// <summary>Returns once no other process has <paramref name="recording"/> open for
    /// writing, polling for up to <paramref name="seconds"/>.</summary>
    /// <exception cref="IOException">Still open for writing when the time is up (EBUSY); nothing was changed.</exception>
    internal static void Until(Io io, string recording, int seconds)
    {
        if (!File.Exists(recording))
        {
            return; // the cut says what is wrong with the path
        }
        IReadOnlyList<string> writers = MediaFile.Writers(recording);
        var clock = Stopwatch.StartNew();
        bool drawn = false;
        while (writers.Count > 0 && clock.Elapsed.TotalSeconds < seconds)
        {
            if (io.TerminalWidth is { } width)
            {
                string line = $"cut: waiting for {string.Join(", ", writers)} to close {Path.GetFileName(recording)}, {ProgressLine.Duration(Math.Floor(clock.Elapsed.TotalSeconds))} of {ProgressLine.Duration(seconds)}";
                io.Err.Write($"\r{(line.Length < width() ? line : line[..Math.Max(width() - 1, 1)])}\e[K");
                drawn = true;
            }
            Task.Delay(Poll, io.Cancel).Wait(io.Cancel);
            writers = MediaFile.Writers(recording);
        }
        if (drawn)
        {
            io.Err.Write("\r\e[K");
        }
        if (writers.Count > 0)
        {
            string waited = seconds > 0 ? $"still, after waiting {ProgressLine.Duration(seconds)}" : "(still being recorded?)";
            string hint = seconds > 0 ? "" : $"; {Hint}";
            throw new IOException($"cut refused: {recording} is open for writing by {string.Join(", ", writers)} {waited}; nothing was changed{hint}", EBUSY);
        }
    }
}
