using System.Globalization;
using MovData.Media;
using MovData.Tests.Harness;

namespace MovData.Tests.Media;

/// <summary>
/// Judges a cut transport stream packet by packet, PID by PID, against the original: every
/// PID's packets outside the removed byte ranges must be in the cut file, unchanged and in
/// order, except what a cut must change at a join, worked out here from the original alone
/// (sections reassembled from the whole PID, not from the packets near the join as the cut
/// does):
/// <list type="bullet">
/// <item>a PES split by a range's start (begun before it, going on inside it) is gone from
/// its first packet; so are the packets after a range's end that continue a PES begun
/// before it (up to the PID's next payload_unit_start);</item>
/// <item>a section split by a range's start is gone from the packet after the one it starts
/// in, and in that one its bytes, from its first to the packet's end, are 0xFF; the packets
/// after a range's end that hold nothing but a section begun before it are gone;</item>
/// <item>before the first packet of a PID kept after a range's end, one packet the cut
/// inserts: adaptation field only (adaptation_field_control 10, length 183), its flags
/// byte just discontinuity_indicator (0x80), the rest 0xFF stuffing, its continuity_counter
/// the kept packet's less one (ISO/IEC 13818-1: such a packet does not advance the count),
/// so that a demuxer takes the jump in the count for a splice and not for lost packets.
/// On a PID that carries PES it must be there; on one that carries sections (PAT, PMT,
/// SDT, EIT, SCTE-35) it may be missing, and if there must be exactly that: the cut marks a
/// table only where its next section after the join lies within what the cut reads there
/// anyway (docs/media.md, step 7), and a demuxer takes a jump on a section PID for no more
/// than a debug line (<see cref="Verdict.SectionJumpsLeft"/> counts those left);</item>
/// <item>nothing else: no other byte of any packet differs (continuity counters included),
/// null packets aside, and no PID appears that the original lacks.</item>
/// </list>
/// The video of the recordings judged here has no broken-link marks to set (IDR keyframes).
/// </summary>
public static class PacketJudge
{
    private const int NullPid = 0x1FFF;

    /// <summary>What the cut had to change: PES and sections dropped at the joins, packets
    /// in which a split section became stuffing after an earlier section's end, and the
    /// continuity marks it set: on PES PIDs (every join, every PID), on section PIDs, and
    /// the jumps left unmarked on section PIDs (<see cref="SectionPidsLeft"/> says whose).</summary>
    public sealed record Verdict(int Pids, int PesDropped, int SectionsDropped, int StuffedAfterAnEnd, int PesMarked, int SectionsMarked, int SectionJumpsLeft, string SectionPidsLeft)
    {
        public int DiscontinuitiesMarked => PesMarked + SectionsMarked;
    }

