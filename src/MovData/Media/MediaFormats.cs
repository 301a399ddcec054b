using Microsoft.Win32.SafeHandles;
using MovData.Media.IsoBmff;
using MovData.Media.TransportStream;

namespace MovData.Media;

/// <summary>
/// The formats <see cref="MediaFile"/> can open, tried in order on the head of a file; and
/// the containers known by their head that no format here reads yet, which a refusal names.
/// A new format is one more entry in <see cref="All"/> (and, if it was known, one less
/// there).
/// </summary>
internal static class MediaFormats
{
    /// <summary>How much of a file's head a format is recognised from.</summary>
    internal const int HeadBytes = 64 * 1024;

    internal static readonly IReadOnlyList<IContainerFormat> All = [TransportStreamFormat.Instance, IsoBmffFormat.Instance];

    /// <summary>Recognises the file's format from its head and opens it as a timeline.</summary>
    /// <exception cref="InvalidDataException">No format recognises it (the message says what
    /// each looked for, and what the file seems to be), or its format finds it damaged.</exception>
    internal static (IContainerFormat Format, IMediaTimeline Timeline) Open(SafeFileHandle file, CancellationToken cancel)
    {
        long size = RandomAccess.GetLength(file);
        byte[] buffer = new byte[(int)Math.Min(size, HeadBytes)];
        ReadOnlySpan<byte> head = buffer.AsSpan(0, MediaReads.Read(file, buffer, 0));
        IContainerFormat format = Recognise(head);
        return (format, format.Open(file, head, cancel));
    }

    /// <exception cref="InvalidDataException">No format recognises <paramref name="head"/>.</exception>
    internal static IContainerFormat Recognise(ReadOnlySpan<byte> head)
    {
        var whyNot = new List<string>();
        foreach (IContainerFormat format in All)
        {
            if (format.Recognise(head, out string why))
            {
                return format;
            }
            whyNot.Add(why);
        }
        string found = head.IsEmpty ? "the file is empty" : $"{string.Join("; ", whyNot)} (it begins {Begins(head)})";
        throw new InvalidDataException($"not an {Names()} recording: {found}");
    }

    /// <summary>
    /// Refuses a file of removed parts (which is of the recording's <paramref name="format"/>)
    /// whose name says another format: an MP4's parts in "ads.ts" would be an MP4 that a DVR
    /// library or a player choosing by name takes for a transport stream. A name no format
    /// claims (none, ".bin") is the caller's choice.
    /// </summary>
    /// <exception cref="ArgumentException">The name ends as another format's files do.</exception>
    internal static void CheckSavedName(IContainerFormat format, string savedPath, string recordingPath)
    {
        string ending = Path.GetExtension(savedPath).ToLowerInvariant();
        if (!format.Extensions.Contains(ending) && All.FirstOrDefault(f => f.Extensions.Contains(ending)) is { } other)
        {
            // The recording's own ending first (.m4a for an .m4a), then the format's usual ones.
            string recording = Path.GetExtension(recordingPath).ToLowerInvariant();
            string[] own = [.. format.Extensions.Where(e => e == recording).Concat(format.Extensions.Where(e => e != recording)).Take(3)];
            throw new ArgumentException($"the removed parts of an {format.Name} recording are an {format.Name} file, and {Path.GetFileName(savedPath)} is named as an {other.Name} one: name it {string.Join(", ", own[..^1])} or {own[^1]}");
        }
    }

    /// <summary>"MPEG-TS, M2TS, MP4 or MOV": every name of every format, as one list.</summary>
    private static string Names()
    {
        string[] names = [.. All.SelectMany(f => f.Name.Split(" or "))];
        return names.Length == 1 ? names[0] : $"{string.Join(", ", names[..^1])} or {names[^1]}";
    }

    /// <summary>The first bytes in hex, and what they are where a known container begins so.</summary>
    private static string Begins(ReadOnlySpan<byte> head)
    {
        string hex = Convert.ToHexString(head[..Math.Min(8, head.Length)]).ToLowerInvariant();
        return KnownButNotRead(head) is { } kind ? $"{hex}: {kind}" : hex;
    }

    /// <summary>Containers recognised by their head that no format here reads (yet).</summary>
    private static string? KnownButNotRead(ReadOnlySpan<byte> head) => head switch
    {
        [0x1A, 0x45, 0xDF, 0xA3, ..] => "Matroska or WebM",
        [(byte)'R', (byte)'I', (byte)'F', (byte)'F', ..] => "RIFF (AVI or WAV)",
        [0x00, 0x00, 0x01, 0xBA, ..] => "an MPEG program stream (VOB, .mpg)",
        [(byte)'F', (byte)'L', (byte)'V', ..] => "FLV",
        [(byte)'O', (byte)'g', (byte)'g', (byte)'S', ..] => "Ogg",
        _ => null,
    };
}
