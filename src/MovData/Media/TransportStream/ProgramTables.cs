using Microsoft.Win32.SafeHandles;
using MovData.Media.Codecs;

namespace MovData.Media.TransportStream;

/// <summary>
/// The program tables near the head of a recording: the PAT (PID 0) and each program's PMT,
/// parsed into programs and streams, and the raw packets of the PAT and of the PMT of the
/// program cuts are made in, which a cut puts in front of content that lost its own.
/// </summary>
internal sealed class ProgramTables
{
    /// <summary>How far from the first packet the tables are looked for (they repeat every
    /// ~100 ms, so this is seconds of even a high-rate recording).</summary>
    internal const long SearchBytes = 16L << 20;

    private ProgramTables(IReadOnlyList<MediaProgram> programs, MediaTrack? video, MediaTrack? cutStream, byte[][] tablePackets)
    {
        Programs = programs;
        Video = video;
        CutStream = cutStream;
        TablePackets = tablePackets;
    }

    internal IReadOnlyList<MediaProgram> Programs { get; }

    /// <summary>The first video stream of the first program that has one.</summary>
    internal MediaTrack? Video { get; }

    /// <summary>The stream whose access units make the timeline and are cut on: the
    /// <see cref="Video"/> stream, or in a radio recording (no video) the first audio stream
    /// of the first program that has one; null if there is neither.</summary>
    internal MediaTrack? CutStream { get; }

    /// <summary>The PAT's and the cut stream's program's PMT's packets (188 bytes each), in that order.</summary>
    internal byte[][] TablePackets { get; }

    /// <summary>The PIDs of every elementary stream the PMTs list.</summary>
    internal HashSet<int> ElementaryPids() => [.. Programs.SelectMany(p => p.Streams).Select(s => s.Pid)];

    internal static ProgramTables Read(SafeFileHandle file, PacketGrid grid, long size, CancellationToken cancel)
    {
        var scanner = new PacketScanner(file, grid, grid.Start, Math.Min(size, grid.Start + SearchBytes), packetsPerRead: 1024, cancel: cancel);
        Section? pat = null;
        Dictionary<int, Section> pmts = [];
        Dictionary<int, int>? pmtPids = null; // PMT PID -> program number
        while (scanner.Next())
        {
            ReadOnlySpan<byte> p = scanner.Packet;
            int pid = TsPacket.Pid(p);
            if (pid == TsPacket.PatPid && pmtPids is null)
            {
                pat ??= new Section(0x00);
                if (pat.Add(p) && pat.Bytes is { } table)
                {
                    pmtPids = ParsePat(table);
                }
            }
            else if (pmtPids is not null && pmtPids.ContainsKey(pid))
            {
                Section s = pmts.TryGetValue(pid, out Section? found) ? found : pmts[pid] = new Section(0x02);
                s.Add(p);
                if (pmtPids.Keys.All(k => pmts.TryGetValue(k, out Section? t) && t.Bytes is not null))
                {
                    break;
                }
            }
        }
        if (pat?.Bytes is null || pmtPids is null)
        {
            throw new InvalidDataException($"no program association table (PAT) in the first {SearchBytes >> 20} MiB of packets: not a playable transport stream");
        }
        var programs = new List<MediaProgram>();
        foreach ((int pmtPid, int number) in pmtPids.OrderBy(kv => kv.Value))
        {
            if (pmts.TryGetValue(pmtPid, out Section? s) && s.Bytes is { } pmt)
            {
                programs.Add(new MediaProgram(number, pmtPid, ParsePmt(pmt)));
            }
        }
        if (programs.Count == 0)
        {
            throw new InvalidDataException($"the PAT names programs, but no program map table (PMT) of theirs is in the first {SearchBytes >> 20} MiB of packets");
        }
        MediaTrack? video = First(MediaStreamKind.Video);
        MediaTrack? cutStream = video ?? First(MediaStreamKind.Audio);
        MediaProgram? cutProgram = programs.FirstOrDefault(p => p.Streams.Contains(cutStream));
        byte[][] packets = cutProgram is null ? [.. pat.Packets] : [.. pat.Packets, .. pmts[cutProgram.PmtPid].Packets];
        return new ProgramTables(programs, video, cutStream, packets);

        MediaTrack? First(MediaStreamKind kind) => programs.SelectMany(p => p.Streams).FirstOrDefault(s => s.Kind == kind);
    }

    private static Dictionary<int, int> ParsePat(ReadOnlySpan<byte> t)
    {
        CheckLength(t, 12, "PAT");
        var map = new Dictionary<int, int>();
        int end = 3 + SectionLength(t) - 4; // before the CRC
        for (int i = 8; i + 4 <= end; i += 4)
        {
            int number = (t[i] << 8) | t[i + 1];
            int pid = ((t[i + 2] & 0x1F) << 8) | t[i + 3];
            if (number != 0) // 0 names the network information table
            {
                map[pid] = number;
            }
        }
        return map;
    }

