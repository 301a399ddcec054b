using Microsoft.Win32.SafeHandles;
using System.Buffers.Binary;

namespace MovData.Cli.Demo;

/// <summary>
/// A stand-in for a video recording whose every block says where it came from: a stamp of
/// (recording, block index) then filler. After any edit, reading a block tells whether it is
/// the block that should be there, so the demo can check every byte without keeping copies.
/// </summary>
internal static class Recording
{
    internal const int Block = 4096;
    private const ulong Magic = 0x41544144564F4D; // "MOVDATA"

    internal static void Stamp(Span<byte> block, int recording, long index)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(block, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(block[8..], recording);
        BinaryPrimitives.WriteInt64LittleEndian(block[12..], index);
        block[20..].Fill((byte)((recording * 31) + index));
    }

    /// <summary>Writes a recording of <paramref name="length"/> bytes (a multiple of the block size).</summary>
    internal static void Write(string path, int recording, long length)
    {
        using SafeFileHandle h = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite);
        byte[] chunk = new byte[1 << 20];
        for (long at = 0; at < length; at += chunk.Length)
        {
            int n = (int)Math.Min(chunk.Length, length - at);
            for (int b = 0; b < n; b += Block)
            {
                Stamp(chunk.AsSpan(b, Block), recording, (at + b) / Block);
            }
            RandomAccess.Write(h, chunk.AsSpan(0, n), at);
        }
        RandomAccess.FlushToDisk(h);
    }

    /// <summary>
    /// Checks that the file holds, block after block, exactly <paramref name="expected"/>:
    /// (recording, index) for a stamped block, or null for a block that must read as zeros.
    /// Returns the first wrong block's description, or null if all are right.
    /// </summary>
    internal static string? Check(string path, IEnumerable<(int Recording, long Index)?> expected, long blocks)
    {
        using SafeFileHandle h = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (RandomAccess.GetLength(h) != blocks * Block)
        {
            return $"{path}: size {RandomAccess.GetLength(h)}, expected {blocks * Block}";
        }
        byte[] chunk = new byte[1 << 20];
        byte[] want = new byte[Block];
        long at = 0;
        using IEnumerator<(int Recording, long Index)?> e = expected.GetEnumerator();
        while (at < blocks * Block)
        {
            int n = (int)Math.Min(chunk.Length, (blocks * Block) - at);
            RandomAccess.Read(h, chunk.AsSpan(0, n), at);
            for (int b = 0; b < n; b += Block)
            {
                if (!e.MoveNext())
                {
                    return $"{path}: longer than expected";
                }
                if (e.Current is (int rec, long idx))
                {
                    Stamp(want, rec, idx);
                }
                else
                {
                    Array.Clear(want);
                }
                if (!chunk.AsSpan(b, Block).SequenceEqual(want))
                {
                    return $"{path}: block {(at + b) / Block} is not {(e.Current is null ? "a hole" : $"block {e.Current.Value.Index} of recording {e.Current.Value.Recording}")}";
                }
            }
            at += n;
        }
        return null;
    }

    /// <summary>Blocks [from, to) of a recording, as Check expects them.</summary>
    internal static IEnumerable<(int, long)?> Blocks(int recording, long from, long to)
    {
        for (long i = from; i < to; i++)
        {
            yield return (recording, i);
        }
    }
}
