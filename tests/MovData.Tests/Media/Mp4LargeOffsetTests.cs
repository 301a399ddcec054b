using System.Buffers.Binary;
using System.Text;
using MovData.Media;
using MovData.Tests.Harness;

namespace MovData.Tests.Media;

/// <summary>
/// An MP4 over 4 GiB, whose chunk offsets need 64 bits (co64), is cut as one under 4 GiB is:
/// the file ffmpeg made, spread by a 4 GiB free box before its mdat (a hole, so it costs no
/// disk) with every stco turned into co64, cuts to the same packets, byte for byte, as the
/// file itself, and keeps its offsets past 4 GiB. ffmpeg is the judge of both files.
/// </summary>
public sealed class Mp4LargeOffsetTests
{
    /// <summary>4 GiB and 64 KiB: every sample lies past 2^32, and the media keeps its place
    /// within a block, so both files collapse the same blocks of it.</summary>
    private const long Gap = (4L << 30) + (64 << 10);

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Cut_OfAnMp4Over4GiB_GivesTheSamePacketsAsTheSameCutUnder4GiB(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string small = Recordings.CopyTo("mp4-h264-aac", dir, "small.mp4");
        string large = dir.File("large.mp4");
        Spread(small, large, Gap);
        Assert.True(new FileInfo(large).Length > uint.MaxValue);
        Assert.Equal("", Tools.Run("ffmpeg", "-v", "error", "-i", large, "-map", "0", "-f", "null", "-").Output.Trim());
        Assert.Equal(AllPackets(small), AllPackets(large));
        TimeRange[] ranges = [new(0, 2), new(4.3, 8.2)];

        CutResult cutSmall = MediaFile.Cut(small, ranges, cancel: TestContext.Current.CancellationToken);
        CutResult cutLarge = MediaFile.Cut(large, ranges, cancel: TestContext.Current.CancellationToken);

        Assert.Equal("", Tools.Run("ffmpeg", "-v", "error", "-i", large, "-map", "0", "-f", "null", "-").Output.Trim());
        Assert.Equal(AllPackets(small), AllPackets(large));
        Assert.Equal(cutSmall.Removed.Select(x => x with { Offset = x.Offset + Gap }), cutLarge.Removed);
        Assert.Equal(cutSmall.DurationAfter, cutLarge.DurationAfter, 0.000_001);
        Assert.Equal(cutSmall.BytesCopied, cutLarge.BytesCopied);
        Assert.Equal(new FileInfo(small).Length + Gap + ChunkOffsetGrowth(large), new FileInfo(large).Length);
        List<long> offsets = ChunkOffsets(large);
        Assert.NotEmpty(offsets);
        Assert.All(offsets, o => Assert.True(o > uint.MaxValue, $"chunk offset {o} is not past 4 GiB"));
    }

    /// <summary>Every packet of every stream: stream, time, size and SHA-256 of its data.</summary>
    private static List<string> AllPackets(string path)
    {
        (int code, string output, string err) = Tools.Capture("ffprobe", "-v", "error", "-show_data_hash", "sha256",
            "-show_entries", "packet=stream_index,pts,dts,duration,size,flags,data_hash", "-of", "csv=p=0", path);
        Assert.True(code == 0, err);
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }

    /// <summary>
    /// Writes <paramref name="target"/>: <paramref name="source"/>'s top-level boxes, with a
    /// free box of <paramref name="gap"/> bytes (64-bit size, left a hole) before its mdat, and
    /// in moov every stco rewritten as co64 with its offsets moved by the gap (the boxes
    /// around it grown to fit). A test fixture, written here so that ffmpeg can judge it.
    /// </summary>
    private static void Spread(string source, string target, long gap)
    {
        byte[] all = File.ReadAllBytes(source);
        using var output = new FileStream(target, FileMode.Create, FileAccess.Write);
        foreach ((string type, int at, int size) in Children(all, 0, all.Length))
        {
            if (type == "mdat")
            {
                byte[] free = new byte[16];
                BinaryPrimitives.WriteUInt32BigEndian(free, 1);
                "free"u8.CopyTo(free.AsSpan(4));
                BinaryPrimitives.WriteUInt64BigEndian(free.AsSpan(8), (ulong)gap);
                output.Write(free);
                output.Seek(gap - free.Length, SeekOrigin.Current);
            }
            output.Write(type == "moov" ? Rewrite(all.AsSpan(at, size), gap) : all.AsSpan(at, size));
        }
    }

