using System.Globalization;
using System.Text;

namespace MovData.Edits;

/// <summary>
/// How a <see cref="Patch"/>'s bytes are spelt in a journal record's <c>patch</c> line, and in
/// what a cut reports of its writes (<c>movdata cut --timings</c>, which bench/media-floor.c
/// replays): hex, except that a run of one byte value is written once with its count. The
/// packets a media cut writes are mostly stuffing (a null packet is four bytes and 184 of
/// 0xFF; a discontinuity mark six and 182), so a mark takes 19 characters instead of 376,
/// and a cut's record stays small enough to be an extended attribute (docs/journal.md).
/// </summary>
/// <remarks>
/// The text is pieces joined by '.': either hex digits, two a byte, or <c>HH*N</c>, the
/// byte HH repeated N times (N at least <see cref="ShortestRun"/>). <c>47000023B780.FF*182</c>
/// is a mark of PID 0, continuity_counter 3. Plain hex (one piece) is read as before, so a
/// record written before runs existed reads the same.
/// </remarks>
internal static class PatchText
{
    /// <summary>Runs shorter than this stay hex: a run written as <c>HH*N</c> with its '.'
    /// separators takes six characters or more, as many as three bytes in hex.</summary>
    internal const int ShortestRun = 8;

    /// <summary>The text of <paramref name="bytes"/>.</summary>
    internal static string Write(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(bytes.Length);
        int literal = 0; // where the bytes not yet written start
        for (int i = 0; i < bytes.Length;)
        {
            int run = 1;
            while (i + run < bytes.Length && bytes[i + run] == bytes[i])
            {
                run++;
            }
            if (run >= ShortestRun)
            {
                Literal(text, bytes[literal..i]);
                Separate(text);
                text.Append(CultureInfo.InvariantCulture, $"{bytes[i]:X2}*{run}");
                literal = i + run;
            }
            i += run;
        }
        Literal(text, bytes[literal..]);
        return text.ToString();

        static void Literal(StringBuilder text, ReadOnlySpan<byte> bytes)
        {
            if (bytes.Length > 0)
            {
                Separate(text);
                text.Append(Convert.ToHexString(bytes));
            }
        }

        static void Separate(StringBuilder text)
        {
            if (text.Length > 0)
            {
                text.Append('.');
            }
        }
    }

    /// <summary>Whether <paramref name="text"/> uses a run (and so needs a reader that knows them).</summary>
    internal static bool HasRuns(string text) => text.Contains('*', StringComparison.Ordinal);

    /// <summary>The bytes <paramref name="text"/> spells; null if it is not such a text, or if
    /// its runs would make more than <paramref name="most"/> bytes (a patch's bytes never
    /// outnumber the length they fill: a count no patch has is damage, not an allocation).</summary>
    internal static byte[]? Read(string text, long most)
    {
        var bytes = new List<byte>();
        if (text.Length == 0)
        {
            return []; // as plain hex read it: a patch of nothing
        }
        foreach (string piece in text.Split('.'))
        {
            int star = piece.IndexOf('*', StringComparison.Ordinal);
            if (star < 0)
            {
                if (piece.Length == 0 || piece.Length % 2 != 0 || !IsHex(piece))
                {
                    return null;
                }
                bytes.AddRange(Convert.FromHexString(piece));
                continue;
            }
            if (star != 2 || !IsHex(piece[..2]) || !int.TryParse(piece.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out int count)
                || count < ShortestRun || count > most - bytes.Count)
            {
                return null;
            }
            bytes.AddRange(Enumerable.Repeat(Convert.FromHexString(piece[..2])[0], count));
        }
        return [.. bytes];
    }

    private static bool IsHex(string s) => s.All(char.IsAsciiHexDigit);
}
