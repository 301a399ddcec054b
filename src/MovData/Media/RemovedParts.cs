using System.Globalization;
using System.Text.RegularExpressions;

namespace MovData.Media;

/// <summary>
/// Where <c>movdata cut --save-removed auto</c> keeps what a cut removes: beside the
/// recording, under a hidden name, so that a DVR's library does not list it as a second
/// recording (Jellyfin's scanner ignores every name that begins with a dot, Kodi hides them
/// unless told to show hidden files; MythTV, NextPVR and tvheadend list recordings from their
/// own databases, not the folder: docs/dvr.md), yet still with the recording's extension, so
/// that ffmpeg and players take it for what it is: <c>.NAME.removed.EXT</c> for the first cut
/// of NAME.EXT, <c>.NAME.removed-2.EXT</c> for the next, and so on. A number is one more than
/// the highest there, so the highest is always the last cut's: the one to undo first.
/// </summary>
public static class RemovedParts
{
    /// <summary>The name the next cut of <paramref name="recording"/> saves its removed parts
    /// under: the first of the rule's names after every one that exists.</summary>
    public static string NextPath(string recording)
    {
        int last = Existing(recording).Select(e => e.Number).DefaultIfEmpty(0).Max();
        return PathFor(recording, last + 1);
    }

    /// <summary>The removed parts of <paramref name="recording"/>'s last cut that saved them
    /// by the rule (the highest number there), or null if there are none.</summary>
    public static string? LastPath(string recording) =>
        Existing(recording).OrderByDescending(e => e.Number).Select(e => e.Path).FirstOrDefault();

    /// <summary>The rule's name for cut number <paramref name="number"/> (1 is the first).</summary>
    public static string PathFor(string recording, int number)
    {
        ArgumentException.ThrowIfNullOrEmpty(recording);
        ArgumentOutOfRangeException.ThrowIfLessThan(number, 1);
        string full = Path.GetFullPath(recording);
        string suffix = number == 1 ? "" : string.Create(CultureInfo.InvariantCulture, $"-{number}");
        return Path.Combine(Path.GetDirectoryName(full) ?? "/", $".{Path.GetFileNameWithoutExtension(full)}.removed{suffix}{Path.GetExtension(full)}");
    }

    private static List<(string Path, int Number)> Existing(string recording)
    {
        ArgumentException.ThrowIfNullOrEmpty(recording);
        string full = Path.GetFullPath(recording);
        string dir = Path.GetDirectoryName(full) ?? "/";
        if (!Directory.Exists(dir))
        {
            return [];
        }
        string stem = Regex.Escape($".{Path.GetFileNameWithoutExtension(full)}.removed");
        var name = new Regex($"^{stem}(?:-(?<n>[1-9][0-9]{{0,8}}))?{Regex.Escape(Path.GetExtension(full))}$", RegexOptions.CultureInvariant);
        return Directory.EnumerateFiles(dir)
            .Select(p => (Path: p, Match: name.Match(Path.GetFileName(p))))
            .Where(m => m.Match.Success)
            .Select(m => (m.Path, Number: m.Match.Groups["n"].Success ? int.Parse(m.Match.Groups["n"].Value, CultureInfo.InvariantCulture) : 1))
            .ToList();
    }
}
