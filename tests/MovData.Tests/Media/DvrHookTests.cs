using System.Diagnostics;
using System.Globalization;
using System.Text;
using MovData.Media;
using MovData.Tests.Cli;
using MovData.Tests.Harness;

namespace MovData.Tests.Media;

/// <summary>
/// `movdata cut` as a DVR's post-processing hook (docs/dvr.md), on every scratch filesystem:
/// each DVR's command line run the way that DVR runs it (its argument form; a shell only where
/// it uses one) on a recording whose name has spaces, with comskip's EDL beside it, judged by
/// ffprobe's duration and the --log line; nothing to cut exits 0; a recording still being
/// written is refused, or waited for; --save-removed auto numbers each cut's file.
/// </summary>
public sealed class DvrHookTests
{
    /// <summary>The recording is 24 s with a keyframe every 2 s: comskip's two blocks, 4.5-9
    /// and 12-15.5, snap to 6-8 and 12-14, so 20 s are left.</summary>
    private const string Edl = "4.50\t9.00\t3\n12.00\t15.50\t3\n";

    private const double After = 20.0;

    /// <summary>A recording named as DVRs name them (spaces and all), comskip's EDL beside it.</summary>
    private static string Recording(ScratchDir dir, string edl = Edl)
    {
        string rec = Recordings.CopyTo("h264-aac", dir, "Evening News 2026-12-02 1800.ts");
        File.WriteAllText(Path.ChangeExtension(rec, ".edl"), edl);
        return rec;
    }

    /// <summary>Jellyfin: "Post-processing application" is the program, "Post-processor command
    /// line arguments" a string in which {path} is replaced, started with ProcessStartInfo
    /// (UseShellExecute false) as Jellyfin's RecordingsManager does: no shell, .NET splits it.</summary>
    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Jellyfin_PostProcessorArguments_CutAndLog(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = Recording(dir), log = dir.File("movdata.log");
        string arguments = $"cut \"{{path}}\" --edl auto --save-removed auto --log \"{log}\"";
        var psi = new ProcessStartInfo(CliProcess.Tool)
        {
            Arguments = arguments.Replace("{path}", rec, StringComparison.OrdinalIgnoreCase),
            UseShellExecute = false,
            CreateNoWindow = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };

        (int code, string output) = Run(psi);

        AssertCut(code, output, rec, log);
    }

    /// <summary>tvheadend: "Post-processor command", split into words by tvheadend itself
    /// (spaces, quotes, backslashes: src/spawn.c spawn_parse_args), %f replaced in each word,
    /// executed without a shell.</summary>
    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Tvheadend_PostProcessorCommand_CutAndLog(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = Recording(dir), log = dir.File("movdata.log");
        string command = $"{CliProcess.Tool} cut \"%f\" --edl auto --save-removed auto --log \"{log}\"";
        string[] argv = [.. TvheadendWords(command).Select(w => w.Replace("%f", rec, StringComparison.Ordinal))];
        var psi = new ProcessStartInfo(argv[0]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in argv[1..])
        {
            psi.ArgumentList.Add(a);
        }

        (int code, string output) = Run(psi);

        AssertCut(code, output, rec, log);
    }

    /// <summary>MythTV: a user job's command, %DIR% and %FILE% replaced in the text, run by
    /// /bin/sh -c (JobQueue::DoUserJobThread calls myth_system, which adds kMSRunShell).</summary>
    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void MythTv_UserJob_CutAndLog(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = Recording(dir), log = dir.File("movdata.log");
        string job = $"{CliProcess.Tool} cut \"%DIR%/%FILE%\" --edl auto --save-removed auto --wait=600 --log \"{log}\"";
        string command = job.Replace("%DIR%", dir.Path, StringComparison.Ordinal).Replace("%FILE%", Path.GetFileName(rec), StringComparison.Ordinal);
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(command);

        (int code, string output) = Run(psi);

        AssertCut(code, output, rec, log);
    }

    /// <summary>Plex: contrib/dvr/plex-movdata-cut.sh in Plex's Scripts folder, executed with
    /// the recording's path as its one argument.</summary>
    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Plex_Script_CutAndLog(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = Recording(dir), log = dir.File("movdata.log");
        var psi = Script("plex-movdata-cut.sh", log);
        psi.ArgumentList.Add(rec);

        (int code, string output) = Run(psi);

        AssertCut(code, output, rec, log);
    }