    /// <summary>Asserts the rules above for <paramref name="cut"/>, made from
    /// <paramref name="original"/> by removing <paramref name="removed"/> (none to the end, none
    /// of the head).</summary>
    public static Verdict AssertKeeps(byte[] original, byte[] cut, IReadOnlyList<RemovedRange> removed)
    {
        Dictionary<int, List<(long Offset, byte[] Packet)>> before = ByPid(original), after = ByPid(cut);
        (long S, long E)[] ranges = [.. removed.Select(r => (r.Offset, r.Offset + r.Length))];
        Assert.All(ranges, r => Assert.True(r.E < original.Length, "the judge takes no range to the end"));
        Assert.Empty(after.Keys.Except(before.Keys));
        int pesDropped = 0, sectionsDropped = 0, stuffedAfterAnEnd = 0, pesMarked = 0, sectionsMarked = 0, left = 0;
        var pidsLeft = new SortedSet<int>();
        foreach ((int pid, List<(long Offset, byte[] Packet)> packets) in before)
        {
            var drop = new HashSet<int>();
            var stuffFrom = new Dictionary<int, int>(); // packet index -> first byte (of the packet) made 0xFF
            int firstStart = packets.FindIndex(p => Start(p.Packet));
            bool sections = firstStart >= 0 && !StartsPes(packets[firstStart].Packet);
            if (sections)
            {
                foreach ((int startIndex, int startByte, int endIndex) in SectionSpans(packets))
                {
                    foreach ((long s, long e) in ranges)
                    {
                        if (packets[startIndex].Offset < s && packets[endIndex].Offset >= s)
                        {
                            // Split by the range's start: gone after the packet it starts in, stuffing in that one.
                            sectionsDropped++;
                            stuffFrom[startIndex] = PayloadStart(packets[startIndex].Packet) + startByte;
                            stuffedAfterAnEnd += startByte > 1 ? 1 : 0;
                            for (int j = startIndex + 1; j < packets.Count && packets[j].Offset < s; j++)
                            {
                                drop.Add(j);
                            }
                        }
                        if (packets[startIndex].Offset < e && packets[endIndex].Offset >= e)
                        {
                            for (int j = startIndex + 1; j <= endIndex; j++)
                            {
                                if (packets[j].Offset >= e && !Start(packets[j].Packet))
                                {
                                    drop.Add(j);
                                }
                            }
                        }
                    }
                }
            }
            else
            {
                long previousEnd = 0;
                foreach ((long s, long e) in ranges)
                {
                    int next = packets.FindIndex(p => p.Offset >= s);
                    if (next > 0 && !Start(packets[next].Packet))
                    {
                        bool dropped = false;
                        for (int j = next - 1; j >= 0 && packets[j].Offset >= previousEnd; j--)
                        {
                            drop.Add(j);
                            dropped = true;
                            if (Start(packets[j].Packet))
                            {
                                break;
                            }
                        }
                        pesDropped += dropped ? 1 : 0;
                    }
                    for (int j = packets.FindIndex(p => p.Offset >= e); j >= 0 && j < packets.Count && !Start(packets[j].Packet); j++)
                    {
                        drop.Add(j);
                    }
                    previousEnd = e;
                }
            }
            List<(byte[] Packet, bool Mark)> expected = [];
            var marksBefore = new HashSet<int>(); // the first packet kept after each range's end
            foreach ((long _, long e) in ranges)
            {
                int first = Enumerable.Range(0, packets.Count).FirstOrDefault(i => packets[i].Offset >= e && !drop.Contains(i), -1);
                if (first >= 0)
                {
                    marksBefore.Add(first);
                }
            }
            for (int i = 0; i < packets.Count; i++)
            {
                if (ranges.Any(r => packets[i].Offset >= r.S && packets[i].Offset < r.E) || drop.Contains(i))
                {
                    continue;
                }
                if (marksBefore.Contains(i))
                {
                    expected.Add((DiscontinuityMark(pid, packets[i].Packet), true));
                }
                byte[] p = (byte[])packets[i].Packet.Clone();
                if (stuffFrom.TryGetValue(i, out int from))
                {
                    p.AsSpan(from).Fill(0xFF);
                }
                expected.Add((p, false));
            }
            List<byte[]> got = after.TryGetValue(pid, out var kept) ? [.. kept.Select(k => k.Packet)] : [];
            int g = 0;
            foreach ((byte[] packet, bool mark) in expected)
            {
                if (mark && sections && (g == got.Count || !packet.AsSpan().SequenceEqual(got[g])))
                {
                    left++; // a table's jump left unmarked: allowed, and counted
                    pidsLeft.Add(pid);
                    continue;
                }
                Assert.True(g < got.Count, $"PID 0x{pid:x}: {got.Count} packets in the cut, more expected ({packets.Count} in the original, {drop.Count} dropped at joins)");
                Assert.True(packet.AsSpan().SequenceEqual(got[g]), $"PID 0x{pid:x}: packet {g} of the cut differs from the {(mark ? "mark expected" : "original's")}: {Convert.ToHexString(got[g])} != {Convert.ToHexString(packet)}");
                pesMarked += mark && !sections ? 1 : 0;
                sectionsMarked += mark && sections ? 1 : 0;
                g++;
            }
            Assert.True(g == got.Count, $"PID 0x{pid:x}: {got.Count} packets in the cut, {g} expected ({packets.Count} in the original, {drop.Count} dropped at joins)");
        }
        return new Verdict(before.Count, pesDropped, sectionsDropped, stuffedAfterAnEnd, pesMarked, sectionsMarked, left, string.Join(" ", pidsLeft.Select(p => $"0x{p:x}")));
    }

    /// <summary>Each section of a PID's packets: the packet it starts in, where in that
    /// packet's payload, and the packet its last byte is in; reassembled through the whole PID.</summary>
    public static List<(int StartIndex, int StartByte, int EndIndex)> SectionSpans(List<(long Offset, byte[] Packet)> packets)
    {
        var spans = new List<(int, int, int)>();
        (int Index, int Byte, List<byte> Bytes)? open = null;
        for (int i = 0; i < packets.Count; i++)
        {
            byte[] payload = Payload(packets[i].Packet);
            int at = 0;
            if (Start(packets[i].Packet))
            {
                int pointer = payload[0];
                if (open is { } o)
                {
                    Feed(o, payload.AsSpan(1, pointer), i);
                }
                open = null;
                at = 1 + pointer;
                while (at < payload.Length && payload[at] != 0xFF)
                {
                    var section = (i, at, new List<byte>());
                    int used = Feed(section, payload.AsSpan(at), i);
                    if (used < 0)
                    {
                        open = section;
                        break;
                    }
                    at += used;
                }
            }
            else if (open is { } o && Feed(o, payload, i) >= 0)
            {
                open = null;
            }
        }
        return spans;

        // Adds bytes to a section; how many it took if that ended it (its span recorded), else -1.
        int Feed((int Index, int Byte, List<byte> Bytes) s, ReadOnlySpan<byte> bytes, int index)
        {
            for (int k = 0; k < bytes.Length; k++)
            {
                s.Bytes.Add(bytes[k]);
                if (s.Bytes.Count >= 3 && s.Bytes.Count == 3 + ((s.Bytes[1] & 0x0F) << 8 | s.Bytes[2]))
                {
                    spans.Add((s.Index, s.Byte, index));
                    return k + 1;
                }
            }
            return -1;
        }
    }

    /// <summary>Each PID's packets in file order, with their offsets; null packets left out.</summary>
    public static Dictionary<int, List<(long Offset, byte[] Packet)>> ByPid(byte[] ts)
    {
        var map = new Dictionary<int, List<(long, byte[])>>();
        for (int i = 0; i + 188 <= ts.Length; i += 188)
        {
            Assert.True(ts[i] == 0x47, $"no sync byte at {i}");
            int pid = Pid(ts.AsSpan(i));
            if (pid != NullPid)
            {
                (map.TryGetValue(pid, out var list) ? list : map[pid] = []).Add((i, ts[i..(i + 188)]));
            }
        }
        return map;
    }

    /// <summary>The PIDs of <paramref name="ts"/> that carry sections (tables: PAT, PMT, SDT,
    /// EIT, SCTE-35), told by what their first payload_unit_start begins: not a PES.</summary>
    public static HashSet<int> SectionPids(byte[] ts) =>
        [.. ByPid(ts).Where(kv => kv.Value.FirstOrDefault(p => Start(p.Packet)).Packet is { } first && !StartsPes(first)).Select(kv => kv.Key)];

    /// <summary>The first whole PMT section of the recording's one program (its PID from the PAT).</summary>
    public static byte[] Pmt(byte[] ts)
    {
        Dictionary<int, List<(long Offset, byte[] Packet)>> pids = ByPid(ts);
        byte[] pat = Payload(pids[0].First(p => Start(p.Packet)).Packet);
        int pmtPid = (pat[1 + 10] & 0x1F) << 8 | pat[1 + 11];
        byte[] pmt = Payload(pids[pmtPid].First(p => Start(p.Packet)).Packet);
        int at = 1 + pmt[0];
        return pmt[at..(at + 3 + ((pmt[at + 1] & 0x0F) << 8 | pmt[at + 2]))];
    }

    /// <summary>The packet a cut must insert before <paramref name="kept"/>, the first packet of
    /// <paramref name="pid"/> it keeps after a join (see the list above).</summary>
    private static byte[] DiscontinuityMark(int pid, byte[] kept)
    {
        byte[] mark = new byte[188];
        mark.AsSpan().Fill(0xFF);
        bool payload = (kept[3] & 0x10) != 0;
        (mark[0], mark[1], mark[2]) = (0x47, (byte)(pid >> 8), (byte)pid);
        mark[3] = (byte)(0x20 | ((kept[3] & 0x0F) + (payload ? 15 : 0)) % 16);
        (mark[4], mark[5]) = (183, 0x80);
        return mark;
    }

    public static int Pid(ReadOnlySpan<byte> p) => (p[1] & 0x1F) << 8 | p[2];

    private static bool Start(byte[] p) => (p[1] & 0x40) != 0;

    private static int PayloadStart(byte[] p) => (p[3] & 0x20) != 0 ? 5 + p[4] : 4;

    private static byte[] Payload(byte[] p) => (p[3] & 0x10) == 0 ? [] : p[Math.Min(188, PayloadStart(p))..];

    private static bool StartsPes(byte[] p)
    {
        byte[] payload = Payload(p);
        return payload.Length >= 3 && payload[0] == 0 && payload[1] == 0 && payload[2] == 1;
    }
}

/// <summary>More of the judge: ffprobe's view of every stream, and ffmpeg decoding them all.</summary>
public static class FfmpegStreams
{
    /// <summary>What <c>ffmpeg -v error [-copyts] -i FILE -map 0:v? -map 0:a? -f null -</c>
    /// prints: every video and audio stream decoded, not just the ones ffmpeg picks.</summary>
    public static string DecodeErrors(string path, bool copyts) =>
        Tools.Run("ffmpeg", [.. "-v error".Split(' '), .. copyts ? ["-copyts"] : Array.Empty<string>(), "-i", path, "-map", "0:v?", "-map", "0:a?", "-f", "null", "-"]).Output.Trim();

