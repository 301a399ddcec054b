using System.CommandLine;
using System.Text.Json;

namespace MovData.Cli.Commands;

/// <summary>
/// movdata defrag: files, or with -r the files under directories, rewritten onto fresh
/// contiguous blocks through their filesystem's own primitive; --check only measures,
/// --dry-run plans. One failing file does not stop the others (as e4defrag and xfs_fsr go on);
/// the exit code is the first failure's.
/// </summary>
internal static class DefragCommand
{
    internal static Command Create(Io io)
    {
        var paths = new Argument<string[]>("PATH") { Description = "files to defragment, or directories with -r", Arity = ArgumentArity.OneOrMore };
        // A list of paths would otherwise swallow a mistyped option as a file name.
        paths.Validators.Add(result =>
        {
            foreach (var token in result.Tokens.Where(t => t.Value.Length > 1 && t.Value.StartsWith('-')))
            {
                result.AddError($"unrecognized option '{token.Value}' (a file whose name begins with '-' is written ./{token.Value})");
            }
        });
        var recursive = new Option<bool>("--recursive", "-r") { Description = "defragment every regular file under each directory given" };
        var check = new Option<bool>("--check") { Description = "only report each file's extents, its ideal count and a score (0: nothing to gain); change nothing" };
        var dryRun = new Option<bool>("--dry-run") { Description = "check everything a defragment would (support, writers, free space) and say what it would do; change nothing" };
        Option<bool> json = Shared.Json();
        Option<bool> verbose = Shared.Verbose();
        var command = new Command("defrag", Shared.Describe(
            "Rewrite files onto fresh contiguous blocks: XFS by copy and commit-range or dedupe, ext4 by EXT4_IOC_MOVE_EXT, btrfs by BTRFS_IOC_DEFRAG_RANGE. Files at their ideal extent count are skipped; a file open for writing elsewhere is refused.",
            "movdata defrag -r /srv/recordings   (or: movdata defrag --check rec.ts)"))
        {
            paths, recursive, check, dryRun, json, verbose,
        };
        command.SetAction(p => Shared.Guard(io, p.GetValue(verbose), p.GetValue(json), () =>
            Run(io, p.GetValue(paths)!, p.GetValue(recursive), p.GetValue(check), p.GetValue(dryRun), p.GetValue(json), p.GetValue(verbose))));
        return command;
    }

    private enum Outcome
    {
        Done,
        Skipped,
        Failed,
    }

    /// <summary>What happened to one path: a defragment's (or a dry run's) result, a check's
    /// report, or why it failed.</summary>
    private sealed record FileOutcome(string Path, Outcome Outcome, DefragmentResult? Result = null, FragmentationReport? Report = null,
        ExitCode Code = ExitCode.Success, Exception? Error = null, string? Message = null);

    private static int Run(Io io, string[] paths, bool recursive, bool check, bool dryRun, bool json, bool verbose)
    {
        var outcomes = new List<FileOutcome>();
        var files = new List<string>();
        foreach (string path in paths)
        {
            if (Directory.Exists(path))
            {
                if (recursive)
                {
                    files.AddRange(FilesUnder(path));
                }
                else
                {
                    outcomes.Add(Fail(io, path, new ArgumentException("is a directory; defrag -r defragments the files under it"), verbose));
                }
            }
            else
            {
                files.Add(path);
            }
        }
        long total = files.Sum(f => File.Exists(f) ? new FileInfo(f).Length : 0);
        bool interrupted = false;
        ProgressLine.Around(io, json || check, Math.Max(total, 1), "defrag", progress =>
        {
            long before = 0;
            foreach (string file in files)
            {
                long size = File.Exists(file) ? new FileInfo(file).Length : 0;
                long at = before;
                FileOutcome outcome = One(io, file, check, dryRun, verbose, progress is null ? null : new Progress(progress, at));
                outcomes.Add(outcome);
                before += size;
                progress?.Report(before);
                if (outcome.Error is OperationCanceledException)
                {
                    interrupted = true;
                    break;
                }
            }
            return 0;
        });
        if (json)
        {
            WriteJson(io, outcomes, check, dryRun);
        }
        else
        {
            foreach (FileOutcome o in outcomes.Where(o => o.Outcome != Outcome.Failed))
            {
                io.Out.WriteLine($"{o.Path}: {Describe(o)}");
            }
            if (outcomes.Count > 1 || recursive)
            {
                io.Out.WriteLine(Summary(outcomes, check, dryRun));
            }
        }
        if (interrupted)
        {
            return (int)ExitCode.Interrupted;
        }
        return (int)(outcomes.FirstOrDefault(o => o.Outcome == Outcome.Failed)?.Code ?? ExitCode.Success);
    }