    private static readonly string[] Containers = ["moov", "trak", "mdia", "minf", "stbl"];

    private static byte[] Rewrite(ReadOnlySpan<byte> box, long gap)
    {
        string type = Encoding.ASCII.GetString(box[4..8]);
        if (type == "stco")
        {
            int count = (int)BinaryPrimitives.ReadUInt32BigEndian(box[12..]);
            byte[] co64 = new byte[16 + (8 * count)];
            BinaryPrimitives.WriteUInt32BigEndian(co64, (uint)co64.Length);
            "co64"u8.CopyTo(co64.AsSpan(4));
            BinaryPrimitives.WriteUInt32BigEndian(co64.AsSpan(12), (uint)count);
            for (int i = 0; i < count; i++)
            {
                BinaryPrimitives.WriteUInt64BigEndian(co64.AsSpan(16 + (8 * i)), BinaryPrimitives.ReadUInt32BigEndian(box[(16 + (4 * i))..]) + (ulong)gap);
            }
            return co64;
        }
        if (!Containers.Contains(type))
        {
            return box.ToArray();
        }
        byte[] copy = box.ToArray();
        var rewritten = new List<byte>(copy[..8]);
        foreach ((_, int at, int size) in Children(copy, 8, copy.Length))
        {
            rewritten.AddRange(Rewrite(copy.AsSpan(at, size), gap));
        }
        byte[] result = [.. rewritten];
        BinaryPrimitives.WriteUInt32BigEndian(result, (uint)result.Length);
        return result;
    }

    /// <summary>The boxes from <paramref name="from"/> to <paramref name="end"/> of
    /// <paramref name="bytes"/>, each with a 32-bit size (as ffmpeg writes a small file).</summary>
    private static List<(string Type, int At, int Size)> Children(byte[] bytes, int from, int end)
    {
        var boxes = new List<(string, int, int)>();
        for (int at = from; at + 8 <= end;)
        {
            int size = (int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(at));
            Assert.True(size >= 8 && at + size <= end, $"box at {at} has size {size}");
            boxes.Add((Encoding.ASCII.GetString(bytes, at + 4, 4), at, size));
            at += size;
        }
        return boxes;
    }

    /// <summary>The chunk offsets of every co64 in the moov at the end of <paramref name="path"/>.</summary>
    private static List<long> ChunkOffsets(string path)
    {
        byte[] moov = Moov(path);
        var offsets = new List<long>();
        for (int at = moov.AsSpan().IndexOf("co64"u8); at >= 0; at = Next(moov, at, "co64"u8))
        {
            int count = (int)BinaryPrimitives.ReadUInt32BigEndian(moov.AsSpan(at + 8));
            for (int i = 0; i < count; i++)
            {
                offsets.Add((long)BinaryPrimitives.ReadUInt64BigEndian(moov.AsSpan(at + 12 + (8 * i))));
            }
        }
        Assert.Equal(-1, moov.AsSpan().IndexOf("stco"u8));
        return offsets;
    }

    /// <summary>How much longer the moov is with co64 than it would be with stco: four bytes an offset.</summary>
    private static long ChunkOffsetGrowth(string path) => 4L * ChunkOffsets(path).Count;

    private static int Next(byte[] bytes, int after, ReadOnlySpan<byte> what)
    {
        int i = bytes.AsSpan(after + 1).IndexOf(what);
        return i < 0 ? -1 : after + 1 + i;
    }

    /// <summary>The moov box at the end of the file (found by walking the top-level boxes, 64-bit sizes included).</summary>
    private static byte[] Moov(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read);
        byte[] header = new byte[16];
        for (long at = 0; at < f.Length;)
        {
            f.Position = at;
            f.ReadExactly(header);
            long size = BinaryPrimitives.ReadUInt32BigEndian(header);
            size = size == 1 ? (long)BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(8)) : size;
            if (Encoding.ASCII.GetString(header, 4, 4) == "moov")
            {
                byte[] moov = new byte[size];
                f.Position = at;
                f.ReadExactly(moov);
                return moov;
            }
            Assert.True(size >= 8, $"box at {at} has size {size}");
            at += size;
        }
        throw new InvalidDataException($"{path} has no moov");
    }
}
