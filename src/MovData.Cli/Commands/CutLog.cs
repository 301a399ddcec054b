using System.Globalization;
using System.Runtime.InteropServices;

namespace MovData.Cli.Commands;

/// <summary>
/// `movdata cut --log FILE`: a DVR runs its hook with standard error thrown away, so each run
/// appends one line, tab-separated: the time (UTC, ISO 8601), the recording, what was cut or
/// why not, and the exit code, e.g.
/// <c>2026-12-02T12:30:00Z	/rec/news.ts	cut 3 ranges, 0:30:00.000 -> 0:26:10.240	exit 0</c>.
/// Appended in one write(2) to a descriptor opened with O_APPEND, so hooks that run at once
/// each add whole lines (.NET's FileMode.Append seeks to the end instead, and two runs can
/// then write over each other).
/// </summary>
internal static partial class CutLog
{
    private const int O_WRONLY = 0x1, O_CREAT = 0x40, O_APPEND = 0x400, O_CLOEXEC = 0x80000, EINTR = 4;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint Write(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

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
        if (AppendLine(log, System.Text.Encoding.UTF8.GetBytes(line)) is { } failed)
        {
            err?.WriteLine($"movdata: warning: could not append to the log {log}: {failed}");
        }
    }

    /// <summary>Appends <paramref name="bytes"/> to the file in one write; null, or why not.</summary>
    private static unsafe string? AppendLine(string path, byte[] bytes)
    {
        int fd = Open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, Convert.ToInt32("644", 8));
        if (fd < 0)
        {
            return Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
        }
        try
        {
            fixed (byte* p = bytes)
            {
                nint n;
                do
                {
                    n = Write(fd, p, (nuint)bytes.Length);
                }
                while (n < 0 && Marshal.GetLastPInvokeError() == EINTR);
                return n < 0 ? Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())
                    : n < bytes.Length ? $"only {n} of {bytes.Length} bytes were written" : null;
            }
        }
        finally
        {
            _ = Close(fd); // the line is written (or not) by now; close reports nothing more of it
        }
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Replace('\t', ' ');
}
