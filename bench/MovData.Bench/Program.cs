using System.Globalization;
using MovData;
using MovData.Bench;

// The scenario runner: every contender, every size, every scratch filesystem, side by side.
// bench/run.sh is the one command that prepares the filesystems and calls this.
var options = Options.Parse(args);
var mounts = Environment.GetEnvironmentVariable("MOVDATA_SCRATCH")?.Split(';', StringSplitOptions.RemoveEmptyEntries)
    .Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]) ?? [];
var results = new List<Result>();
var fragmentation = new List<FragmentationResult>();
foreach (string fs in options.FileSystems)
{
    if (!mounts.TryGetValue(fs, out string? mount))
    {
        Console.Error.WriteLine($"bench: scratch filesystem {fs} is not mounted (MOVDATA_SCRATCH)");
        return 1;
    }
    results.AddRange(Scenarios.SizeSweep(fs, mount, options));
    // Extents only matter where MovData hands them over; where it copies, time follows bytes.
    if (options.ExtentCounts.Length > 0 && FileRange.Probe(mount).Operations[RangeOperation.Clone] == Support.Native)
    {
        fragmentation.AddRange(Scenarios.Fragmentation(fs, mount, options));
    }
}
Report.Write(options, results, fragmentation);
return 0;

internal sealed record Options(string[] FileSystems, long[] Sizes, int Runs, int[] ExtentCounts, long FragmentedSize, string Tool, string Out, string? Docs)
{
    internal static Options Parse(string[] args)
    {
        string Get(string name, string fallback)
        {
            int i = Array.LastIndexOf(args, name); // the last one wins: bench/run.sh's defaults come first
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        static long Size(string s) => s[^1] switch
        {
            'k' or 'K' => long.Parse(s[..^1], CultureInfo.InvariantCulture) << 10,
            'm' or 'M' => long.Parse(s[..^1], CultureInfo.InvariantCulture) << 20,
            'g' or 'G' => long.Parse(s[..^1], CultureInfo.InvariantCulture) << 30,
            _ => long.Parse(s, CultureInfo.InvariantCulture),
        };
        string extents = Get("--extents", "1,100,10000,100000");
        return new Options(
            Get("--fs", "xfs,xfs-exchange,btrfs,ext4,tmpfs").Split(','),
            Get("--sizes", "4k,1M,4M,64M,1G,4G").Split(',').Select(Size).ToArray(),
            int.Parse(Get("--runs", "5"), CultureInfo.InvariantCulture),
            extents == "none" ? [] : extents.Split(',').Select(int.Parse).ToArray(),
            Size(Get("--fragmented-size", "400M")),
            Path.GetFullPath(Get("--tool", "artifacts/aot/movdata")),
            Path.GetFullPath(Get("--out", "bench/results/latest")),
            args.Contains("--docs") ? Path.GetFullPath(Get("--docs", "docs")) : null);
    }
}
