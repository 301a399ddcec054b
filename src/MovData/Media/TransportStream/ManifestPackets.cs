using Microsoft.Win32.SafeHandles;
using MovData.Edits;

namespace MovData.Media.TransportStream;

/// <summary>
/// A cut's manifest carried at the end of the transport stream of removed parts, in packets
/// that no demuxer turns into a stream: on a PID no PMT lists (<see cref="Pid"/>), never a
/// payload unit start, each payload beginning with <see cref="Tag"/> (so never 00 00 01, the
/// start code a demuxer probing an unlisted PID would guess a stream from); an M2TS packet
/// keeps a 4-byte TP_extra_header like its neighbours. ffprobe lists no extra stream and
/// ffmpeg decodes the file silently (tests judge both).
/// </summary>
internal static class ManifestPackets
{
    /// <summary>The PID the manifest goes on, unless the recording uses it (then the next one down).</summary>
    private const int Pid = 0x1FF0;

    /// <summary>What each payload begins with.</summary>
    private static readonly byte[] Tag = "MDSV"u8.ToArray();

    /// <summary>Carried bytes per packet: the payload after the tag.</summary>
    private const int Chunk = TsPacket.PacketSize - 4 - 4;

    /// <summary>How many packets a search from the end reads at a time.</summary>
    private const int PacketsPerRead = 1024;

    internal static Patch Carry(Recording rec, long at, byte[] carried)
    {
        PacketGrid grid = rec.Grid;
        HashSet<int> used = [.. rec.Tables.ElementaryPids(), .. rec.Tables.Programs.Select(p => p.PmtPid)];
        int pid = Pid;
        while (used.Contains(pid))
        {
            pid--;
        }
        int packets = (carried.Length + Chunk - 1) / Chunk;
        int pad = packets * Chunk - carried.Length;
        byte[] payload = [.. Enumerable.Repeat((byte)0xFF, pad), .. carried];
        byte[] header = grid.Header == 0 ? [] : rec.StoredPacket(rec.End - grid.Size)[..grid.Header];
        byte[] bytes = new byte[packets * grid.Size];
        for (int i = 0; i < packets; i++)
        {
            Span<byte> p = bytes.AsSpan(i * grid.Size, grid.Size);
            header.CopyTo(p);
            Span<byte> ts = p[grid.Header..];
            ts[0] = TsPacket.SyncByte;
            ts[1] = (byte)(pid >> 8); // payload_unit_start_indicator 0
            ts[2] = (byte)pid;
            ts[3] = (byte)(0x10 | (i & 0x0F)); // payload only, continuity counter
            Tag.CopyTo(ts[4..]);
            payload.AsSpan(i * Chunk, Chunk).CopyTo(ts[8..]);
        }
        return new Patch(at, bytes.Length, bytes);
    }

    /// <summary>Whether the recording's last packet carries a manifest (read: that packet).</summary>
    internal static bool Ends(Recording rec)
    {
        PacketGrid grid = rec.Grid;
        if (rec.Size - grid.Start < grid.Size || (rec.Size - grid.Start) % grid.Size != 0)
        {
            return false;
        }
        byte[] last = new byte[grid.Size];
        return MediaReads.Read(rec.File, last, rec.Size - grid.Size) == last.Length && Carrier(last.AsSpan(grid.Header, TsPacket.PacketSize));
    }

    /// <summary>A packet of the manifest: no payload start, payload only, the tag first.</summary>
    private static bool Carrier(ReadOnlySpan<byte> ts) =>
        ts[0] == TsPacket.SyncByte && !TsPacket.PayloadUnitStart(ts) && (ts[3] & 0x30) == 0x10 && ts[4..8].SequenceEqual(Tag);

    /// <exception cref="InvalidDataException">Not a transport stream, cut short mid-packet, or
    /// its last packet carries no manifest.</exception>
    internal static (byte[] Carried, long At) Find(SafeFileHandle file, ReadOnlySpan<byte> head, long size, string path)
    {
        PacketGrid grid = PacketGrid.Find(head) ?? throw new InvalidDataException($"{path} is not a file of removed parts from `movdata cut --save-removed`: {PacketGrid.WhyNot(head)}");
        if ((size - grid.Start) % grid.Size != 0)
        {
            throw new InvalidDataException($"{path} is truncated: it ends {(size - grid.Start) % grid.Size} bytes into a {grid.Size}-byte packet, where the file of removed parts ends in its whole manifest");
        }
        var chunks = new List<byte[]>();
        int pid = -1;
        long at = size;
        byte[] buffer = new byte[PacketsPerRead * grid.Size];
        for (bool more = true; more && at > grid.Start;)
        {
            long from = Math.Max(grid.Start, at - buffer.Length);
            int n = (int)(at - from);
            if (MediaReads.Read(file, buffer.AsSpan(0, n), from) != n)
            {
                throw new InvalidDataException($"{path} changed while it was read");
            }
            for (int k = n - grid.Size; k >= 0; k -= grid.Size)
            {
                ReadOnlySpan<byte> ts = buffer.AsSpan(k + grid.Header, TsPacket.PacketSize);
                bool carrier = Carrier(ts) && (pid < 0 || TsPacket.Pid(ts) == pid);
                if (!carrier)
                {
                    more = false;
                    break;
                }
                pid = TsPacket.Pid(ts);
                chunks.Add(ts[8..].ToArray());
                at = from + k;
            }
        }
        if (chunks.Count == 0)
        {
            throw new InvalidDataException($"{path} is not a file of removed parts from `movdata cut --save-removed`: its last packet carries no MovData manifest (a recording of its own, or one cut short or appended to)");
        }
        chunks.Reverse();
        return ([.. chunks.SelectMany(c => c)], at);
    }
}