    /// <summary>The regular files under a directory, in a stable order, not following links
    /// and leaving MovData's journals out.</summary>
    private static IEnumerable<string> FilesUnder(string directory) =>
        new DirectoryInfo(directory).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = false })
            .Where(f => !f.FullName.Contains("/.movdata-journal/", StringComparison.Ordinal))
            .Select(f => Path.Join(directory, Path.GetRelativePath(directory, f.FullName)))
            .Order(StringComparer.Ordinal);

    private static FileOutcome One(Io io, string path, bool check, bool dryRun, bool verbose, IProgress<long>? progress)
    {
        try
        {
            if (check)
            {
                FragmentationReport report = FileRange.Fragmentation(path);
                return new FileOutcome(path, report.AtIdeal ? Outcome.Skipped : Outcome.Done, Report: report);
            }
            DefragmentResult r = FileRange.Defragment(path, new DefragmentOptions { DryRun = dryRun }, progress, io.Cancel);
            return new FileOutcome(path, r.Skipped ? Outcome.Skipped : Outcome.Done, Result: r);
        }
        catch (Exception e)
        {
            return Fail(io, path, e, verbose);
        }
    }

    private static FileOutcome Fail(Io io, string path, Exception e, bool verbose)
    {
        (ExitCode code, string message) = Shared.Classify(e);
        io.Err.WriteLine($"movdata: {path}: {message}");
        if (verbose)
        {
            io.Err.WriteLine(e.ToString());
        }
        return new FileOutcome(path, Outcome.Failed, Code: code, Error: e, Message: message);
    }

    /// <summary>One file's line: "1018 extents -> 1 (ideal 1), 64 MiB copied by copy-clone".</summary>
    private static string Describe(FileOutcome o)
    {
        if (o.Report is { } c)
        {
            return $"{Extents(c.Extents)}, ideal {c.IdealExtents}, score {c.Score}" + (c.SharedBytes > 0 ? $", {Sizes.Human(c.SharedBytes)} shared" : "");
        }
        DefragmentResult r = o.Result!;
        if (r.Skipped)
        {
            return r.AtIdeal
                ? $"{Extents(r.ExtentsBefore)}, already at its ideal ({r.IdealExtents}): skipped"
                : $"{Extents(r.ExtentsBefore)}, ideal {r.IdealExtents}: skipped, the free space is as fragmented as the file";
        }
        string shared = r.SharedBytesUnshared > 0 ? $", {Sizes.Human(r.SharedBytesUnshared)} shared with other files {(r.DryRun ? "would become" : "became")} its own" : "";
        return r.DryRun
            ? $"would defragment by {r.Method.ToContractName()}: {Extents(r.ExtentsBefore)} (ideal {r.IdealExtents}), {Sizes.Human(r.BytesCopied)} to copy{shared}"
            : $"{r.ExtentsBefore} extents -> {r.ExtentsAfter} (ideal {r.IdealExtents}), {Sizes.Human(r.BytesCopied)} copied by {r.Method.ToContractName()}{shared}";
    }

    private static string Extents(int n) => n == 1 ? "1 extent" : $"{n} extents";

    /// <summary>"3 files: 2 defragmented (2036 extents -> 2), 1 skipped, 0 failed".</summary>
    private static string Summary(List<FileOutcome> outcomes, bool check, bool dryRun)
    {
        int done = outcomes.Count(o => o.Outcome == Outcome.Done), skipped = outcomes.Count(o => o.Outcome == Outcome.Skipped), failed = outcomes.Count(o => o.Outcome == Outcome.Failed);
        string files = outcomes.Count == 1 ? "1 file" : $"{outcomes.Count} files";
        if (check)
        {
            return $"{files}: {done} fragmented, {skipped} at their ideal, {failed} failed";
        }
        List<DefragmentResult> results = outcomes.Where(o => o.Outcome == Outcome.Done).Select(o => o.Result!).ToList();
        string extents = results.Count == 0 ? "" : dryRun
            ? $" ({results.Sum(r => (long)r.ExtentsBefore)} extents, {Sizes.Human(results.Sum(r => r.BytesCopied))} to copy)"
            : $" ({results.Sum(r => (long)r.ExtentsBefore)} extents -> {results.Sum(r => (long)r.ExtentsAfter)})";
        return $"{files}: {done} {(dryRun ? "to defragment" : "defragmented")}{extents}, {skipped} skipped, {failed} failed";
    }

    private static void WriteJson(Io io, List<FileOutcome> outcomes, bool check, bool dryRun) => Shared.WriteJson(io, w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("files");
        foreach (FileOutcome o in outcomes)
        {
            w.WriteStartObject();
            w.WriteString("path", o.Path);
            w.WriteString("status", o.Outcome switch
            {
                Outcome.Failed => "failed",
                Outcome.Skipped => check ? "at-ideal" : "skipped",
                _ => check ? "fragmented" : dryRun ? "planned" : "defragmented",
            });
            if (o.Report is { } c)
            {
                w.WriteNumber("extents", c.Extents);
                w.WriteNumber("idealExtents", c.IdealExtents);
                w.WriteNumber("score", c.Score);
                w.WriteNumber("dataBytes", c.DataBytes);
                w.WriteNumber("sharedBytes", c.SharedBytes);
            }
            if (o.Result is { } r)
            {
                WriteResult(w, r);
            }
            if (o.Error is { } e)
            {
                Shared.WriteErrorObject(w, o.Code, e, o.Message!);
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteBoolean("dryRun", dryRun && !check);
        w.WriteNumber(check ? "fragmented" : dryRun ? "toDefragment" : "defragmented", outcomes.Count(o => o.Outcome == Outcome.Done));
        w.WriteNumber(check ? "atIdeal" : "skipped", outcomes.Count(o => o.Outcome == Outcome.Skipped));
        w.WriteNumber("failed", outcomes.Count(o => o.Outcome == Outcome.Failed));
        w.WriteEndObject();
    });

    private static void WriteResult(Utf8JsonWriter w, DefragmentResult r)
    {
        w.WriteString("method", r.Method.ToContractName());
        if (r.Skipped)
        {
            w.WriteString("reason", r.AtIdeal ? "at-ideal" : "no-improvement");
        }
        w.WriteNumber("extentsBefore", r.ExtentsBefore);
        if (!r.DryRun)
        {
            w.WriteNumber("extentsAfter", r.ExtentsAfter);
        }
        w.WriteNumber("idealExtents", r.IdealExtents);
        w.WriteNumber(r.DryRun ? "bytesToCopy" : "bytesCopied", r.BytesCopied);
        w.WriteNumber(r.DryRun ? "sharedBytesToUnshare" : "sharedBytesUnshared", r.SharedBytesUnshared);
    }

    /// <summary>One file's progress, as a part of the whole run's.</summary>
    private sealed class Progress(ProgressLine line, long offset) : IProgress<long>
    {
        public void Report(long value) => line.Report(offset + value);
    }
}
