using System.Buffers.Binary;

namespace MovData.Media;

/// <summary>
/// The fields of one 188-byte transport-stream packet (ISO/IEC 13818-1 2.4.3), read from a
/// span that starts at its sync byte. An M2TS packet is the same 188 bytes behind a 4-byte
/// TP_extra_header; callers pass the span after it.
/// </summary>
internal static class TransportStream
{
    internal const int PacketSize = 188;
    internal const byte SyncByte = 0x47;
    internal const int NullPid = 0x1FFF;
    internal const int PatPid = 0;

    internal static int Pid(ReadOnlySpan<byte> p) => ((p[1] & 0x1F) << 8) | p[2];

    internal static bool PayloadUnitStart(ReadOnlySpan<byte> p) => (p[1] & 0x40) != 0;

    private static int AdaptationFieldControl(ReadOnlySpan<byte> p) => (p[3] >> 4) & 3;

    private static bool HasAdaptationField(ReadOnlySpan<byte> p) => (AdaptationFieldControl(p) & 2) != 0 && p[4] > 0;

    /// <summary>random_access_indicator: the muxer says a decoder can start here.</summary>
    internal static bool RandomAccess(ReadOnlySpan<byte> p) => HasAdaptationField(p) && (p[5] & 0x40) != 0;

    /// <summary>The payload, or empty if the packet has none (or a malformed adaptation field).</summary>
    internal static ReadOnlySpan<byte> Payload(ReadOnlySpan<byte> p)
    {
        int afc = AdaptationFieldControl(p);
        if ((afc & 1) == 0)
        {
            return [];
        }
        int start = (afc & 2) != 0 ? 5 + p[4] : 4;
        return start >= PacketSize ? [] : p[start..PacketSize];
    }

    /// <summary>Where the payload starts within the packet (188 if it has none).</summary>
    internal static int PayloadStart(ReadOnlySpan<byte> p) => PacketSize - Payload(p).Length;

    /// <summary>One null packet (PID 0x1FFF, payload only, 0xFF filled): every demuxer drops it.</summary>
    internal static byte[] NullPacket()
    {
        byte[] p = new byte[PacketSize];
        p.AsSpan().Fill(0xFF);
        p[0] = SyncByte;
        p[1] = NullPid >> 8;
        p[2] = NullPid & 0xFF;
        p[3] = 0x10; // payload only, continuity counter 0 (undefined for null packets)
        return p;
    }

    /// <summary>The 33-bit timestamp of a PES header field at <paramref name="at"/> (5 bytes, marker bits between).</summary>
    internal static long Timestamp(ReadOnlySpan<byte> b, int at) =>
        ((long)(b[at] >> 1 & 0x07) << 30) | ((long)BinaryPrimitives.ReadUInt16BigEndian(b[(at + 1)..]) >> 1 << 15) | ((long)BinaryPrimitives.ReadUInt16BigEndian(b[(at + 3)..]) >> 1);
}

/// <summary>The two containers a cut understands.</summary>
public enum RecordingFormat
{
    /// <summary>MPEG transport stream: 188-byte packets (broadcast, DVB, ATSC, IPTV recordings).</summary>
    MpegTs,

    /// <summary>BDAV MPEG-2 transport stream (Blu-ray, AVCHD): each packet behind a 4-byte
    /// TP_extra_header carrying a copy-permission field and an arrival timestamp, 192 bytes.</summary>
    M2ts,
}

/// <summary>
/// Where a file's packets are: their size, and the offset of the first whole one (a file may
/// begin mid-packet). Found from the sync bytes, never from the name.
/// </summary>
internal sealed record PacketGrid(RecordingFormat Format, int Size, long Start)
{
    /// <summary>Bytes before the 188-byte TS packet inside each packet (the M2TS header).</summary>
    internal int Header => Size - TransportStream.PacketSize;

    /// <summary>The packet holding <paramref name="offset"/>'s start, on the grid.</summary>
    internal long Floor(long offset) => offset <= Start ? Start : Start + (offset - Start) / Size * Size;

    /// <summary>The first packet start at or after <paramref name="offset"/>.</summary>
    internal long Ceiling(long offset) => offset <= Start ? Start : Start + (offset - Start + Size - 1) / Size * Size;

    /// <summary>How many packets must line up before a grid is believed.</summary>
    private const int Confirm = 16;

    /// <summary>How much of the file's head is searched for the grid.</summary>
    internal const int SearchBytes = 64 * 1024;

    /// <summary>
    /// Finds the grid in <paramref name="head"/> (the file's first bytes): the packet size and
    /// first offset at which the sync byte repeats for <see cref="Confirm"/> packets, or for
    /// every whole packet of a shorter file (at least two). Null if there is none.
    /// </summary>
    internal static PacketGrid? Find(ReadOnlySpan<byte> head)
    {
        foreach ((RecordingFormat format, int size) in new[] { (RecordingFormat.MpegTs, 188), (RecordingFormat.M2ts, 192) })
        {
            int header = size - TransportStream.PacketSize;
            for (int start = 0; start < size && start + header < head.Length; start++)
            {
                int whole = (head.Length - start) / size;
                int need = Math.Min(Confirm, whole);
                if (need < 2)
                {
                    break;
                }
                bool lined = true;
                for (int k = 0; k < need && lined; k++)
                {
                    lined = head[start + header + k * size] == TransportStream.SyncByte;
                }
                if (lined)
                {
                    return new PacketGrid(format, size, start);
                }
            }
        }
        return null;
    }

    /// <summary>What a file that is not a transport stream seems to be, from its first bytes.</summary>
    internal static string Describe(ReadOnlySpan<byte> head)
    {
        if (head.IsEmpty)
        {
            return "the file is empty";
        }
        string hex = Convert.ToHexString(head[..Math.Min(8, head.Length)]).ToLowerInvariant();
        string? kind = head switch
        {
            [0x1A, 0x45, 0xDF, 0xA3, ..] => "Matroska or WebM",
            [_, _, _, _, (byte)'f', (byte)'t', (byte)'y', (byte)'p', ..] => "MP4 or QuickTime",
            [(byte)'R', (byte)'I', (byte)'F', (byte)'F', ..] => "RIFF (AVI or WAV)",
            [0x00, 0x00, 0x01, 0xBA, ..] => "an MPEG program stream (VOB, .mpg)",
            [(byte)'F', (byte)'L', (byte)'V', ..] => "FLV",
            [(byte)'O', (byte)'g', (byte)'g', (byte)'S', ..] => "Ogg",
            _ => null,
        };
        return $"no 0x47 sync byte repeats every 188 or 192 bytes in its first {Math.Min(head.Length, SearchBytes)} bytes (it begins {hex}{(kind is null ? "" : $": {kind}")})";
    }
}
