using System.Globalization;

namespace MovData.Cli.Commands;

/// <summary>
/// `movdata cut --log FILE`: a DVR runs its hook with standard error thrown away, so each run
/// appends one line, tab-separated: the time (UTC, ISO 8601), the recording, what was cut or
/// why not, and the exit code, e.g.
/// <c>2026-12-02T12:30:00Z	/rec/news.ts	cut 3 ranges, 0:30:00.000 -> 0:26:10.240	exit 0</c>.
/// Appended in one write with O_APPEND, so runs of several hooks at once do not mix lines.
/// </summary>
internal static class CutLog
{
    /// <summary>What a run came to, for its line: the summary it printed, or the message it failed with.</summary>
    internal sealed class Outcome
    {
        internal string Text { get; private set; } = "not run";

        /// <summary>Runs <paramref name="work"/>, keeping the one-line message of what it throws.</summary>
        internal int Watch(Func<int> work)
        {
            try
            {
                return work();
            }
            catch (Exception e)
            {
                Text = $"failed: {Shared.Classify(e).Message}";
                throw;
            }
        }

        /// <summary>Keeps <paramref name="summary"/> as what the run did; returns exit 0.</summary>
        internal int Report(string summary)
        {
            Text = summary;
            return 0;
        }
    }

    /// <summary>Appends the run's line to <paramref name="log"/>, if one was given. A log that
    /// cannot be written is a warning on standard error, not a change of the exit code.</summary>
    internal static void Append(string? log, string recording, Outcome outcome, int code, TextWriter? err = null)
    {
        if (log is null)
        {
            return;
        }
        string line = string.Join('\t',
            DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            OneLine(Path.GetFullPath(recording)),
            OneLine(outcome.Text),
            string.Create(CultureInfo.InvariantCulture, $"exit {code}")) + "\n";
        try
        {
            using var stream = new FileStream(log, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            byte[] bytes = System.Text.Encoding.UTF8.GetBytes(line);
            stream.Write(bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            err?.WriteLine($"movdata: warning: could not append to the log {log}: {e.Message}");
        }
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Replace('\t', ' ');
}
