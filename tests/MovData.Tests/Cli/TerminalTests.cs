using System.Text.RegularExpressions;
using MovData.Tests.Harness;

namespace MovData.Tests.Cli;

/// <summary>
/// The progress line as a person sees it, on a terminal tmux draws: every verb that copies
/// redraws one line in place with bytes, rate and time left, and erases it when it ends, so
/// the screen holds the result and nothing else; with --json nothing is drawn, and the
/// terminal gets the JSON and not one escape sequence.
/// </summary>
public sealed partial class TerminalTests
{
    private const long Size = 64L << 20;

    // Shown at the first report, not after half a second: the copies here take a fraction of one.
    private static readonly Dictionary<string, string> ShowAtOnce = new() { ["MOVDATA_PROGRESS_DELAY"] = "0" };

    [GeneratedRegex(@"^(?<verb>[a-z]+) +(?<pct>\d+)% \[[#.]{20}\] [\d.]+ (B|KiB|MiB|GiB) of [\d.]+ (B|KiB|MiB|GiB)(, [\d.]+ (B|KiB|MiB|GiB)/s)?(?<left>, \d+:\d\d left)?$")]
    private static partial Regex Frame();

    public static TheoryData<string, string> Verbs => new()
    {
        { "move", "ext4" },
        { "collapse", "tmpfs" },
        { "insert", "tmpfs" },
        { "splice", "tmpfs" },
        { "concat", "ext4" },
        { "defrag", "xfs" },
    };

    [Theory, MemberData(nameof(Verbs))]
    public void Progress_OnATerminal_RedrawsInPlace_WithRateAndTimeLeft_AndErasesItself(string verb, string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        (string[] args, string result) = Command(dir, verb, json: false);

        Terminal.Session s = Terminal.Run(dir.Path, ShowAtOnce, [CliProcess.Tool, .. args]);

        Assert.True(s.Code == 0, string.Join('\n', s.Screen));
        // What was written: frames, each "\r" + one line + erase to the end of the line.
        List<string> frames = [.. Regex.Matches(s.Raw, "\r([^\r\n\e]*)\e\\[K").Select(m => m.Groups[1].Value)];
        List<string> drawn = [.. frames.Where(f => f.Length > 0)];
        Assert.NotEmpty(drawn);
        Assert.All(drawn, f => Assert.True(Frame().IsMatch(f) && f.StartsWith(verb + " ", StringComparison.Ordinal), $"not a progress line: '{f}'"));
        Assert.All(drawn, f => Assert.True(f.Length < Terminal.Width, "a line that wraps cannot be redrawn in place"));
        Assert.Contains(drawn, f => Frame().Match(f).Groups["left"].Success);
        Assert.Equal([.. drawn.Select(Percent).Order()], drawn.Select(Percent));
        // The last thing before the result is the erase.
        Assert.Equal("", frames[^1]);
        Assert.True(s.Raw.LastIndexOf("\r\e[K", StringComparison.Ordinal) < s.Raw.IndexOf(result, StringComparison.Ordinal), s.Raw);
        // Nothing else is sent to the terminal: no keypad-transmit mode left behind (System.Console's habit).
        Assert.DoesNotContain("\e[?1h", s.Raw, StringComparison.Ordinal);
        Assert.DoesNotContain("\e=", s.Raw, StringComparison.Ordinal);
        // What is seen: the result, and no trace of the progress line.
        Assert.StartsWith(result, s.Screen[0], StringComparison.Ordinal);
        Assert.DoesNotContain(s.Screen, l => l.Contains("% [", StringComparison.Ordinal));
    }

    [Theory, MemberData(nameof(Verbs))]
    public void Progress_UnderJson_IsNeverDrawn(string verb, string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        (string[] args, _) = Command(dir, verb, json: true);

        Terminal.Session s = Terminal.Run(dir.Path, ShowAtOnce, [CliProcess.Tool, .. args]);

        Assert.True(s.Code == 0, string.Join('\n', s.Screen));
        Assert.DoesNotContain("\e", s.Raw, StringComparison.Ordinal);
        Assert.DoesNotContain("% [", s.Raw, StringComparison.Ordinal);
        Assert.StartsWith("{", s.Raw.TrimStart(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(79)]
    [InlineData(50)]
    [InlineData(20)]
    public void ProgressText_FitsTheTerminal_DroppingTheBarFirst(int width)
    {
        string line = MovData.Cli.Commands.ProgressLine.Text("collapse", 3L << 30, 7L << 30, 300L << 20, width);
        Assert.True(line.Length <= width, line);
        if (width >= 79)
        {
            Assert.Equal("collapse  42% [########............] 3 GiB of 7 GiB, 300 MiB/s, 0:14 left", line);
        }
        else if (width >= 50)
        {
            Assert.Equal("collapse  42% 3 GiB of 7 GiB, 300 MiB/s, 0:14 left", line);
        }
    }

    private static int Percent(string frame) => int.Parse(Frame().Match(frame).Groups["pct"].Value, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Files for one verb, its arguments, and the start of the line it prints when done.</summary>
    private static (string[] Args, string Result) Command(ScratchDir dir, string verb, bool json)
    {
        string a = dir.File("a"), b = dir.File("b");
        if (verb == "defrag")
        {
            Fragment(a, b);
            return (json ? ["defrag", a, "--json"] : ["defrag", a], $"{a}: ");
        }
        Files.Create(a, Size, (0, Files.Pattern(120, Size)));
        string[] args = verb switch
        {
            "move" => CreateHole(b, ["move", a, b, "--donor-offset", "0", "--receiver-offset", "0", "--length", "64M"]),
            "collapse" => ["collapse", a, "--offset", "4k", "--length", "4k"],
            "insert" => ["insert", a, "--offset", "4k", "--length", "4k"],
            "splice" => CreateData(b, ["splice", a, b, "--donor-offset", "0", "--receiver-offset", "4k", "--length", "8M"]),
            _ => ["concat", dir.File("out"), a],
        };
        string result = verb switch
        {
            "move" => "moved 67108864 bytes",
            "collapse" or "insert" => $"{verb}: 4096 bytes",
            "splice" => "splice: 8388608 bytes",
            _ => "concat: 67108864 bytes",
        };
        return (json ? [.. args, "--json"] : args, result);
    }

    /// <summary>A file whose 64 KiB pieces are allocated between another file's blocks.</summary>
    private static void Fragment(string path, string spacer)
    {
        using (Microsoft.Win32.SafeHandles.SafeFileHandle f = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite))
        using (Microsoft.Win32.SafeHandles.SafeFileHandle s = File.OpenHandle(spacer, FileMode.Create, FileAccess.ReadWrite))
        {
            for (long at = 0; at < Size; at += 64 << 10)
            {
                FileRange.Preallocate(f, at, 64 << 10);
                FileRange.Preallocate(s, at / 16, Files.Block);
            }
            RandomAccess.Write(f, Files.Pattern(122, Size), 0);
        }
    }

    private static string[] CreateHole(string path, string[] args)
    {
        Files.Create(path, Size);
        return args;
    }

    private static string[] CreateData(string path, string[] args)
    {
        Files.Create(path, Size, (0, Files.Pattern(121, Size)));
        return args;
    }
}
