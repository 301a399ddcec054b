using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace MovData.Bench;

/// <summary>Writes results.json (every sample), results.csv, report.md and the plots.</summary>
internal static class Report
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static readonly string[] PlottedFileSystems = ["xfs", "ext4"];

    private static readonly string[] Order = ["movdata", "movdata process", "xfs_io process", "xfs_io start-up", "copy_file_range", "filestream"];

    internal static void Write(Options options, List<Result> results, List<FragmentationResult> fragmentation)
    {
        Directory.CreateDirectory(options.Out);
        WriteJson(Path.Combine(options.Out, "results.json"), results, fragmentation);
        var csv = new StringBuilder("fs,size_bytes,contender,runs,median_us,p10_us,p90_us,max_rss_kib\n");
        foreach (Result r in results)
        {
            csv.AppendLine(Inv, $"{r.Fs},{r.Size},{r.Contender},{r.SamplesUs.Length},{r.MedianUs},{r.P10Us},{r.P90Us},{r.MaxRssKiB}");
        }
        File.WriteAllText(Path.Combine(options.Out, "results.csv"), csv.ToString());

        string imageDir = options.Docs ?? options.Out;
        var plots = new List<string>();
        foreach (string fs in PlottedFileSystems.Where(f => results.Any(r => r.Fs == f)))
        {
            string png = Path.Combine(imageDir, $"benchmarks-{fs}.png");
            if (Plot(fs, results.Where(r => r.Fs == fs).ToList(), png, options.Out))
            {
                plots.Add(png);
            }
        }
        // Image links are relative to the page that shows them.
        File.WriteAllText(Path.Combine(options.Out, "report.md"), Markdown(options, results, fragmentation, plots, options.Out));
        if (options.Docs is not null)
        {
            File.WriteAllText(Path.Combine(options.Docs, "benchmarks.md"), Markdown(options, results, fragmentation, plots, options.Docs));
        }
        Console.WriteLine($"report: {Path.Combine(options.Out, "report.md")}{(options.Docs is null ? "" : $" and {Path.Combine(options.Docs, "benchmarks.md")}")}");
    }

    private static void WriteJson(string path, List<Result> results, List<FragmentationResult> fragmentation)
    {
        using FileStream f = File.Create(path);
        using var w = new Utf8JsonWriter(f, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("kernel", Environment.OSVersion.VersionString);
        w.WriteStartArray("sizeSweep");
        foreach (Result r in results)
        {
            w.WriteStartObject();
            w.WriteString("fs", r.Fs);
            w.WriteNumber("sizeBytes", r.Size);
            w.WriteString("contender", r.Contender);
            w.WriteStartArray("samplesUs");
            foreach (long s in r.SamplesUs)
            {
                w.WriteNumberValue(s);
            }
            w.WriteEndArray();
            if (r.MaxRssKiB is long rss)
            {
                w.WriteNumber("maxRssKiB", rss);
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("fragmentation");
        foreach (FragmentationResult r in fragmentation)
        {
            w.WriteStartObject();
            w.WriteString("fs", r.Fs);
            w.WriteNumber("extents", r.Extents);
            w.WriteNumber("sizeBytes", r.Size);
            w.WriteString("method", r.Method);
            w.WriteStartArray("samplesUs");
            foreach (long s in r.SamplesUs)
            {
                w.WriteNumberValue(s);
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static string Markdown(Options options, List<Result> results, List<FragmentationResult> fragmentation, List<string> plots, string pageDir)
    {
        var md = new StringBuilder();
        md.AppendLine("# Benchmarks");
        md.AppendLine();
        md.AppendLine("Written by `bench/run.sh` (the scenario runner `bench/MovData.Bench`); do not edit by hand, run it again.");
        md.AppendLine();
        md.AppendLine(Inv, $"- machine: {Machine()}");
        md.AppendLine(Inv, $"- kernel: {Run("uname", "-r")}; {Run("xfs_io", "-V")}");
        md.AppendLine(Inv, $"- run: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; {options.Runs} measured runs per figure after one warm-up; sizes {string.Join(", ", options.Sizes.Select(Scenarios.Human))}");
        md.AppendLine("- filesystems: loop-mounted sparse images on the machine's disk (eng/scratch-fs.sh), tmpfs in memory; page cache warm");
        md.AppendLine("- every contender makes its result durable (fsync/fdatasync of both files) before the clock stops; each moves the range back and forth between two files");
        md.AppendLine();
        md.AppendLine("Contenders: **movdata** = `FileRange.Move` in process; **movdata process** = the Native AOT `movdata move` as a whole process;");
        md.AppendLine("**xfs_io process** = xfs_io doing the syscalls of the mechanism MovData uses there (reflink + fsync, or copy_range + fsync; then fpunch + fdatasync),");
        md.AppendLine("as two processes, because xfs_io applies every -c command to every file it has open; **xfs_io start-up** = one xfs_io opening a file and doing nothing (stat);");
        md.AppendLine("**copy_file_range** = the kernel's copy, then punch;");
        md.AppendLine("**filestream** = what a .NET program does without MovData: RandomAccess read/write in 1 MiB pieces, flush, punch.");
        md.AppendLine("Each cell: median, with 10th–90th percentile in brackets.");
        md.AppendLine();
        Figures(md, results, fragmentation);
        foreach (IGrouping<string, Result> fs in results.GroupBy(r => r.Fs))
        {
            md.AppendLine(Inv, $"## {fs.Key}");
            md.AppendLine();
            string[] contenders = [.. Order.Where(c => fs.Any(r => r.Contender == c))];
            md.AppendLine("| size | " + string.Join(" | ", contenders) + " |");
            md.AppendLine("|---|" + string.Concat(contenders.Select(_ => "---|")));
            foreach (IGrouping<long, Result> size in fs.GroupBy(r => r.Size))
            {
                md.Append(Inv, $"| {Scenarios.Human(size.Key)} |");
                foreach (string c in contenders)
                {
                    Result r = size.Single(x => x.Contender == c);
                    md.Append(Inv, $" {Time(r.MedianUs)} [{Time(r.P10Us)}–{Time(r.P90Us)}] |");
                }
                md.AppendLine();
            }
            md.AppendLine();
            string? plot = plots.FirstOrDefault(p => p.EndsWith($"-{fs.Key}.png", StringComparison.Ordinal));
            if (plot is not null)
            {
                md.AppendLine(Inv, $"![time against size on {fs.Key}, log scale]({Path.GetRelativePath(pageDir, plot)})");
                md.AppendLine();
            }
        }
        if (fragmentation.Count > 0)
        {
            md.AppendLine("## Move time against fragmentation");
            md.AppendLine();
            md.AppendLine(Inv, $"A donor of {Scenarios.Human(fragmentation[0].Size)} made of N extents, moved whole into a sparse receiver. The donor is built by cloning the pieces of a contiguous file in reverse order and deleting that file, so no extent is physically next to its logical neighbour; extents are counted with FIEMAP after building. Only filesystems where MovData hands extents over are measured: where it copies (ext4, tmpfs), time follows bytes, as the size tables show.");
            md.AppendLine();
            md.AppendLine("| fs | extents | method | median | per extent |");
            md.AppendLine("|---|---|---|---|---|");
            foreach (FragmentationResult r in fragmentation)
            {
                md.AppendLine(Inv, $"| {r.Fs} | {r.Extents} | {r.Method} | {Time(r.MedianUs)} | {r.MedianUs / (double)r.Extents:0.###} µs |");
            }
            md.AppendLine();
        }
        md.AppendLine("## Memory");
        md.AppendLine();
        md.AppendLine("Peak resident memory of the `movdata move` process (GNU time's %M), highest over its runs:");
        md.AppendLine();
        md.AppendLine("| fs | " + string.Join(" | ", options.Sizes.Select(Scenarios.Human)) + " |");
        md.AppendLine("|---|" + string.Concat(options.Sizes.Select(_ => "---|")));
        foreach (IGrouping<string, Result> fs in results.Where(r => r.Contender == "movdata process").GroupBy(r => r.Fs))
        {
            md.AppendLine($"| {fs.Key} | " + string.Join(" | ", fs.Select(r => string.Create(Inv, $"{r.MaxRssKiB / 1024.0:0.0} MiB"))) + " |");
        }
        md.AppendLine();
        md.AppendLine("## Reproduce");
        md.AppendLine();
        md.AppendLine("    sudo bench/run.sh            # full run: makes 12 GiB sparse scratch images, about 15 minutes");
        md.AppendLine("    sudo bench/run.sh --smoke    # tiny sizes, one run: what CI runs so the harness cannot rot");
        md.AppendLine();
        string overhead = Path.GetRelativePath(pageDir, Path.Combine(options.Docs ?? Path.GetFullPath("docs"), "benchmarks-overhead.md"));
        md.AppendLine(Inv, $"Raw numbers: `bench/results/latest/results.json` (every sample) and `results.csv`. MovData's in-process overhead against its bare syscalls, measured with BenchmarkDotNet: [benchmarks-overhead.md]({overhead}).");
        return md.ToString();
    }

    /// <summary>The figures the performance issue asks for, as ratios within this run.</summary>
    private static void Figures(StringBuilder md, List<Result> results, List<FragmentationResult> fragmentation)
    {
        Result? Find(string fs, long size, string contender) => results.FirstOrDefault(r => r.Fs == fs && r.Size == size && r.Contender == contender);
        md.AppendLine("## The figures to reach");
        md.AppendLine();
        md.AppendLine("| figure | target | measured | |");
        md.AppendLine("|---|---|---|---|");
        void Row(string figure, string target, double? value, Func<double, bool> ok, string format)
        {
            string measured = value is double v ? v.ToString(format, Inv) : "not measured in this run";
            string verdict = value is double w ? (ok(w) ? "met" : "**missed**") : "";
            md.AppendLine(string.Create(Inv, $"| {figure} | {target} | {measured} | {verdict} |"));
        }
        const long G = 1L << 30, M4 = 4L << 20, G4 = 4L << 30;
        Result? fsXfs1G = Find("xfs", G, "filestream"), mvXfs1G = Find("xfs", G, "movdata");
        Row("XFS, 1 GiB: filestream time / Move time", "≥ 500", fsXfs1G is null || mvXfs1G is null ? null : fsXfs1G.MedianUs / (double)mvXfs1G.MedianUs, v => v >= 500, "0");
        Result? mv4G = Find("xfs", G4, "movdata"), mv4M = Find("xfs", M4, "movdata");
        Row("XFS, one extent: Move 4 GiB / Move 4 MiB", "≤ 2", mv4G is null || mv4M is null ? null : mv4G.MedianUs / (double)mv4M.MedianUs, v => v <= 2, "0.00");
        Result? io = Find("xfs", M4, "xfs_io process"), io0 = Find("xfs", M4, "xfs_io start-up"), mvp = Find("xfs", M4, "movdata process");
        Row("XFS, 4 MiB: in-process Move / xfs_io's syscalls (its two processes − two start-ups)", "≤ 1.2",
            io is null || io0 is null || mv4M is null ? null : mv4M.MedianUs / (double)Math.Max(1, io.MedianUs - (2 * io0.MedianUs)), v => v <= 1.2, "0.00");
        Row("XFS, 4 MiB: movdata process / one xfs_io process doing it all (its two − one start-up)", "≤ 2",
            io is null || io0 is null || mvp is null ? null : mvp.MedianUs / (double)Math.Max(1, io.MedianUs - io0.MedianUs), v => v <= 2, "0.00");
        long? rss = results.Where(r => r.Contender == "movdata process").Max(r => r.MaxRssKiB);
        Row("peak memory of movdata move, any size, any filesystem", "< 64 MiB", rss / 1024.0, v => v < 64, "0.0' MiB'");
        long largest = results.Where(r => r.Fs == "ext4").Select(r => r.Size).DefaultIfEmpty().Max();
        Result? e4 = Find("ext4", largest, "movdata"), e4c = Find("ext4", largest, "copy_file_range");
        Row($"ext4, {(largest > 0 ? Scenarios.Human(largest) : "-")}: Move (copy-punch) / copy_file_range + punch", "≤ 1.1", e4 is null || e4c is null ? null : e4.MedianUs / (double)e4c.MedianUs, v => v <= 1.1, "0.00");
        md.AppendLine();
    }

    private static bool Plot(string fs, List<Result> results, string png, string dataDir)
    {
        string data = Path.Combine(dataDir, $"plot-{fs}.dat");
        string[] contenders = [.. Order.Where(c => c != "xfs_io start-up" && results.Any(r => r.Contender == c))];
        var text = new StringBuilder();
        foreach (string c in contenders)
        {
            text.AppendLine(Inv, $"# {c}");
            foreach (Result r in results.Where(r => r.Contender == c).OrderBy(r => r.Size))
            {
                text.AppendLine(Inv, $"{r.Size} {r.MedianUs / 1000.0}");
            }
            text.AppendLine();
            text.AppendLine();
        }
        File.WriteAllText(data, text.ToString());
        string plots = string.Join(", ", contenders.Select((c, i) => $"'{data}' index {i} with linespoints lw 2 title '{c}'"));
        string script = $"""
            set terminal pngcairo size 900,560 font 'sans,11' noenhanced
            set output '{png}'
            set title 'Move time against size on {fs} (median, durable)'
            set logscale xy
            set xlabel 'range size (bytes)'
            set ylabel 'time (ms)'
            set key top left
            set grid
            plot {plots}
            """;
        try
        {
            var psi = new ProcessStartInfo("gnuplot") { RedirectStandardInput = true, RedirectStandardError = true };
            using Process p = Process.Start(psi)!;
            p.StandardInput.Write(script);
            p.StandardInput.Close();
            string err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0)
            {
                Console.Error.WriteLine($"bench: gnuplot failed: {err}");
            }
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine("bench: gnuplot not found (apt-get install gnuplot-nox): no plot");
            return false;
        }
    }

    private static string Time(long us) => us switch
    {
        >= 1_000_000 => $"{us / 1e6:0.00} s",
        >= 1_000 => $"{us / 1e3:0.0} ms",
        _ => $"{us} µs",
    };

    private static string Machine()
    {
        string model = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        string mem = File.ReadLines("/proc/meminfo").First().Split(':', 2)[1].Trim();
        return $"{model}, {Environment.ProcessorCount} cores, {mem} memory";
    }

    private static string Run(string program, params string[] args)
    {
        try
        {
            var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in args)
            {
                psi.ArgumentList.Add(a);
            }
            using Process p = Process.Start(psi)!;
            string output = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return output;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return $"{program}: not found";
        }
    }
}
