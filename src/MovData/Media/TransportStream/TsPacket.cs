using System.Buffers.Binary;

namespace MovData.Media.TransportStream;

/// <summary>
/// The fields of one 188-byte transport-stream packet (ISO/IEC 13818-1 2.4.3), read from a
/// span that starts at its sync byte. An M2TS packet is the same 188 bytes behind a 4-byte
/// TP_extra_header; callers pass the span after it.
/// </summary>
internal static class TsPacket
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

    /// <summary>Whether a packet with payload_unit_start begins a PES (its payload opens with
    /// the 00 00 01 start code prefix) rather than PSI sections (its payload opens with a
    /// pointer_field: PAT, PMT, SDT, EIT, SCTE-35 and other tables).</summary>
    internal static bool StartsPes(ReadOnlySpan<byte> p)
    {
        ReadOnlySpan<byte> payload = Payload(p);
        return payload.Length >= 3 && payload[0] == 0 && payload[1] == 0 && payload[2] == 1;
    }

    /// <summary>
    /// In a packet with payload_unit_start on a PID of sections, where within
    /// <see cref="Payload"/> the section starts that is still in progress at the end of the
    /// packet (it goes on in the PID's next packets), or -1 if every section begun here ends
    /// here. The pointer_field says where the first section begins (bytes before it end the
    /// previous one); each next one follows the last unless 0xFF stuffing fills the rest.
    /// </summary>
    internal static int UnfinishedSection(ReadOnlySpan<byte> p)
    {
        ReadOnlySpan<byte> payload = Payload(p);
        if (payload.IsEmpty)
        {
            return -1;
        }
        int at = 1 + payload[0];
        while (at < payload.Length && payload[at] != 0xFF)
        {
            if (at + 3 > payload.Length)
            {
                return at; // even its length runs on into the next packet
            }
            int length = 3 + (((payload[at + 1] & 0x0F) << 8) | payload[at + 2]);
            if (at + length > payload.Length)
            {
                return at;
            }
            at += length;
        }
        return -1;
    }

    /// <summary>Whether a packet with payload_unit_start on a PID of sections first ends a
    /// section begun in an earlier packet (its pointer_field is not 0).</summary>
    internal static bool EndsEarlierSection(ReadOnlySpan<byte> p)
    {
        ReadOnlySpan<byte> payload = Payload(p);
        return !payload.IsEmpty && payload[0] != 0;
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
