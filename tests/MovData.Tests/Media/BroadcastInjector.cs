using System.Buffers.Binary;
using System.Text;

namespace MovData.Tests.Media;

/// <summary>
/// Makes an ffmpeg recording look like what a DVB receiver records: besides ffmpeg's video
/// and audio (and its PAT, PMT and SDT), packets on PIDs the PMT lists (SCTE-35 splice
/// sections, teletext, DVB subtitles, a private PES stream) and on one it does not (EIT, PID
/// 0x12), interleaved one every <see cref="Every"/> of ffmpeg's packets. The PMT is rewritten
/// to list the new streams. Sections run back to back, several packets each, so a cut almost
/// anywhere splits one whose first packet also ends the one before; each PES is several
/// packets long, so a cut splits those too. ffmpeg cannot make teletext or DVB subtitles from
/// a lavfi source (it has no teletext encoder, and its DVB subtitle encoder needs bitmaps), so
/// they are made here, as broadcasters' muxers lay them out.
/// </summary>
public static class BroadcastInjector
{
    public const int Scte35Pid = 0x200;
    public const int TeletextPid = 0x201;
    public const int SubtitlePid = 0x202;
    public const int PrivatePid = 0x203;
    public const int EitPid = 0x12;

    /// <summary>One injected packet after every this many of ffmpeg's.</summary>
    private const int Every = 6;

    /// <summary>Rewrites the MPEG-TS file at <paramref name="path"/> with the extra streams.</summary>
    public static void Inject(string path)
    {
        byte[] ts = File.ReadAllBytes(path);
        Assert.True(ts.Length % 188 == 0 && ts[0] == 0x47, $"{path} is not 188-byte MPEG-TS from its first byte");
        int pmtPid = PmtPid(ts);
        byte[]? newPmt = null;
        long pts = -1;
        int firstPid = -1; // the PMT's first stream, whose PTS the injected PES carry
        Injected[] extra =
        [
            new SectionStream(Scte35Pid, Scte35),
            new PesStream(TeletextPid, Teletext),
            new SectionStream(EitPid, Eit),
            new PesStream(SubtitlePid, Subtitle),
            new PesStream(PrivatePid, PrivateData),
        ];
        using var output = new MemoryStream(ts.Length + ts.Length / Every * 188 + 188);
        for (int i = 0, n = 0; i < ts.Length; i += 188)
        {
            byte[] packet = ts[i..(i + 188)];
            int pid = ((packet[1] & 0x1F) << 8) | packet[2];
            bool start = (packet[1] & 0x40) != 0;
            if (pid == pmtPid && start)
            {
                newPmt ??= ExtendPmt(packet, out firstPid);
                packet = [.. packet[..4], .. newPmt]; // ffmpeg's PMT packet, payload only: keep its header and CC
            }
            else if (pid == firstPid && start && PesPts(packet) is { } p)
            {
                pts = p;
            }
            output.Write(packet);
            if (++n % Every == 0 && pts >= 0)
            {
                output.Write(extra[n / Every % extra.Length].Next(pts));
            }
        }
        Assert.NotNull(newPmt);
        File.WriteAllBytes(path, output.ToArray());
    }

    /// <summary>The PMT's PID, from the first PAT (one program).</summary>
    private static int PmtPid(byte[] ts)
    {
        for (int i = 0; i < ts.Length; i += 188)
        {
            if (((ts[i + 1] & 0x1F) << 8 | ts[i + 2]) == 0 && (ts[i + 1] & 0x40) != 0)
            {
                int at = i + 4 + 1 + ts[i + 4]; // payload only in ffmpeg's PAT
                return ((ts[at + 10] & 0x1F) << 8) | ts[at + 11];
            }
        }
        throw new InvalidDataException("no PAT");
    }

