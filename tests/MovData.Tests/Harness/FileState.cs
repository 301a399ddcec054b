using Microsoft.Win32.SafeHandles;
using MovData.Layout;
using MovData.Native;

namespace MovData.Tests.Harness;

/// <summary>Everything a test compares about a file: size, bytes, where the data is, and
/// (where FIEMAP exists) the physical address of each block.</summary>
public static class Files
{
    public const int Block = 4096;

    /// <summary>Deterministic, distinct bytes: every block of every file differs.</summary>
    public static byte[] Pattern(int seed, long length)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>A file of <paramref name="size"/> bytes holding <paramref name="data"/> at the given
    /// offsets and holes elsewhere, flushed so the layout is final.</summary>
    public static void Create(string path, long size, params (long Offset, byte[] Bytes)[] data)
    {
        using SafeFileHandle h = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite);
        RandomAccess.SetLength(h, size);
        foreach ((long offset, byte[] bytes) in data)
        {
            RandomAccess.Write(h, bytes, offset);
        }
        Assert.Equal(0, Interop.FSync(h));
    }

    public static SafeFileHandle OpenRw(string path) => File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);

    public static byte[] Read(string path, long offset, long length)
    {
        using SafeFileHandle h = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var buffer = new byte[length];
        int got = 0;
        while (got < length)
        {
            int n = RandomAccess.Read(h, buffer.AsSpan(got), offset + got);
            if (n == 0)
            {
                break;
            }
            got += n;
        }
        Assert.Equal(length, got);
        return buffer;
    }

    public static byte[] ReadAll(string path) => Read(path, 0, new FileInfo(path).Length);

    /// <summary>Data segments of [start, end) by the raw SEEK_DATA/SEEK_HOLE syscalls.</summary>
    public static List<(long Offset, long Length)> Data(string path, long start, long end)
    {
        using SafeFileHandle h = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return Extents.DataSegments(h, start, end, path);
    }

    public static void AssertHole(string path, long offset, long length)
    {
        List<(long Offset, long Length)> data = Data(path, offset, offset + length);
        Assert.True(data.Count == 0, $"{path} [{offset}, {offset + length}) should be a hole but holds data at {string.Join(", ", data)}");
        Assert.All(Read(path, offset, length), b => Assert.Equal(0, b));
    }

    public static void AssertBytes(byte[] expected, string path, long offset)
    {
        byte[] actual = Read(path, offset, expected.Length);
        if (!expected.AsSpan().SequenceEqual(actual))
        {
            int first = 0;
            while (expected[first] == actual[first])
            {
                first++;
            }
            Assert.Fail($"{path}: bytes differ from offset {offset + first} on");
        }
    }

    /// <summary>Physical address of each block of [offset, offset+length), from FIEMAP; -1 for holes.</summary>
    public static long[] PhysicalBlocks(string path, long offset, long length)
    {
        using SafeFileHandle h = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var raw = new List<Interop.RawExtent>();
        Assert.Equal(0, Interop.GetExtents(h, offset, length, sync: true, raw));
        var result = new long[length / Block];
        Array.Fill(result, -1L);
        foreach (Interop.RawExtent e in raw)
        {
            for (long at = Math.Max(e.Logical, offset); at < Math.Min(e.Logical + e.Length, offset + length); at += Block)
            {
                result[(at - offset) / Block] = e.Physical + (at - e.Logical);
            }
        }
        return result;
    }

    /// <summary>Size, bytes and data layout: equal snapshots mean the file did not change.</summary>
    public static Snapshot Take(string path) => new(new FileInfo(path).Length, Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(ReadAll(path))),
        string.Join(";", Data(path, 0, new FileInfo(path).Length)));
}

public sealed record Snapshot(long Size, string Sha256, string Layout);