    /// <summary>NextPVR: contrib/dvr/PostProcessing.sh in its scripts folder, executed with
    /// the recording's path first and NextPVR's other parameters after it.</summary>
    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void NextPvr_PostProcessing_CutAndLog(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = Recording(dir), log = dir.File("movdata.log");
        var psi = Script("PostProcessing.sh", log);
        psi.ArgumentList.Add(rec);
        psi.ArgumentList.Add("7");
        psi.ArgumentList.Add("4242");

        (int code, string output) = Run(psi);

        AssertCut(code, output, rec, log);
    }

    /// <summary>An EDL with no commercial break, and ranges that hold no whole GOP: exit 0, said
    /// on standard output and in the log, the recording unchanged (Plex fails a recording whose
    /// hook exits non-zero).</summary>
    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void NothingToCut_ExitsZero_SaysSo_ChangesNothing(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = Recording(dir, "4 9 1\n12 14 2\n"), log = dir.File("movdata.log");
        Snapshot before = Files.Take(rec);

        (int code, string output, string err) = CliProcess.Movdata("cut", rec, "--edl", "auto", "--save-removed", "auto", "--log", log);
        (int code2, string output2, string err2) = CliProcess.Movdata("cut", rec, "--remove", "4.5-5.9", "--log", log);

        Assert.True(code == 0, err);
        Assert.Contains("nothing to cut: the EDL", output, StringComparison.Ordinal);
        Assert.True(code2 == 0, err2);
        Assert.Contains("nothing to cut: no range holds a whole GOP", output2, StringComparison.Ordinal);
        Assert.Equal(before, Files.Take(rec));
        string[] expected = [Path.GetFileName(rec), Path.GetFileName(Path.ChangeExtension(rec, ".edl")), "movdata.log"];
        Assert.Equal(expected.Order(StringComparer.Ordinal), Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        string[] lines = File.ReadAllLines(log);
        Assert.Equal(2, lines.Length);
        Assert.All(lines, l => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\t.*\tnothing to cut: .*\texit 0$", l));
    }

    /// <summary>A recording another process has open for writing (a shell holding it with
    /// exec 3>>REC, as a recorder appends) is refused, exit 1, the writer named as fuser names
    /// it, nothing changed, and the refusal logged; --wait=1 gives up after a second; --wait
    /// cuts once the writer has closed it.</summary>
    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void StillBeingRecorded_IsRefused_OrWaitedFor(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = Recording(dir), log = dir.File("movdata.log");
        Snapshot before = Files.Take(rec);
        using Process writer = Process.Start(new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", "exec 3>>\"$0\"; exec sleep 60", rec } })!;
        WaitUntil(() => MediaFile.Writers(rec).Count == 1);

        (int code, string output, string err) = CliProcess.Movdata("cut", rec, "--edl", "auto", "--log", log);
        (int waited, _, string waitErr) = CliProcess.Movdata("cut", rec, "--edl", "auto", "--wait=1", "--log", log);
        // Without --edl auto or --wait the cut's own refusal (the library's) is the one seen, with the same hint.
        (int plain, string plainOut, string plainErr) = CliProcess.Movdata("cut", rec, "--remove", "4-8", "--log", log);

        Assert.True(code == 1, $"exit {code}: {err}{output}");
        Assert.Contains($"open for writing by pid {writer.Id} (sleep)", err, StringComparison.Ordinal);
        Assert.Contains("nothing was changed", err, StringComparison.Ordinal);
        Assert.Contains("; --wait[=SECONDS] waits for it to be closed", err, StringComparison.Ordinal);
        Assert.True(plain == 1, $"exit {plain}: {plainErr}{plainOut}");
        Assert.Contains($"cut refused: the file is open for writing by pid {writer.Id} (sleep); nothing was changed", plainErr, StringComparison.Ordinal);
        Assert.Contains("; --wait[=SECONDS] waits for it to be closed", plainErr, StringComparison.Ordinal);
        Assert.True(waited == 1, waitErr);
        Assert.Contains("after waiting 0:01", waitErr, StringComparison.Ordinal);
        Assert.Equal(before, Files.Take(rec));
        Assert.False(Directory.Exists(dir.File(".movdata-journal")));
        Assert.All(File.ReadAllLines(log), l => Assert.Matches($@"\tfailed: .*open for writing by pid {writer.Id} \(sleep\).*\texit 1$", l));

        // The writer closes the file two seconds into a --wait: the cut goes on.
        using Process cut = CliProcess.Start(null, "cut", rec, "--edl", "auto", "--wait", "--log", log);
        Thread.Sleep(2000);
        Assert.False(cut.HasExited, "the cut did not wait for the writer");
        writer.Kill();
        writer.WaitForExit();
        Assert.True(cut.WaitForExit(60_000), "the cut did not end after the writer closed the file");
        Assert.True(cut.ExitCode == 0, cut.StandardError.ReadToEnd());
        Assert.Equal(After, Ffprobe.Duration(rec), 0.15);
        Assert.EndsWith("\texit 0", File.ReadAllLines(log)[^1], StringComparison.Ordinal);
    }

