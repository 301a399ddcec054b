using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace MovData.Cli;

/// <summary>Sizes as people type them: 4096, 0x1000, 4k, 64M, 1G, 1GiB (binary multiples, any case).</summary>
internal static class Sizes
{
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
        int shift = s[digits..].ToUpperInvariant() switch
        {
            "" or "B" => 0,
            "K" or "KB" or "KIB" => 10,
            "M" or "MB" or "MIB" => 20,
            "G" or "GB" or "GIB" => 30,
            "T" or "TB" or "TIB" => 40,
            "P" or "PB" or "PIB" => 50,
            _ => -1,
        };
        if (shift < 0 || value > (long.MaxValue >> shift))
        {
            return null;
        }
        return value << shift;
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
            result.AddError($"{name}: '{text}' is not a size (bytes, 0x hex, or with k, M, G, T: binary multiples, up to 2^63-1)");
            return 0;
        }
        return value.Value;
    }

    internal static string Human(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.##} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.##} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:0.##} KiB",
        _ => $"{bytes} B",
    };
}
