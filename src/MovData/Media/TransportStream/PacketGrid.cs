namespace MovData.Media.TransportStream;

/// <summary>
/// Where a file's packets are: their size, and the offset of the first whole one (a file may
/// begin mid-packet). Found from the sync bytes, never from the name.
/// </summary>
internal sealed record PacketGrid(RecordingFormat Format, int Size, long Start)
{
    /// <summary>Bytes before the 188-byte TS packet inside each packet (the M2TS header).</summary>
    internal int Header => Size - TsPacket.PacketSize;

    /// <summary>The packet holding <paramref name="offset"/>'s start, on the grid.</summary>
    internal long Floor(long offset) => offset <= Start ? Start : Start + (offset - Start) / Size * Size;

    /// <summary>The first packet start at or after <paramref name="offset"/>.</summary>
    internal long Ceiling(long offset) => offset <= Start ? Start : Start + (offset - Start + Size - 1) / Size * Size;

    /// <summary>How many packets must line up before a grid is believed.</summary>
    private const int Confirm = 16;

    /// <summary>
    /// Finds the grid in <paramref name="head"/> (the file's first bytes): the packet size and
    /// first offset at which the sync byte repeats for <see cref="Confirm"/> packets, or for
    /// every whole packet of a shorter file (at least two). Null if there is none.
    /// </summary>
    internal static PacketGrid? Find(ReadOnlySpan<byte> head)
    {
        foreach ((RecordingFormat format, int size) in new[] { (RecordingFormat.MpegTs, 188), (RecordingFormat.M2ts, 192) })
        {
            int header = size - TsPacket.PacketSize;
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
                    lined = head[start + header + k * size] == TsPacket.SyncByte;
                }
                if (lined)
                {
                    return new PacketGrid(format, size, start);
                }
            }
        }
        return null;
    }

    /// <summary>Why <paramref name="head"/> is not a transport stream's (where <see cref="Find"/> found no grid).</summary>
    internal static string WhyNot(ReadOnlySpan<byte> head) =>
        $"no 0x47 sync byte repeats every 188 or 192 bytes in its first {head.Length} bytes";
}