    /// <summary>On a terminal, --wait says whom it waits for and how long it has waited, in
    /// one line redrawn in place, and takes it off the screen before the refusal.</summary>
    [Fact]
    public void Wait_OnATerminal_SaysWhomItWaitsFor_AndErasesTheLine()
    {
        using ScratchDir dir = Scratch.On("xfs");
        string rec = Recordings.CopyTo("h264-aac", dir, "news.ts");
        using Process writer = Process.Start(new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", "exec 3>>\"$0\"; exec sleep 60", rec } })!;
        try
        {
            WaitUntil(() => MediaFile.Writers(rec).Count == 1);

            Terminal.Session s = Terminal.Run(dir.Path, new Dictionary<string, string>(), [CliProcess.Tool, "cut", rec, "--remove", "4.5-9", "--wait=2"]);

            Assert.Equal(1, s.Code);
            string line = $"\rcut: waiting for pid {writer.Id} (sleep) to close news.ts, 0:00 of 0:02\e[K";
            string shown = s.Raw.Replace("\e", "ESC", StringComparison.Ordinal).Replace("\r", "CR", StringComparison.Ordinal);
            Assert.True(s.Raw.Contains(line, StringComparison.Ordinal), shown);
            Assert.True(s.Raw.Contains($"\rcut: waiting for pid {writer.Id} (sleep) to close news.ts, 0:01 of 0:02\e[K", StringComparison.Ordinal), shown);
            Assert.True(s.Raw.LastIndexOf("\r\e[K", StringComparison.Ordinal) < s.Raw.IndexOf("movdata: cut refused", StringComparison.Ordinal), shown);
            Assert.StartsWith("movdata: cut refused", s.Screen[0], StringComparison.Ordinal);
            Assert.DoesNotContain(s.Screen, l => l.Contains("waiting for", StringComparison.Ordinal));
        }
        finally
        {
            writer.Kill();
            writer.WaitForExit();
        }
    }

    /// <summary>A library caller gets the same refusal, before anything is read or changed.</summary>
    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Library_RefusesAFileOpenForWritingElsewhere(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = Recording(dir);
        Snapshot before = Files.Take(rec);
        using Process writer = Process.Start(new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", "exec 3<>\"$0\"; exec sleep 60", rec } })!;
        try
        {
            WaitUntil(() => MediaFile.Writers(rec).Count == 1);

            IOException e = Assert.Throws<IOException>(() => MediaFile.Cut(rec, [new(4.5, 9)], cancel: TestContext.Current.CancellationToken));

            Assert.Equal(16, e.HResult); // EBUSY
            Assert.Contains($"pid {writer.Id} (sleep)", e.Message, StringComparison.Ordinal);
            Assert.Equal(before, Files.Take(rec));
        }
        finally
        {
            writer.Kill();
            writer.WaitForExit();
        }
    }

    /// <summary>--save-removed auto: the first cut's parts in .NAME.removed.ts, the second's in
    /// .NAME.removed-2.ts, neither overwritten; each is a playable recording, and the text says
    /// the restore command line that undoes the cut.</summary>
    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void SaveRemovedAuto_NumbersEachCut_AndSaysHowToUndoIt(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = Recordings.CopyTo("h264-aac", dir, "news.ts");

        (int code, string output, string err) = CliProcess.Movdata("cut", rec, "--remove", "4.5-9", "--save-removed", "auto");
        string first = dir.File(".news.removed.ts");
        byte[] firstBytes = File.ReadAllBytes(first);
        (int code2, string output2, string err2) = CliProcess.Movdata("cut", rec, "--remove", "10-14", "--save-removed", "auto");
        string second = dir.File(".news.removed-2.ts");

        Assert.True(code == 0, err);
        Assert.True(code2 == 0, err2);
        Assert.Contains($"undo: movdata restore {rec} {first}", output, StringComparison.Ordinal);
        Assert.Contains($"undo: movdata restore {rec} {second}", output2, StringComparison.Ordinal);
        Assert.Equal(firstBytes, File.ReadAllBytes(first));
        Assert.Equal(second, RemovedParts.LastPath(rec));
        Assert.Equal(dir.File(".news.removed-3.ts"), RemovedParts.NextPath(rec));
        Assert.Equal(2.0, Ffprobe.Duration(first), 0.15);
        Assert.Equal(4.0, Ffprobe.Duration(second), 0.15);
        Assert.Equal("", Ffmpeg.DecodeErrors(second));
        Assert.Equal(24 - 2 - 4, Ffprobe.Duration(rec), 0.15);
    }

    /// <summary>--edl auto with no EDL and no comskip on PATH: exit 2, a sentence that says what
    /// to install, nothing changed.</summary>
    [Fact]
    public void EdlAuto_WithoutComskipOrEdl_SaysWhatToInstall()
    {
        using ScratchDir dir = Scratch.On("ext4");
        string rec = Recordings.CopyTo("h264-aac", dir, "news.ts");
        Snapshot before = Files.Take(rec);
        string emptyPath = Directory.CreateDirectory(dir.File("bin")).FullName;

        (int code, string output, string err) = CliProcess.MovdataWith(new Dictionary<string, string> { ["PATH"] = emptyPath }, "cut", rec, "--edl", "auto");

        Assert.True(code == 2, $"exit {code}: {err}{output}");
        Assert.Contains("comskip, which would make it, is not installed: install it (Debian, Ubuntu: apt-get install comskip)", err, StringComparison.Ordinal);
        Assert.Equal(before, Files.Take(rec));
    }

    private static void AssertCut(int code, string output, string rec, string log)
    {
        Assert.True(code == 0, $"exit {code}: {output}");
        Assert.Equal(After, Ffprobe.Duration(rec), 0.15);
        Assert.Equal("", Ffmpeg.DecodeErrors(rec));
        string saved = RemovedParts.PathFor(rec, 1);
        Assert.True(File.Exists(saved), $"no {saved}");
        Assert.Equal(4.0, Ffprobe.Duration(saved), 0.15);
        string line = Assert.Single(File.ReadAllLines(log));
        string[] fields = line.Split('\t');
        Assert.Equal(4, fields.Length);
        Assert.True(DateTime.TryParseExact(fields[0], "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out DateTime at), line);
        Assert.True(Math.Abs((DateTime.UtcNow - at).TotalMinutes) < 5, line);
        Assert.Equal(rec, fields[1]);
        Assert.Equal($"cut 2 range(s) (4 s), 0:00:24.000 -> 0:00:20.000, removed parts saved to {saved}", fields[2]);
        Assert.Equal("exit 0", fields[3]);
    }

    /// <summary>A script of contrib/dvr/, run as its DVR runs it, with movdata and the log
    /// given through the variables the script reads.</summary>
    private static ProcessStartInfo Script(string name, string log)
    {
        string script = Path.Combine(MovData.Tests.CApi.NativeLibrary.RepoRoot, "contrib", "dvr", name);
        Assert.True(File.Exists(script), $"no {script}");
        Assert.True(OperatingSystem.IsLinux() && (File.GetUnixFileMode(script) & UnixFileMode.UserExecute) != 0, $"{script} is not executable");
        var psi = new ProcessStartInfo(script) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["MOVDATA"] = CliProcess.Tool;
        psi.Environment["MOVDATA_LOG"] = log;
        return psi;
    }

    private static (int Code, string Output) Run(ProcessStartInfo psi)
    {
        using Process p = Process.Start(psi)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output + err.Result);
    }

    /// <summary>A command line split as tvheadend's spawn_parse_args splits it: words between
    /// spaces; a word that begins with a double or single quote runs to the next such quote; a
    /// backslash takes the next character as it is.</summary>
    private static List<string> TvheadendWords(string command)
    {
        var words = new List<string>();
        int i = 0;
        while (i < command.Length)
        {
            while (i < command.Length && command[i] == ' ')
            {
                i++;
            }
            if (i == command.Length)
            {
                break;
            }
            char end = command[i] is '"' or '\'' ? command[i++] : ' ';
            var word = new StringBuilder();
            while (i < command.Length && command[i] != end)
            {
                if (command[i] == '\\' && i + 1 < command.Length)
                {
                    i++;
                }
                word.Append(command[i++]);
            }
            i++; // past the closing quote or space
            words.Add(word.ToString());
        }
        return words;
    }

    private static void WaitUntil(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "the writer did not open the file");
            Thread.Sleep(20);
        }
    }
}

/// <summary>Durations as ffprobe reads them.</summary>
public static class Ffprobe
{
    /// <summary>Seconds of video a player shows: the sum of the video packets' durations, as
    /// ffprobe reads them (a cut transport stream keeps its timestamps, so the container's
    /// duration, last time less first, would still span the removed ranges).</summary>
    public static double Duration(string path)
    {
        (int code, string output, string err) = Tools.Capture("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=duration_time", "-of", "csv=p=0", path);
        Assert.True(code == 0, $"ffprobe {path}: {err}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Sum(l => double.TryParse(l.TrimEnd(','), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : 0);
    }
}
