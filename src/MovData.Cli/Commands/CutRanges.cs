using System.Diagnostics;
using MovData.Media;

namespace MovData.Cli.Commands;

/// <summary>
/// Where `movdata cut` takes its ranges from: a time range on the command line, or an EDL;
/// with <c>--edl auto</c> comskip's REC.edl beside the recording, made by running comskip
/// (Debian package comskip) when there is none.
/// </summary>
internal static class CutRanges
{
    /// <summary>A time range given as <paramref name="option"/>.</summary>
    internal static TimeRange Parse(string option, string text)
    {
        try
        {
            return EditDecisionList.ParseRange(text);
        }
        catch (FormatException e)
        {
            throw new ArgumentException($"{option} {text}: {e.Message}", e);
        }
    }

    /// <summary>The ranges of types 0 and 3 of the EDL at <paramref name="path"/>; empty when it has none.</summary>
    internal static IReadOnlyList<TimeRange> ReadEdl(string path)
    {
        string text = File.ReadAllText(path);
        try
        {
            return EditDecisionList.Parse(text);
        }
        catch (FormatException e)
        {
            throw new ArgumentException($"--edl {path}: {e.Message}", e);
        }
    }

    /// <summary>comskip's name for the EDL of <paramref name="recording"/>: the same name
    /// without its extension, and .edl, in the same directory.</summary>
    internal static string ComskipEdl(string recording) => Path.ChangeExtension(Path.GetFullPath(recording), ".edl");

    /// <summary>The EDL file <c>--edl</c> names: itself, or for auto comskip's EDL beside
    /// the recording, made by running comskip if it is not there yet. A dry run changes
    /// nothing beside the recording either: comskip then writes into
    /// <paramref name="scratch"/>, a directory of its own the caller removes.</summary>
    /// <exception cref="ArgumentException">auto, no EDL, and comskip is not installed; or comskip made none.</exception>
    internal static string EdlFor(string recording, string edl, string? comskipIni, string? scratch = null)
    {
        if (edl != "auto")
        {
            return edl;
        }
        string path = ComskipEdl(recording);
        if (File.Exists(path))
        {
            return path;
        }
        if (!File.Exists(recording))
        {
            throw new FileNotFoundException($"Could not find file '{Path.GetFullPath(recording)}'");
        }
        if (comskipIni is not null && !File.Exists(comskipIni))
        {
            throw new ArgumentException($"--comskip-ini {comskipIni}: no such file");
        }
        string comskip = OnPath("comskip") ?? throw new ArgumentException(
            $"--edl auto: there is no {path}, and comskip, which would make it, is not installed: install it (Debian, Ubuntu: apt-get install comskip) or give --edl FILE");
        string output = scratch ?? Path.GetDirectoryName(path)!;
        RunComskip(comskip, recording, comskipIni, output);
        path = Path.Combine(output, Path.GetFileName(path));
        return File.Exists(path) ? path : throw new ArgumentException(
            $"--edl auto: comskip ran but wrote no {path}; its ini must say output_edl=1{(comskipIni is null ? "" : $" ({comskipIni} does not)")}");
    }

    /// <summary>
    /// Runs comskip as its users do, with its output directory next to the recording, so
    /// REC.edl lands beside REC (with REC.txt, comskip's own list). Without --comskip-ini,
    /// comskip gets an ini of one line, <c>output_edl=1</c>, since its defaults write no EDL.
    /// It exits 0 when it found breaks and 1 when it found none (then its EDL is empty:
    /// nothing to cut); anything else is a failure.
    /// </summary>
    private static void RunComskip(string comskip, string recording, string? ini, string output)
    {
        string full = Path.GetFullPath(recording);
        string? ownIni = null;
        if (ini is null)
        {
            ownIni = Path.Combine(Path.GetTempPath(), $"movdata-comskip-{Environment.ProcessId}.ini");
            File.WriteAllText(ownIni, "output_edl=1\n");
        }
        try
        {
            var psi = new ProcessStartInfo(comskip)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                WorkingDirectory = Path.GetDirectoryName(full)!,
            };
            psi.ArgumentList.Add($"--ini={Path.GetFullPath(ini ?? ownIni!)}");
            psi.ArgumentList.Add($"--output={output}");
            psi.ArgumentList.Add(full);
            using Process p = Process.Start(psi) ?? throw new IOException($"could not start {comskip}");
            p.StandardInput.Close();
            Task<string> err = p.StandardError.ReadToEndAsync();
            string printed = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            string said = string.Join(" ", (printed + err.Result).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(2));
            if (p.ExitCode is not (0 or 1))
            {
                throw new IOException($"comskip failed on {full} (exit {p.ExitCode}): {said}");
            }
        }
        finally
        {
            if (ownIni is not null)
            {
                File.Delete(ownIni);
            }
        }
    }

    /// <summary>The full path of <paramref name="program"/> on PATH, or null.</summary>
    private static string? OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(p => File.Exists(p) && OperatingSystem.IsLinux() && (File.GetUnixFileMode(p) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0);
}