    /// <summary>Each stream as ffprobe lists it: index, type, codec, PID.</summary>
    public static List<string> Streams(string path)
    {
        (int code, string output, string err) = Tools.Capture("ffprobe", "-v", "error", "-show_entries", "stream=index,codec_type,codec_name,id", "-of", "csv=p=0", path);
        Assert.True(code == 0, $"ffprobe {path}: {err}");
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }

    /// <summary>Every packet ffprobe reads: stream index, DTS and PTS in ticks (null where it
    /// has none), duration in ticks, and the SHA-256 of its data.</summary>
    public static List<(int Stream, long? Dts, long? Pts, long Duration, string Hash)> Packets(string path)
    {
        (int code, string output, string err) = Tools.Capture("ffprobe", "-v", "error", "-show_data_hash", "sha256", "-show_entries", "packet=stream_index,dts,pts,duration,data_hash", "-of", "json", path);
        Assert.True(code == 0, $"ffprobe {path}: {err}");
        using var json = System.Text.Json.JsonDocument.Parse(output);
        return [.. json.RootElement.GetProperty("packets").EnumerateArray().Select(p => (
            p.GetProperty("stream_index").GetInt32(),
            p.TryGetProperty("dts", out var dts) ? dts.GetInt64() : (long?)null,
            p.TryGetProperty("pts", out var pts) ? pts.GetInt64() : (long?)null,
            p.TryGetProperty("duration", out var duration) ? duration.GetInt64() : 0,
            p.GetProperty("data_hash").GetString()!))];
    }

    /// <summary>The first PTS of the recording's first stream, in ticks: its time 0.</summary>
    public static long StartPts(string path) => Packets(path).First(p => p.Pts is not null).Pts!.Value;
}