    /// <summary>ffmpeg's PMT payload (one packet) with a CUEI registration for the program
    /// (which ffmpeg wants before it reads stream type 0x86 as SCTE-35) and the new streams
    /// listed after its own, 0xFF-filled to the end of the packet.</summary>
    private static byte[] ExtendPmt(byte[] packet, out int firstPid)
    {
        Assert.Equal(0x10, packet[3] & 0x30); // payload only
        int at = 4 + 1 + packet[4];
        int length = ((packet[at + 1] & 0x0F) << 8) | packet[at + 2];
        byte[] section = packet[at..(at + 3 + length)];
        int infoLength = ((section[10] & 0x0F) << 8) | section[11];
        byte[] fixedPart = section[3..10]; // program_number .. PCR_PID
        byte[] info = [.. section[12..(12 + infoLength)], 0x05, 4, .. "CUEI"u8];
        byte[] streams = section[(12 + infoLength)..^4];
        firstPid = ((streams[1] & 0x1F) << 8) | streams[2];
        byte[] more =
        [
            .. Entry(0x86, Scte35Pid, [0x05, 4, .. "CUEI"u8]),
            .. Entry(0x06, TeletextPid, [0x56, 5, .. "eng"u8, 0x09, 0x00]), // teletext descriptor: initial page 100 of magazine 1
            .. Entry(0x06, SubtitlePid, [0x59, 8, .. "eng"u8, 0x10, 0x00, 0x01, 0x00, 0x01]), // subtitling descriptor: page 1
            .. Entry(0x06, PrivatePid, []),
        ];
        byte[] body = [.. fixedPart, (byte)(0xF0 | info.Length >> 8), (byte)info.Length, .. info, .. streams, .. more];
        byte[] table = WithCrc([section[0], (byte)(0xB0 | (body.Length + 4) >> 8), (byte)(body.Length + 4), .. body]);
        byte[] payload = new byte[184];
        payload.AsSpan().Fill(0xFF);
        payload[0] = 0;
        Assert.True(table.Length <= 183, "the PMT outgrew its packet");
        table.CopyTo(payload, 1);
        return payload;

        static byte[] Entry(int type, int pid, byte[] descriptors) =>
            [(byte)type, (byte)(0xE0 | pid >> 8), (byte)pid, (byte)(0xF0 | descriptors.Length >> 8), (byte)descriptors.Length, .. descriptors];
    }

