using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Win32.SafeHandles;
using MovData.Edits;
using MovData.Operations;

namespace MovData.Media;

/// <summary>The original bytes of the EDL a cut replaced (the one named like the recording:
/// <see cref="CutResult.EdlReplaced"/>), and the SHA-256 of the marker EDL the cut left in its place: a
/// restore puts the original back only over that marker file, or where there is none.</summary>
internal sealed record SavedEdl(string Name, byte[] Original, string MarkerSha256);

/// <summary>
/// Everything a restore needs to put a recording back exactly as it was before a cut with
/// <see cref="CutOptions.SaveRemovedTo"/>, carried at the end of the file of removed parts
/// (SAVED) by the format (<see cref="ISavedManifestCarrier"/>). Built from the cut's
/// <see cref="CutLayout"/> alone, so any format that can carry it gets undo: the removals
/// (where holes go back), the parts (where each removed range sits in SAVED), and the
/// original bytes of every byte the cut wrote or truncated that no part brings back (null
/// packets over half-cut PES, broken-link marks, nulled leading pictures, an MP4's moov
/// rewritten in place or cut off the end, in the recording; and the recording's bytes under
/// SAVED's own writes inside its parts), all at offsets of the
/// recording as it was. An identity of the recording as the cut left it (its size, and the
/// SHA-256 of each of a few small windows: every written region and 4 KiB each side of every
/// join) lets a restore refuse a recording that changed since, without reading it; which
/// windows still match tells a recording changed since (some do: a later cut) from another
/// recording (none do). The identity is of content only, so the manifest is the same bytes
/// whichever inode the recording has (a copy of both files restores as well).
/// </summary>
/// <param name="Format">The recording's container.</param>
/// <param name="SizeBefore">The recording's size before the cut.</param>
/// <param name="SizeAfter">Its size as the cut left it.</param>
/// <param name="Windows">The identity's windows, offsets of the recording as the cut left
/// it, in order, each with the SHA-256 (hex) of its bytes.</param>
/// <param name="Removals">The cut's block removals, as <see cref="CutLayout.Removals"/>.</param>
/// <param name="Parts">Each removed range: where it was in the recording, where it sits in SAVED, its length.</param>
/// <param name="Samples">SAVED's own check: the first and last <see cref="JoinWindow"/> bytes of
/// each part, offsets of SAVED, each with the SHA-256 (hex) of what the cut left there. Not
/// every byte (that would read all that was removed, which the cut never reads), but the
/// bytes the cut read anyway, beside its cut points; none in a manifest of an older MovData.</param>
/// <param name="Ranges">The ranges removed, in seconds of the recording as it was.</param>
/// <param name="Originals">Original bytes at offsets of the recording as it was, in order, not overlapping.</param>
/// <param name="Content">SAVED's size without the manifest: where the manifest begins.</param>
/// <param name="Edl">The EDL the cut replaced, if any.</param>
internal sealed record SavedManifest(RecordingFormat Format, long SizeBefore, long SizeAfter,
    List<(long Offset, long Length, string Sha256)> Windows, List<BlockRemoval> Removals, List<(long Source, long Target, long Length)> Parts,
    List<(long Offset, long Length, string Sha256)> Samples, List<TimeRange> Ranges, List<(long Offset, byte[] Bytes)> Originals, long Content, SavedEdl? Edl)
{
    /// <summary>Bytes of the recording each side of a join that the identity covers.</summary>
    internal const int JoinWindow = 4096;

    /// <summary>The manifest's first line; the number is its version.</summary>
    private const string Magic = "movdata-saved 1";

    /// <summary>What ends the carried bytes: this, the manifest's length (8 bytes, big-endian)
    /// and its SHA-256 (32 bytes).</summary>
    private static readonly byte[] FooterMagic = "MOVDATA-SAVED-1\n"u8.ToArray();

    private const int FooterLength = 16 + 8 + 32;

    /// <summary>
    /// The manifest of the cut <paramref name="layout"/> of <paramref name="file"/> (whose
    /// facts are <paramref name="f"/>), read from the file as it is before the cut. The layout
    /// must have an output; <paramref name="content"/> is where in it the manifest will begin.
    /// </summary>
    internal static SavedManifest Build(SafeFileHandle file, FileFacts f, RecordingFormat format, CutLayout layout, IReadOnlyList<TimeRange> ranges, long content, SavedEdl? edl)
    {
        RemovedOutput output = layout.Output ?? throw new InvalidOperationException("a manifest describes a cut that saves what it removes");
        var view = new CutView(f.Size, layout.Removals);
        // A write may reach past what the removals leave (an MP4's new moov, written after the
        // old one was truncated away): the recording then ends where that write ends.
        long sizeAfter = Math.Max(view.SizeAfter, layout.Writes.Select(w => w.Offset + w.Length).DefaultIfEmpty(0).Max());
        // The identity: every region the cut writes, and a window each side of each join.
        var windows = new List<(long Offset, long Length)>();
        windows.AddRange(layout.Writes.Select(w => (w.Offset, w.Length)));
        foreach (long join in view.Joins)
        {
            windows.Add((join - JoinWindow, 2 * JoinWindow));
        }
        List<(long, long, string)> identity = [.. Merge(windows.Select(w => Clip(w, 0, sizeAfter)))
            .Select(w => (w.Offset, w.Length, Convert.ToHexString(SHA256.HashData(view.ReadAfter(file, w.Offset, w.Length, layout.Writes)))))];
        // Original bytes under every write, and of what the truncation drops, that no part brings back.
        var needed = new List<(long Offset, long Length)>();
        List<(long Offset, long Length)> partRanges = [.. output.Parts.Select(p => (p.Source, p.Length))];
        needed.AddRange(Subtract((view.Limit, f.Size - view.Limit), partRanges));
        foreach (Patch w in layout.Writes)
        {
            foreach ((long o, long n) in view.Originals(w.Offset, w.Length))
            {
                needed.AddRange(Subtract((o, n), partRanges));
            }
        }
        foreach (Patch w in output.Writes)
        {
            foreach ((long source, long target, long length) in output.Parts)
            {
                (long o, long n) = Clip((w.Offset, w.Length), target, target + length);
                if (n > 0)
                {
                    needed.Add((o - target + source, n));
                }
            }
        }
        List<(long, byte[])> originals = [.. Merge(needed).Select(r => (r.Offset, MediaReads.ReadAll(file, r.Offset, r.Length)))];
        return new SavedManifest(format, f.Size, sizeAfter, identity, [.. layout.Removals], [.. output.Parts], SamplesOf(file, output), [.. ranges], originals, content, edl);
    }

    /// <summary>The <see cref="Samples"/> of <paramref name="output"/>'s parts, read from the
    /// recording before the cut, with SAVED's own writes laid over them.</summary>
    private static List<(long Offset, long Length, string Sha256)> SamplesOf(SafeFileHandle file, RemovedOutput output)
    {
        var samples = new List<(long Offset, long Length, string Sha256)>();
        foreach ((long source, long target, long length) in output.Parts)
        {
            (long At, long Length)[] windows = length <= 2 * JoinWindow ? [(0, length)] : [(0, JoinWindow), (length - JoinWindow, JoinWindow)];
            foreach ((long at, long n) in windows.Where(w => w.Length > 0))
            {
                byte[] bytes = MediaReads.ReadAll(file, source + at, n);
                Overlay(bytes, target + at, output.Writes);
                samples.Add((target + at, n, Convert.ToHexString(SHA256.HashData(bytes))));
            }
        }
        return samples;
    }

    /// <summary>Lays <paramref name="writes"/> over <paramref name="bytes"/>, which stand at
    /// <paramref name="offset"/> of the same file, in order.</summary>
    private static void Overlay(byte[] bytes, long offset, IEnumerable<Patch> writes)
    {
        foreach (Patch w in writes)
        {
            long from = Math.Max(offset, w.Offset), to = Math.Min(offset + bytes.Length, w.Offset + w.Length);
            for (long y = from; y < to; y++)
            {
                bytes[y - offset] = w.Bytes[(y - w.Offset) % w.Bytes.Length];
            }
        }
    }

    /// <summary>The bytes a format carries: the manifest's text, then the footer that finds
    /// it from the end and proves it whole.</summary>
    internal byte[] ToCarried()
    {
        byte[] text = Encoding.UTF8.GetBytes(ToText());
        byte[] footer = new byte[FooterLength];
        FooterMagic.CopyTo(footer, 0);
        BinaryPrimitives.WriteInt64BigEndian(footer.AsSpan(16), text.Length);
        SHA256.HashData(text).CopyTo(footer, 24);
        return [.. text, .. footer];
    }

    /// <summary>The manifest at the end of <paramref name="carried"/> (what the format's
    /// packets at the end of SAVED carry, padding first).</summary>
    /// <exception cref="InvalidDataException">The bytes end in no footer, or the manifest is
    /// not whole (its SHA-256 differs) or not understood; the message says which.</exception>
    internal static SavedManifest FromCarried(ReadOnlySpan<byte> carried, string savedPath)
    {
        if (carried.Length < FooterLength || !carried[^FooterLength..][..16].SequenceEqual(FooterMagic))
        {
            throw new InvalidDataException($"{savedPath} is truncated or damaged: the MovData manifest at its end has lost its footer (the file was cut short, or overwritten)");
        }
        ReadOnlySpan<byte> footer = carried[^FooterLength..];
        long length = BinaryPrimitives.ReadInt64BigEndian(footer[16..]);
        if (length < 0 || length > carried.Length - FooterLength)
        {
            throw new InvalidDataException($"{savedPath} is truncated or damaged: its manifest says it is {length} bytes, but only {carried.Length - FooterLength} are carried");
        }
        ReadOnlySpan<byte> text = carried[..^FooterLength][^(int)length..];
        if (!SHA256.HashData(text).AsSpan().SequenceEqual(footer[24..]))
        {
            throw new InvalidDataException($"{savedPath} is damaged: its manifest's SHA-256 does not match the one it was written with");
        }
        try
        {
            return Parse(Encoding.UTF8.GetString(text));
        }
        catch (Exception e) when (e is FormatException or OverflowException or IndexOutOfRangeException or ArgumentException or KeyNotFoundException)
        {
            throw new InvalidDataException($"{savedPath} has a manifest this MovData does not understand ({e.Message})", e);
        }
    }

    // ---- the text: one fact per line, numbers invariant, bytes in base64 ----

    private string ToText()
    {
        var sb = new StringBuilder();
        sb.Append(Magic).Append('\n');
        Line(sb, $"format {Format}");
        Line(sb, $"recording {SizeBefore} {SizeAfter}");
        Line(sb, $"content {Content}");
        foreach ((long o, long n, string sha) in Windows)
        {
            Line(sb, $"window {o} {n} {sha}");
        }
        foreach (BlockRemoval r in Removals)
        {
            Line(sb, $"removal {r.Offset} {r.Length} {(r.ToEnd ? 1 : 0)}");
        }
        foreach ((long source, long target, long length) in Parts)
        {
            Line(sb, $"part {source} {target} {length}");
        }
        foreach ((long o, long n, string sha) in Samples)
        {
            Line(sb, $"sample {o} {n} {sha}");
        }
        foreach (TimeRange r in Ranges)
        {
            Line(sb, $"range {r.From:R} {r.To:R}");
        }
        foreach ((long o, byte[] bytes) in Originals)
        {
            Line(sb, $"original {o} {Convert.ToBase64String(bytes)}");
        }
        if (Edl is { } edl)
        {
            Line(sb, $"edl {Uri.EscapeDataString(edl.Name)} {edl.MarkerSha256} {Convert.ToBase64String(edl.Original)}");
        }
        sb.Append("end\n");
        return sb.ToString();
    }

    private static void Line(StringBuilder sb, FormattableString line) => sb.Append(FormattableString.Invariant(line)).Append('\n');

    private static SavedManifest Parse(string text)
    {
        string[] lines = text.Split('\n');
        if (lines[0] != Magic)
        {
            throw new FormatException($"its first line is '{lines[0]}', not '{Magic}'");
        }
        var m = new SavedManifest(RecordingFormat.MpegTs, -1, -1, [], [], [], [], [], [], -1, null);
        bool ended = false;
        foreach (string line in lines.Skip(1).Where(l => l.Length > 0))
        {
            string[] w = line.Split(' ');
            m = w[0] switch
            {
                "format" => m with { Format = Enum.Parse<RecordingFormat>(w[1]) },
                "recording" => m with { SizeBefore = Long(w[1]), SizeAfter = Long(w[2]) },
                "content" => m with { Content = Long(w[1]) },
                "window" => Add(m, m.Windows, (Long(w[1]), Long(w[2]), w[3])),
                "removal" => Add(m, m.Removals, new BlockRemoval(Long(w[1]), Long(w[2]), w[3] == "1")),
                "part" => Add(m, m.Parts, (Long(w[1]), Long(w[2]), Long(w[3]))),
                "sample" => Add(m, m.Samples, (Long(w[1]), Long(w[2]), w[3])),
                "range" => Add(m, m.Ranges, new TimeRange(double.Parse(w[1], CultureInfo.InvariantCulture), double.Parse(w[2], CultureInfo.InvariantCulture))),
                "original" => Add(m, m.Originals, (Long(w[1]), Convert.FromBase64String(w[2]))),
                "edl" => m with { Edl = new SavedEdl(Uri.UnescapeDataString(w[1]), Convert.FromBase64String(w[3]), w[2]) },
                "end" => m,
                _ => throw new FormatException($"the line '{(line.Length > 40 ? line[..40] + "..." : line)}' is not one it knows"),
            };
            ended |= w[0] == "end";
        }
        // No parts is a cut that moved no whole block out (an MP4 cut of less than a block's
        // worth of samples): its restore only writes back what the cut wrote.
        if (!ended || m.SizeBefore < 0 || m.Content < 0 || m.Windows.Count == 0)
        {
            throw new FormatException("it lacks its end, the recording's sizes or the identity");
        }
        return m;
    }

    private static SavedManifest Add<T>(SavedManifest m, List<T> list, T item)
    {
        list.Add(item);
        return m;
    }

    private static long Long(string s) => long.Parse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    // ---- ranges ----

    private static (long Offset, long Length) Clip((long Offset, long Length) r, long from, long to)
    {
        long o = Math.Max(r.Offset, from), e = Math.Min(r.Offset + r.Length, to);
        return (o, Math.Max(0, e - o));
    }

    /// <summary>Ranges sorted, those that overlap or touch made one, empty ones dropped.</summary>
    internal static List<(long Offset, long Length)> Merge(IEnumerable<(long Offset, long Length)> ranges)
    {
        var merged = new List<(long Offset, long Length)>();
        foreach ((long o, long n) in ranges.Where(r => r.Length > 0).OrderBy(r => r.Offset))
        {
            if (merged.Count > 0 && o <= merged[^1].Offset + merged[^1].Length)
            {
                (long mo, long mn) = merged[^1];
                merged[^1] = (mo, Math.Max(mo + mn, o + n) - mo);
            }
            else
            {
                merged.Add((o, n));
            }
        }
        return merged;
    }

    /// <summary>What of <paramref name="r"/> lies in none of <paramref name="others"/>.</summary>
    private static IEnumerable<(long Offset, long Length)> Subtract((long Offset, long Length) r, List<(long Offset, long Length)> others)
    {
        long at = r.Offset, end = r.Offset + r.Length;
        foreach ((long o, long n) in others.OrderBy(x => x.Offset))
        {
            if (o + n <= at || o >= end)
            {
                continue;
            }
            if (o > at)
            {
                yield return (at, o - at);
            }
            at = Math.Max(at, o + n);
        }
        if (end > at)
        {
            yield return (at, end - at);
        }
    }

    /// <summary>
    /// A recording as a cut leaves it, seen from the recording as it is before: the
    /// collapses and the truncation applied. Each byte left has one place before the cut
    /// (the byte at a join is the first one after the collapsed blocks), so a region of the
    /// cut recording maps to regions of the recording as it was without doubt.
    /// </summary>
    private sealed class CutView
    {
        /// <summary>What is kept: where it lands after the cut, where it was, how long.</summary>
        private readonly List<(long After, long Before, long Length)> _kept = [];

        internal CutView(long size, IReadOnlyList<BlockRemoval> removals)
        {
            long limit = removals.FirstOrDefault(r => r.ToEnd)?.Offset ?? size;
            Limit = limit;
            long before = 0, after = 0;
            foreach (BlockRemoval r in removals.Where(r => !r.ToEnd && r.Length > 0).OrderBy(r => r.Offset))
            {
                _kept.Add((after, before, r.Offset - before));
                after += r.Offset - before;
                before = r.Offset + r.Length;
            }
            _kept.Add((after, before, limit - before));
            SizeAfter = after + limit - before;
            Joins = [.. _kept.Skip(1).Select(k => k.After), .. limit < size ? new[] { SizeAfter } : []];
        }

        internal long SizeAfter { get; }

        /// <summary>Where the cut truncates the recording as it was (its size, if it does not).</summary>
        internal long Limit { get; }

        /// <summary>Where the cut recording has a join: each collapse, and its end if truncated.</summary>
        internal List<long> Joins { get; }

        /// <summary>The regions of the recording as it was that hold [offset, +length) of the cut one.</summary>
        internal IEnumerable<(long Offset, long Length)> Originals(long offset, long length)
        {
            foreach ((long after, long before, long n) in _kept)
            {
                long o = Math.Max(offset, after), e = Math.Min(offset + length, after + n);
                if (e > o)
                {
                    yield return (o - after + before, e - o);
                }
            }
        }

        /// <summary>[offset, +length) of the recording as the cut will leave it: the kept bytes
        /// read where they are now, then <paramref name="writes"/> laid over them in order.</summary>
        internal byte[] ReadAfter(SafeFileHandle file, long offset, long length, List<Patch> writes)
        {
            byte[] bytes = new byte[length];
            long at = offset;
            foreach ((long o, long n) in Originals(offset, length))
            {
                MediaReads.ReadAll(file, o, n).CopyTo(bytes, at - offset);
                at += n;
            }
            Overlay(bytes, offset, writes);
            return bytes;
        }
    }
}
