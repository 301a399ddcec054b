using Microsoft.Win32.SafeHandles;
using MovData.Native;
using System.Diagnostics;

namespace MovData.Bench;

internal sealed record Result(string Fs, long Size, string Contender, long[] SamplesUs, long? MaxRssKiB)
{
    internal long MedianUs => Percentile(0.5);
    internal long P10Us => Percentile(0.1);
    internal long P90Us => Percentile(0.9);

    private long Percentile(double p)
    {
        long[] sorted = [.. SamplesUs.Order()];
        return sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(p * sorted.Length))];
    }
}

internal sealed record FragmentationResult(string Fs, int RequestedExtents, int Extents, long Size, string Method, long[] SamplesUs)
{
    internal long MedianUs => SamplesUs.Order().ElementAt(SamplesUs.Length / 2);
}

internal static class Scenarios
{
    private const int Block = 4096;

    /// <summary>Every contender at every size on one filesystem. Each contender moves the range
    /// back and forth between two files: one warm-up, then the measured runs.</summary>
    internal static IEnumerable<Result> SizeSweep(string fs, string mount, Options options)
    {
        bool zeroCopy = FileRange.Probe(mount).Operations[RangeOperation.Move] != Support.Copy;
        Contender[] contenders =
        [
            new MovDataInProcess(), new FileStreamCopy(), new CopyFileRangeCopy(),
            new MovDataProcess(options.Tool), new XfsIoProcess(zeroCopy), new XfsIoBaseline(),
        ];
        foreach (long size in options.Sizes)
        {
            string dir = Path.Combine(mount, $"bench-{Guid.NewGuid():N}");
            Directory.CreateDirectory(dir);
            try
            {
                string a = Path.Combine(dir, "a"), b = Path.Combine(dir, "b");
                WriteData(a, size);
                using (SafeFileHandle h = File.OpenHandle(b, FileMode.CreateNew, FileAccess.ReadWrite))
                {
                    RandomAccess.SetLength(h, size);
                }
                foreach (Contender c in contenders)
                {
                    var samples = new List<long>();
                    long? rss = null;
                    string from = a, to = b;
                    for (int run = 0; run <= options.Runs; run++)
                    {
                        var clock = Stopwatch.StartNew();
                        c.Move(from, to, size);
                        long us = (long)clock.Elapsed.TotalMicroseconds;
                        if (run > 0)
                        {
                            samples.Add(us);
                            rss = c.LastMaxRssKiB is long r ? Math.Max(rss ?? 0, r) : rss;
                        }
                        if (c is not XfsIoBaseline)
                        {
                            (from, to) = (to, from);
                        }
                    }
                    // Leave the data in a, as the next contender expects, and prove it moved whole.
                    if (from != a)
                    {
                        new MovDataInProcess().Move(from, to, size);
                    }
                    Verify(a, b, size);
                    var result = new Result(fs, size, c.Name, [.. samples], rss);
                    Console.WriteLine($"{fs,-13} {Human(size),8} {c.Name,-16} median {result.MedianUs,10} us  p10 {result.P10Us,10}  p90 {result.P90Us,10}{(rss is null ? "" : $"  rss {rss} KiB")}");
                    yield return result;
                }
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    /// <summary>
    /// Move of a donor of fixed size made of N extents (see <see cref="BuildFragmented"/>),
    /// rebuilt before every run so each run starts from the same layout.
    /// </summary>
    internal static IEnumerable<FragmentationResult> Fragmentation(string fs, string mount, Options options)
    {
        foreach (int requested in options.ExtentCounts)
        {
            string dir = Path.Combine(mount, $"frag-{Guid.NewGuid():N}");
            Directory.CreateDirectory(dir);
            try
            {
                string donor = Path.Combine(dir, "donor"), receiver = Path.Combine(dir, "receiver");
                var samples = new List<long>();
                int extents = 0;
                MoveMethod method = MoveMethod.CopyPunch;
                for (int run = 0; run <= Math.Max(3, options.Runs / 2); run++)
                {
                    extents = BuildFragmented(dir, donor, options.FragmentedSize, requested);
                    File.Delete(receiver);
                    using (SafeFileHandle h = File.OpenHandle(receiver, FileMode.CreateNew, FileAccess.ReadWrite))
                    {
                        RandomAccess.SetLength(h, options.FragmentedSize);
                    }
                    var clock = Stopwatch.StartNew();
                    method = FileRange.Move(donor, 0, receiver, 0, options.FragmentedSize).Method;
                    long us = (long)clock.Elapsed.TotalMicroseconds;
                    if (run > 0)
                    {
                        samples.Add(us);
                    }
                }
                var result = new FragmentationResult(fs, requested, extents, options.FragmentedSize, method.ToContractName(), [.. samples]);
                Console.WriteLine($"{fs,-13} {extents,7} extents  {method.ToContractName(),-15} median {result.MedianUs,10} us  {result.MedianUs / (double)extents,8:0.00} us/extent");
                yield return result;
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    /// <summary>
    /// A donor of <paramref name="size"/> bytes in <paramref name="extents"/> extents, none
    /// physically next to its logical neighbour: a contiguous source file is written, its
    /// pieces are cloned into the donor in reverse order (the donor's first piece is the
    /// source's last), and the source is deleted, leaving the donor the only owner of its
    /// blocks. Interleaving allocations with a second file proved unreliable: the XFS and ext4
    /// allocators placed many neighbours side by side again.
    /// </summary>
    private static int BuildFragmented(string dir, string donor, long size, int extents)
    {
        string source = Path.Combine(dir, "source");
        File.Delete(donor);
        File.Delete(source);
        WriteData(source, size);
        long piece = size / extents / Block * Block;
        using (SafeFileHandle s = File.OpenHandle(source, FileMode.Open, FileAccess.ReadWrite))
        using (SafeFileHandle d = File.OpenHandle(donor, FileMode.CreateNew, FileAccess.ReadWrite))
        {
            RandomAccess.SetLength(d, size);
            for (int i = 0; i < extents; i++)
            {
                FileRange.Clone(s, (long)(extents - 1 - i) * piece, d, (long)i * piece, piece);
            }
            RandomAccess.FlushToDisk(d);
        }
        File.Delete(source);
        using SafeFileHandle h = File.OpenHandle(donor, FileMode.Open, FileAccess.Read);
        return FileRange.Map(h).Count(x => x.Kind == SegmentKind.Data);
    }

    private static void WriteData(string path, long size)
    {
        using SafeFileHandle h = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite);
        byte[] chunk = new byte[4 << 20];
        new Random(1).NextBytes(chunk);
        for (long at = 0; at < size; at += chunk.Length)
        {
            RandomAccess.Write(h, chunk.AsSpan(0, (int)Math.Min(chunk.Length, size - at)), at);
        }
        RandomAccess.FlushToDisk(h);
    }

    /// <summary>The data is whole in a and b is all hole: a contender that lost bytes fails the run.</summary>
    private static void Verify(string a, string b, long size)
    {
        using SafeFileHandle ha = File.OpenHandle(a, FileMode.Open, FileAccess.Read);
        using SafeFileHandle hb = File.OpenHandle(b, FileMode.Open, FileAccess.Read);
        byte[] chunk = new byte[4 << 20];
        new Random(1).NextBytes(chunk);
        byte[] read = new byte[Math.Min(chunk.Length, size)];
        foreach (long at in new[] { 0L, Math.Max(0, size - read.Length) / chunk.Length * chunk.Length })
        {
            int n = (int)Math.Min(read.Length, size - at);
            RandomAccess.Read(ha, read.AsSpan(0, n), at);
            if (!read.AsSpan(0, n).SequenceEqual(chunk.AsSpan(0, n)))
            {
                throw new InvalidOperationException($"bench: {a} does not hold the data at {at} after the runs");
            }
        }
        if (Interop.Seek(hb, 0, Interop.SEEK_DATA, out int errno) >= 0 || errno != Interop.ENXIO)
        {
            throw new InvalidOperationException($"bench: {b} still holds data after the runs");
        }
    }

    internal static string Human(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes >> 30} GiB",
        >= 1L << 20 => $"{bytes >> 20} MiB",
        _ => $"{bytes >> 10} KiB",
    };
}
