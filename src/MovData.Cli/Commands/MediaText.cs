using System.Globalization;
using MovData.Media;

namespace MovData.Cli.Commands;

/// <summary>How the media verbs (info, cut) write formats and times.</summary>
internal static class MediaText
{
    /// <summary>"mpegts", "m2ts", "mp4" or "mov", as ffprobe names the formats (it names
    /// the last two together, "mov,mp4,...": the brand tells them apart).</summary>
    internal static string FormatName(RecordingFormat f) => f switch
    {
        RecordingFormat.M2ts => "m2ts",
        RecordingFormat.Mp4 => "mp4",
        RecordingFormat.Mov => "mov",
        _ => "mpegts",
    };

    /// <summary>H:MM:SS.fff.</summary>
    internal static string Clock(double seconds)
    {
        // To the nearest millisecond, as --json's seconds are rounded: 3.336667 is 3.337 in both.
        var t = TimeSpan.FromMilliseconds(Math.Round(seconds * 1000, MidpointRounding.AwayFromZero));
        return Invariant($"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}.{t.Milliseconds:000}");
    }

    internal static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