    /// <summary>A section with its CRC_32 (MPEG-2: polynomial 0x04C11DB7, no reflection) appended.</summary>
    public static byte[] WithCrc(byte[] section)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in section)
        {
            crc ^= (uint)b << 24;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 0x80000000) != 0 ? crc << 1 ^ 0x04C11DB7 : crc << 1;
            }
        }
        byte[] all = new byte[section.Length + 4];
        section.CopyTo(all, 0);
        BinaryPrimitives.WriteUInt32BigEndian(all.AsSpan(section.Length), crc);
        return all;
    }

    private static long? PesPts(byte[] packet)
    {
        int at = (packet[3] & 0x20) != 0 ? 5 + packet[4] : 4;
        if (at + 14 > 188 || packet[at] != 0 || packet[at + 1] != 0 || packet[at + 2] != 1 || (packet[at + 7] & 0x80) == 0)
        {
            return null;
        }
        ReadOnlySpan<byte> b = packet.AsSpan(at + 9);
        return ((long)(b[0] >> 1 & 7) << 30) | ((long)(b[1] << 7 | b[2] >> 1) << 15) | (long)(b[3] << 7 | b[4] >> 1);
    }

    private static byte[] PtsField(long pts, int prefix) =>
    [
        (byte)(prefix << 4 | (int)(pts >> 29 & 0x0E) | 1),
        (byte)(pts >> 22), (byte)((pts >> 14 & 0xFE) | 1),
        (byte)(pts >> 7), (byte)((pts << 1 & 0xFE) | 1),
    ];

    /// <summary>A PES of private_stream_1 (0xBD) with a PTS, its header padded with
    /// <paramref name="headerStuffing"/> bytes.</summary>
    private static byte[] Pes(long pts, byte[] data, int headerStuffing = 0)
    {
        int headerData = 5 + headerStuffing;
        int length = 3 + headerData + data.Length;
        byte[] stuffing = new byte[headerStuffing];
        stuffing.AsSpan().Fill(0xFF);
        return [0, 0, 1, 0xBD, (byte)(length >> 8), (byte)length, 0x84, 0x80, (byte)headerData, .. PtsField(pts, 2), .. stuffing, .. data];
    }

    /// <summary>A splice_info_section (SCTE 35) of a splice_null command with
    /// 20 to 52 avail descriptors: 222 to 542 bytes, so each spans two to four packets.</summary>
    private static byte[] Scte35(int n, long pts)
    {
        var descriptors = new List<byte>();
        for (int i = 0; i < n % 5 * 8 + 20; i++)
        {
            descriptors.AddRange([0x00, 8, .. "CUEI"u8, (byte)(n >> 8), (byte)n, (byte)i, 0x5A]); // avail_descriptor
        }
        byte[] body =
        [
            0x00, // protocol_version
            0x00, 0, 0, 0, 0, // encrypted_packet 0, encryption_algorithm 0, pts_adjustment 0
            0x00, // cw_index
            0xFF, 0xF0, 0x00, // tier 0xFFF, splice_command_length 0
            0x00, // splice_null
            (byte)(descriptors.Count >> 8), (byte)descriptors.Count, .. descriptors,
        ];
        return WithCrc([0xFC, (byte)(0x30 | (body.Length + 4) >> 8), (byte)(body.Length + 4), .. body]);
    }

    /// <summary>An EIT present/following section (table 0x4E) of one event with a short
    /// event descriptor whose text makes the section 190 to 280 bytes.</summary>
    private static byte[] Eit(int n, long pts)
    {
        byte[] text = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat($"Programme {n}: news, weather and sport. ", 7 + n % 3)));
        text = text[..Math.Min(text.Length, 140 + n % 7 * 15)]; // a descriptor holds at most 255 bytes
        byte[] name = Encoding.ASCII.GetBytes($"Event {n}");
        byte[] shortEvent = [0x4D, (byte)(3 + 1 + name.Length + 1 + text.Length), .. "eng"u8, (byte)name.Length, .. name, (byte)text.Length, .. text];
        byte[] ev = [(byte)(n >> 8), (byte)n, 0xE7, 0x4C, 0x12, 0x00, 0x00, 0x00, 0x30, 0x00, (byte)(0x80 | shortEvent.Length >> 8), (byte)shortEvent.Length, .. shortEvent];
        byte[] body = [0x00, 0x01, (byte)(0xC1 | (n % 32) << 1), (byte)(n % 2), 0x01, 0x00, 0x01, 0x00, 0x01, 0x01, 0x4E, .. ev];
        return WithCrc([0x4E, (byte)(0xF0 | (body.Length + 4) >> 8), (byte)(body.Length + 4), .. body]);
    }

    /// <summary>A teletext PES as EN 300 472 lays it out: a 45-byte header, data_identifier
    /// 0x10, seven 46-byte EBU teletext data units; 368 bytes, two packets exactly.</summary>
    private static byte[] Teletext(int n, long pts)
    {
        var data = new List<byte> { 0x10 };
        for (int u = 0; u < 7; u++)
        {
            byte[] line = Encoding.ASCII.GetBytes($"MovData teletext {n:D6} line {u} .........").AsSpan(0, 40).ToArray();
            data.AddRange([0x02, 0x2C, (byte)(0xE0 | (7 + u)), 0xE4, 0x15, 0x15, .. line.Select(c => (byte)(c | 0x80))]);
        }
        byte[] pes = Pes(pts, [.. data], headerStuffing: 0x24 - 5);
        Assert.Equal(368, pes.Length);
        return pes;
    }

    /// <summary>A DVB subtitle PES (EN 300 743): page composition, a private segment that
    /// makes it two to four packets long, end of display set.</summary>
    private static byte[] Subtitle(int n, long pts)
    {
        int fill = 300 + n % 4 * 100;
        byte[] segments =
        [
            0x20, 0x00, // data_identifier, subtitle_stream_id
            0x0F, 0x10, 0x00, 0x01, 0x00, 0x02, 0x05, (byte)((n % 16) << 4 | 0x0B), // page composition: time-out 5 s, mode change, no regions
            0x0F, 0x81, 0x00, 0x01, (byte)(fill >> 8), (byte)fill, .. Enumerable.Range(0, fill).Select(i => (byte)(i * 7 + n)),
            0x0F, 0x80, 0x00, 0x01, 0x00, 0x00, // end of display set
            0xFF,
        ];
        return Pes(pts, segments);
    }

    /// <summary>A PES of private data a broadcaster's own equipment reads: 500 to 700 bytes.</summary>
    private static byte[] PrivateData(int n, long pts) =>
        Pes(pts, [.. Enumerable.Range(0, 500 + n % 3 * 100).Select(i => (byte)(0x30 + (i + n) % 64))]);

    /// <summary>One injected PID: hands out its next packet on demand, numbering its units and
    /// counting its continuity counter.</summary>
    private abstract class Injected(int pid)
    {
        private int _cc;

        protected int Count { get; set; }

        internal abstract byte[] Next(long pts);

        /// <summary>A packet of this PID: payload only, or with an adaptation field of stuffing
        /// so that a shorter payload ends the packet.</summary>
        protected byte[] Packet(bool start, ReadOnlySpan<byte> payload)
        {
            byte[] p = new byte[188];
            p[0] = 0x47;
            p[1] = (byte)((start ? 0x40 : 0) | pid >> 8);
            p[2] = (byte)pid;
            int at = 4;
            if (payload.Length < 184)
            {
                p[3] = (byte)(0x30 | _cc);
                p[4] = (byte)(183 - payload.Length);
                if (p[4] > 0)
                {
                    p[5] = 0x00;
                    p.AsSpan(6, p[4] - 1).Fill(0xFF);
                }
                at = 5 + p[4];
            }
            else
            {
                p[3] = (byte)(0x10 | _cc);
            }
            payload.CopyTo(p.AsSpan(at));
            _cc = (_cc + 1) & 0x0F;
            return p;
        }
    }

    /// <summary>PES one after another, each starting a packet, its last packet stuffed.</summary>
    private sealed class PesStream(int pid, Func<int, long, byte[]> make) : Injected(pid)
    {
        private byte[] _pes = [];
        private int _at;

        internal override byte[] Next(long pts)
        {
            if (_at >= _pes.Length)
            {
                _pes = make(Count++, pts);
                _at = 0;
            }
            int n = Math.Min(184, _pes.Length - _at);
            byte[] p = Packet(_at == 0, _pes.AsSpan(_at, n));
            _at += n;
            return p;
        }
    }

    /// <summary>Sections back to back, as a table's PID carries them: a packet in which a
    /// section starts has payload_unit_start and a pointer_field to it; the bytes before it
    /// end the section before.</summary>
    private sealed class SectionStream(int pid, Func<int, long, byte[]> make) : Injected(pid)
    {
        private readonly List<byte> _pending = [];
        private readonly List<int> _starts = [];

        internal override byte[] Next(long pts)
        {
            while (_pending.Count < 2 * 184)
            {
                _starts.Add(_pending.Count);
                _pending.AddRange(make(Count++, pts));
            }
            int first = _starts.Count > 0 ? _starts[0] : int.MaxValue; // none: the packet continues a long section
            byte[] payload;
            bool start = first <= 182; // the pointer_field, the bytes before, and at least the table_id
            if (start)
            {
                payload = [(byte)first, .. _pending.GetRange(0, 183)];
            }
            else
            {
                // The next section starts just past this packet (or at its last byte, which then
                // carries one byte less): it opens the next packet, pointer_field 0.
                payload = [.. _pending.GetRange(0, Math.Min(first, 184))];
            }
            int used = start ? 183 : payload.Length;
            _pending.RemoveRange(0, used);
            for (int i = 0; i < _starts.Count; i++)
            {
                _starts[i] -= used;
            }
            _starts.RemoveAll(s => s < 0);
            return Packet(start, payload);
        }
    }
}
