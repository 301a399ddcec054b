using System.Diagnostics;
using System.Text;

namespace MovData.Tests.Harness;

/// <summary>
/// A program run on a real terminal, as a person sees it: tmux draws a pane of
/// <see cref="Width"/> × <see cref="Height"/>, script(1) between the pane and the program logs
/// every byte the program writes, and when it ends tmux's rendering of the pane is read back.
/// Neither tool is ours, so the screen is not what MovData thinks it drew but what a terminal shows.
/// </summary>
public static class Terminal
{
    public const int Width = 100, Height = 30;

    /// <summary>What the program wrote (raw, escapes and all), the screen afterwards (lines,
    /// right-trimmed), and its exit code.</summary>
    public sealed record Session(string Raw, IReadOnlyList<string> Screen, int Code);

    public static Session Run(string workDirectory, IReadOnlyDictionary<string, string> environment, params string[] command)
    {
        string id = $"movdata-{Guid.NewGuid():N}";
        string script = Path.Combine(workDirectory, $"{id}.sh"), log = Path.Combine(workDirectory, $"{id}.log");
        var sh = new StringBuilder();
        foreach ((string name, string value) in environment)
        {
            sh.Append("export ").Append(name).Append('=').Append(Quote(value)).Append('\n');
        }
        sh.Append("script -q -e -c ").Append(Quote(string.Join(' ', command.Select(Quote)))).Append(' ').Append(Quote(log)).Append('\n');
        sh.Append("echo \"EXIT=$?\"\nsleep 600\n");
        File.WriteAllText(script, sh.ToString());
        try
        {
            Tools.MustRun("tmux", "-L", id, "new-session", "-d", "-x", $"{Width}", "-y", $"{Height}", "sh", script);
            var wait = Stopwatch.StartNew();
            string[] screen;
            while (true)
            {
                screen = Capture(id);
                if (screen.Any(l => l.StartsWith("EXIT=", StringComparison.Ordinal)))
                {
                    break;
                }
                Assert.True(wait.Elapsed < TimeSpan.FromMinutes(2), $"the program did not end; the screen:\n{string.Join('\n', screen)}");
                Thread.Sleep(100);
            }
            int code = int.Parse(screen.Single(l => l.StartsWith("EXIT=", StringComparison.Ordinal))[5..], System.Globalization.CultureInfo.InvariantCulture);
            return new Session(Payload(File.ReadAllText(log)), [.. screen.Where(l => !l.StartsWith("EXIT=", StringComparison.Ordinal))], code);
        }
        finally
        {
            Tools.Run("tmux", "-L", id, "kill-server");
            File.Delete(script);
            File.Delete(log);
        }
    }

    private static string[] Capture(string id)
    {
        (int code, string output, string err) = Tools.Capture("tmux", "-L", id, "capture-pane", "-p");
        Assert.True(code == 0, $"tmux capture-pane: {err}");
        return [.. output.Split('\n').Select(l => l.TrimEnd()).Reverse().SkipWhile(l => l.Length == 0).Reverse()];
    }

    /// <summary>script's log without its first line ("Script started on ...") and its last ("Script done ...").</summary>
    private static string Payload(string log)
    {
        int start = log.IndexOf('\n', StringComparison.Ordinal) + 1;
        int end = log.LastIndexOf("\nScript done", StringComparison.Ordinal);
        return log[start..(end < start ? log.Length : end)];
    }

    private static string Quote(string s) => $"'{s.Replace("'", "'\\''", StringComparison.Ordinal)}'";
}
