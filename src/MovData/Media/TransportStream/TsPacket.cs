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

    /// <summary>continuity_counter: counts a PID's packets that carry payload, modulo 16.</summary>
    internal static int ContinuityCounter(ReadOnlySpan<byte> p) => p[3] & 0x0F;

    /// <summary>Whether the packet carries payload (adaptation_field_control 01 or 11): only
    /// those advance the PID's continuity_counter.</summary>
    internal static bool HasPayload(ReadOnlySpan<byte> p) => (AdaptationFieldControl(p) & 1) != 0;

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

    /// <summary>
    /// A packet of <paramref name="pid"/> that carries only an adaptation field whose
    /// discontinuity_indicator is set (ISO/IEC 13818-1 2.4.3.5): the PID's continuity_counter
    /// may jump here, so a demuxer does not take the jump for lost packets (ffmpeg flags the
    /// PES it is assembling as corrupt otherwise). On the PCR PID it also says a new time base
    /// starts, as it does at a join. Such a packet does not advance the counter: it carries
    /// <paramref name="counter"/>, the value the PID's next packet with payload counts on from.
    /// </summary>
    internal static byte[] DiscontinuityPacket(int pid, int counter)
    {
        byte[] p = new byte[PacketSize];
        p.AsSpan().Fill(0xFF);
        p[0] = SyncByte;
        p[1] = (byte)(pid >> 8 & 0x1F);
        p[2] = (byte)pid;
        p[3] = (byte)(0x20 | (counter & 0x0F)); // adaptation field only
        p[4] = PacketSize - 5; // adaptation_field_length: the rest of the packet
        p[5] = 0x80; // discontinuity_indicator; no other flag, then stuffing
        return p;
    }

    /// <summary>One packet of <paramref name="pid"/> that starts and holds the whole of
    /// <paramref name="pes"/> (at most 183 bytes), adaptation-field stuffing in front of it;
    /// its continuity counter 0, to be set by the caller.</summary>
    internal static byte[] PesPacket(int pid, byte[] pes)
    {
        byte[] p = new byte[PacketSize];
        p.AsSpan().Fill(0xFF);
        p[0] = SyncByte;
        p[1] = (byte)(0x40 | (pid >> 8 & 0x1F)); // payload_unit_start
        p[2] = (byte)pid;
        p[3] = 0x30; // adaptation field and payload
        p[4] = (byte)(PacketSize - 5 - pes.Length);
        if (p[4] > 0)
        {
            p[5] = 0; // no flags, then stuffing
        }
        pes.CopyTo(p, PacketSize - pes.Length);
        return p;
    }

    /// <summary>A copy of <paramref name="packet"/> (188 bytes from its sync byte) with its
    /// continuity_counter set to <paramref name="counter"/>.</summary>
    internal static byte[] WithContinuityCounter(ReadOnlySpan<byte> packet, int counter)
    {
        byte[] p = packet.ToArray();
        p[3] = (byte)(p[3] & 0xF0 | (counter & 0x0F));
        return p;
    }

    /// <summary>The 33-bit timestamp of a PES header field at <paramref name="at"/> (5 bytes, marker bits between).</summary>
    internal static long Timestamp(ReadOnlySpan<byte> b, int at) =>
        ((long)(b[at] >> 1 & 0x07) << 30) | ((long)BinaryPrimitives.ReadUInt16BigEndian(b[(at + 1)..]) >> 1 << 15) | ((long)BinaryPrimitives.ReadUInt16BigEndian(b[(at + 3)..]) >> 1);
}
