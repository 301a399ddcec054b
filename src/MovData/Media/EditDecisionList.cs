using System.Globalization;

namespace MovData.Media;

/// <summary>
/// Times and ranges as people and ad detectors write them: seconds (<c>93.5</c>),
/// <c>MM:SS[.fff]</c> or <c>HH:MM:SS[.fff]</c>, a range as <c>FROM-TO</c>; and the MPlayer
/// edit decision list that comskip writes, one <c>start end type</c> per line in seconds.
/// </summary>
public static class EditDecisionList
{
    /// <summary>Type 0 of an EDL line: cut.</summary>
    public const int Cut = 0;

    /// <summary>Type 3 of an EDL line: commercial break (comskip's output; Kodi skips it).</summary>
    public const int CommercialBreak = 3;

    /// <summary>Seconds from <c>93.5</c>, <c>1:33.5</c> or <c>0:01:33.5</c>.</summary>
    /// <exception cref="FormatException">Not one of those forms, or negative.</exception>
    public static double ParseTime(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Trim().Split(':');
        double seconds = 0;
        for (int i = 0; i < parts.Length; i++)
        {
            // Hours and minutes are whole numbers; only the last part takes a fraction, and
            // after a colon minutes and seconds are below 60.
            NumberStyles style = i == parts.Length - 1 ? NumberStyles.AllowDecimalPoint : NumberStyles.None;
            if (parts.Length > 3 || !TryParseNumber(parts[i], style, out double v) || (i > 0 && v >= 60))
            {
                throw new FormatException($"'{text}' is not a time: write seconds (93.5), MM:SS[.fff] or HH:MM:SS[.fff]");
            }
            seconds = seconds * 60 + v;
        }
        return seconds;
    }

    /// <summary>A number of <paramref name="style"/> that is finite: .NET reads "NaN",
    /// "Infinity" and "∞" whatever the style, and none of them is a time.</summary>
    private static bool TryParseNumber(string text, NumberStyles style, out double value) =>
        double.TryParse(text, style, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    /// <summary>What is wrong with a range that removes nothing: "is empty (it ends where it
    /// starts)" or "ends before it starts".</summary>
    private static string Emptiness(double from, double to) => to == from ? "is empty: it ends where it starts" : "ends before it starts";

    /// <summary>A range written <c>FROM-TO</c>, e.g. <c>12:00-15:30.5</c>; TO <c>end</c> is the recording's end.</summary>
    /// <exception cref="FormatException">Malformed, or TO before FROM.</exception>
    public static TimeRange ParseRange(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] ends = text.Split('-');
        if (ends.Length != 2 || ends.Any(string.IsNullOrWhiteSpace))
        {
            throw new FormatException($"'{text}' is not a range: write FROM-TO, both ends, e.g. 12:00-15:30.5 (to the end: FROM-end)");
        }
        // "end", as a range to the end is printed ("19.99-end").
        var range = new TimeRange(ParseTime(ends[0]), ends[1].Trim() == "end" ? double.PositiveInfinity : ParseTime(ends[1]));
        if (range.To <= range.From)
        {
            throw new FormatException($"the range '{text}' {Emptiness(range.From, range.To)}");
        }
        return range;
    }

    /// <summary>
    /// The ranges an EDL removes: lines of type 0 (cut) and 3 (commercial break), in order;
    /// other types (1 mute, 2 scene marker) are ignored, as are blank lines and <c>#</c> comments.
    /// </summary>
    /// <exception cref="FormatException">A malformed line, a reversed range, or ranges that
    /// overlap or are out of order; the message names the line.</exception>
    public static IReadOnlyList<TimeRange> Parse(string text) =>
        [.. Lines(text).Where(l => l.Type is Cut or CommercialBreak).Select(l => new TimeRange(l.From, l.To))];

    /// <summary>Every line of an EDL, in order: its start, end and type (of any number), as
    /// <see cref="Parse"/> checks them (the ranges to remove in order, none overlapping).</summary>
    /// <exception cref="FormatException">As <see cref="Parse"/>.</exception>
    internal static List<(double From, double To, int Type)> Lines(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var all = new List<(double From, double To, int Type)>();
        var ranges = new List<(TimeRange Range, int Line)>();
        string[] lines = text.Split('\n');
        for (int n = 1; n <= lines.Length; n++)
        {
            string line = lines[n - 1];
            int hash = line.IndexOf('#', StringComparison.Ordinal);
            string[] w = (hash >= 0 ? line[..hash] : line).Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries);
            if (w.Length == 0)
            {
                continue;
            }
            if (w.Length != 3
                || !TryParseNumber(w[0], NumberStyles.AllowDecimalPoint, out double from)
                || !TryParseNumber(w[1], NumberStyles.AllowDecimalPoint, out double to)
                || !int.TryParse(w[2], NumberStyles.None, CultureInfo.InvariantCulture, out int type))
            {
                throw new FormatException($"EDL line {n}: '{line.Trim()}' is not 'start end type' (seconds, seconds, a type number)");
            }
            // A scene marker is a point (Kodi's own are written start = end); a range to cut is not.
            if (to < from || (to == from && type is Cut or CommercialBreak))
            {
                throw new FormatException($"EDL line {n}: the range {from.ToString(CultureInfo.InvariantCulture)}-{to.ToString(CultureInfo.InvariantCulture)} {Emptiness(from, to)}");
            }
            all.Add((from, to, type));
            if (type is not (Cut or CommercialBreak))
            {
                continue;
            }
            if (ranges.Count > 0 && from < ranges[^1].Range.To)
            {
                throw new FormatException($"EDL line {n}: the range starting at {from.ToString(CultureInfo.InvariantCulture)} overlaps or precedes the one on line {ranges[^1].Line}");
            }
            ranges.Add((new TimeRange(from, to), n));
        }
        return all;
    }

    /// <summary>Type 2 of an EDL line: scene marker (Kodi shows it as a chapter mark; nothing is skipped).</summary>
    public const int SceneMarker = 2;

    /// <summary>An EDL that marks each of <paramref name="seconds"/> as a scene marker, one
    /// <c>start end 2</c> line each (start and end the same): points a player may show, and
    /// no range it would skip.</summary>
    public static string Markers(IEnumerable<double> seconds)
    {
        ArgumentNullException.ThrowIfNull(seconds);
        return Write(seconds.Select(t => (t, t, SceneMarker)));
    }

    /// <summary>An EDL of <paramref name="lines"/>, one <c>start end type</c> line each, in
    /// seconds to the millisecond.</summary>
    internal static string Write(IEnumerable<(double From, double To, int Type)> lines)
    {
        var sb = new System.Text.StringBuilder();
        foreach ((double from, double to, int type) in lines)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{from:0.00#}\t{to:0.00#}\t{type}\n");
        }
        return sb.ToString();
    }
}
