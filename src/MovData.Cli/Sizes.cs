using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace MovData.Cli;

/// <summary>
/// Sizes as coreutils (truncate, dd, fallocate, head) read them, so that a length typed for
/// one tool means the same bytes to the other: 4096, 0x1000; K, M, G, T, P, E and KiB, MiB, …
/// are powers of 1024; KB, MB, GB, … (also kB) are powers of 1000.
/// </summary>
internal static class Sizes
{
    /// <summary>What <c>--help</c> and every size error say a size is.</summary>
    internal const string Forms =
        "bytes, 0x hex, or a number with K, M, G, T, P, E or KiB, MiB, ... (powers of 1024) or KB, MB, GB, ... (powers of 1000), as coreutils reads them";

    /// <summary>The letters, in coreutils' cases (truncate takes k, m, g, t in lower case too; P and E only upper).</summary>
    private const string Letters = "KMGTPE", LowerLetters = "kmgt";

    /// <summary>Parses a size; null if it is not one or does not fit in a signed 64-bit integer.</summary>
    internal static long? Parse(string text)
    {
        string s = text.Trim();
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            return long.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long hex) && hex >= 0 ? hex : null;
        }
        int digits = 0;
        while (digits < s.Length && char.IsAsciiDigit(s[digits]))
        {
            digits++;
        }
        if (digits == 0 || !long.TryParse(s.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out long value))
        {
            return null;
        }
        if (Multiplier(s.AsSpan(digits)) is not { } unit)
        {
            return null;
        }
        return value <= long.MaxValue / unit ? value * unit : null;
    }

    /// <summary>
    /// The multiplier a suffix stands for: none; a letter alone or with iB, binary; a letter
    /// with B, decimal. Anything else is refused as coreutils refuses it: 64Mb and 64Mib read
    /// as bits to some and as bytes to others, 4096B is not a size there either.
    /// </summary>
    private static long? Multiplier(ReadOnlySpan<char> suffix)
    {
        if (suffix.IsEmpty)
        {
            return 1;
        }
        int power = Math.Max(Letters.IndexOf(suffix[0]), LowerLetters.IndexOf(suffix[0])) + 1;
        if (power == 0)
        {
            return null;
        }
        long thousand = 1000, kibi = 1024;
        return suffix[1..] switch
        {
            "" or "iB" => Power(kibi, power),
            "B" => Power(thousand, power),
            _ => null,
        };
    }

    private static long Power(long b, int n)
    {
        long r = 1;
        for (int i = 0; i < n; i++)
        {
            r *= b;
        }
        return r;
    }

    /// <summary>A required size option, e.g. --length.</summary>
    internal static Option<long> Option(string name, string description) => new(name)
    {
        Description = description,
        Required = true,
        CustomParser = result => Parse(result, name),
    };

    private static long Parse(ArgumentResult result, string name)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        long? value = Parse(text);
        if (value is null)
        {
            result.AddError($"{name}: '{text}' is not a size: {Forms}; at most 2^63-1 bytes");
            return 0;
        }
        return value.Value;
    }

    /// <summary>"1.23 GiB", "64 MiB", "512 B".</summary>
    internal static string Human(long bytes) => Scaled(bytes, "0.##");

    /// <summary>"433 MiB", "85.3 MiB", "1.21 GiB": three figures, enough for a rate.</summary>
    internal static string Brief(double bytes)
    {
        double value = Scale(bytes).Value;
        return Scaled(bytes, value >= 100 ? "0" : value >= 10 ? "0.#" : "0.##");
    }

    private static string Scaled(double bytes, string format)
    {
        (double value, string unit) = Scale(bytes);
        return $"{value.ToString(format, CultureInfo.InvariantCulture)} {unit}";
    }

    private static (double Value, string Unit) Scale(double bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (1L << 30), "GiB"),
        >= 1L << 20 => (bytes / (1L << 20), "MiB"),
        >= 1L << 10 => (bytes / 1024, "KiB"),
        _ => (bytes, "B"),
    };
}