    private static List<MediaTrack> ParsePmt(ReadOnlySpan<byte> t)
    {
        CheckLength(t, 16, "PMT");
        var streams = new List<MediaTrack>();
        int end = 3 + SectionLength(t) - 4;
        int i = 12 + (((t[10] & 0x0F) << 8) | t[11]);
        while (i + 5 <= end)
        {
            int type = t[i];
            int pid = ((t[i + 1] & 0x1F) << 8) | t[i + 2];
            int infoLength = ((t[i + 3] & 0x0F) << 8) | t[i + 4];
            ReadOnlySpan<byte> descriptors = t.Slice(i + 5, Math.Max(0, Math.Min(infoLength, end - i - 5)));
            (string codec, MediaStreamKind kind) = Codec(type, descriptors);
            streams.Add(new MediaTrack(pid, type, codec, kind));
            i += 5 + infoLength;
        }
        return streams;
    }

    /// <summary>A stream type's codec, as ffprobe names it; private data (0x06) by its DVB descriptor.</summary>
    private static (string Codec, MediaStreamKind Kind) Codec(int type, ReadOnlySpan<byte> descriptors)
    {
        switch (type)
        {
            case 0x01: return ("mpeg1video", MediaStreamKind.Video);
            case 0x02: return ("mpeg2video", MediaStreamKind.Video);
            case 0x1B: return ("h264", MediaStreamKind.Video);
            case 0x24: return ("hevc", MediaStreamKind.Video);
            case 0x03:
            case 0x04: return ("mp2", MediaStreamKind.Audio);
            case 0x0F: return ("aac", MediaStreamKind.Audio);
            case 0x11: return ("aac_latm", MediaStreamKind.Audio);
            case 0x81: return ("ac3", MediaStreamKind.Audio);
            case 0x87: return ("eac3", MediaStreamKind.Audio);
        }
        for (int i = 0; type == 0x06 && i + 2 <= descriptors.Length; i += 2 + descriptors[i + 1])
        {
            switch (descriptors[i])
            {
                case 0x6A: return ("ac3", MediaStreamKind.Audio);
                case 0x7A: return ("eac3", MediaStreamKind.Audio);
                case 0x59: return ("dvb_subtitle", MediaStreamKind.Other);
                case 0x56: return ("dvb_teletext", MediaStreamKind.Other);
            }
        }
        return ($"stream type 0x{type:x2}", MediaStreamKind.Other);
    }

    /// <summary>The codec whose pictures <see cref="VideoCodec"/> judges, by a video stream's type.</summary>
    internal static VideoCodecKind VideoCodecOf(int streamType) => streamType switch
    {
        0x01 or 0x02 => VideoCodecKind.Mpeg2,
        0x1B => VideoCodecKind.H264,
        0x24 => VideoCodecKind.Hevc,
        _ => VideoCodecKind.Other,
    };

    /// <summary>The codec whose frames <see cref="AudioCodec"/> finds, by an audio stream's codec name.</summary>
    internal static AudioCodecKind AudioCodecOf(MediaTrack audio) => audio.Codec switch
    {
        "mp2" => AudioCodecKind.MpegAudio,
        "aac" => AudioCodecKind.Adts,
        "aac_latm" => AudioCodecKind.Latm,
        "ac3" or "eac3" => AudioCodecKind.Ac3,
        _ => AudioCodecKind.Other,
    };

    private static int SectionLength(ReadOnlySpan<byte> t) => ((t[1] & 0x0F) << 8) | t[2];

    /// <summary>A section too short for its fixed fields, or longer than what carried it, is damaged.</summary>
    private static void CheckLength(ReadOnlySpan<byte> t, int least, string table)
    {
        if (t.Length < least || 3 + SectionLength(t) < least || 3 + SectionLength(t) > t.Length)
        {
            throw new InvalidDataException($"the {table} is damaged: a section of {t.Length} bytes declares {3 + SectionLength(t)} (at least {least} needed)");
        }
    }

    /// <summary>One PSI section gathered from the packets that carry it.</summary>
    private sealed class Section(int tableId)
    {
        private readonly List<byte> _bytes = [];

        internal List<byte[]> Packets { get; } = [];

        internal byte[]? Bytes { get; private set; }

        /// <summary>Adds a packet of the section's PID; true once the section is whole.</summary>
        internal bool Add(ReadOnlySpan<byte> packet)
        {
            if (Bytes is not null)
            {
                return true;
            }
            ReadOnlySpan<byte> payload = TsPacket.Payload(packet);
            if (TsPacket.PayloadUnitStart(packet))
            {
                if (payload.IsEmpty || 1 + payload[0] >= payload.Length || payload[1 + payload[0]] != tableId)
                {
                    return false;
                }
                _bytes.Clear();
                Packets.Clear();
                payload = payload[(1 + payload[0])..];
            }
            else if (_bytes.Count == 0)
            {
                return false; // the middle of a section whose start we did not see
            }
            _bytes.AddRange(payload);
            Packets.Add(packet.ToArray());
            if (_bytes.Count >= 3 && _bytes.Count >= 3 + (((_bytes[1] & 0x0F) << 8) | _bytes[2]))
            {
                Bytes = [.. _bytes];
                return true;
            }
            return false;
        }
    }
}
