using System.CommandLine;
using MovData.Media;

namespace MovData.Cli.Commands;

/// <summary>movdata cut: remove time ranges from a recording in place, at metadata cost; as a
/// DVR's post-processing hook, <c>--edl auto --save-removed auto --log FILE</c> (docs/dvr.md).</summary>
internal static class CutCommand
{
    internal static Command Create(Io io)
    {
        Argument<string> path = Shared.File("REC", "an MPEG-TS, M2TS, MP4 or MOV recording, changed in place");
        Option<string[]> remove = new("--remove") { Description = "a range to remove, FROM-TO (seconds, MM:SS[.fff] or HH:MM:SS[.fff]; TO end: to the end); repeat for more", AllowMultipleArgumentsPerToken = false };
        Option<string[]> keep = new("--keep") { Description = "keep only FROM-TO, removing what is before and after it; repeat to keep more ranges, in order (what lies between them is removed too)", AllowMultipleArgumentsPerToken = false };
        Option<string> edl = new("--edl") { Description = "remove the ranges of an MPlayer/comskip EDL file (types 0 and 3); auto: comskip's REC.edl beside REC, made by running comskip if there is none" };
        Option<string> comskipIni = new("--comskip-ini") { Description = "with --edl auto: the comskip.ini comskip runs with (its --ini)" };
        Option<bool> exact = new("--exact") { Description = "cut at the frames nearest the times instead of snapping to keyframes" };
        Option<string> saveRemoved = new("--save-removed") { Description = "move what is removed into this new file (a playable recording) instead of discarding it; auto: .REC.removed.EXT beside REC, hidden from DVR libraries, numbered after earlier cuts" };
        Option<bool> dryRun = new("--dry-run") { Description = "say what the cut would do (ranges snapped, bytes collapsed and written, method, durations) and change nothing" };
        Option<string?> wait = new("--wait") { Description = "if another process is writing REC (still recording), wait up to SECONDS (default 21600) for it to close it", Arity = ArgumentArity.ZeroOrOne };
        Option<string> log = new("--log") { Description = "append one line per run to this file: UTC time, REC, what was cut or why not, exit code" };
        Option<bool> zeroCopyOnly = Shared.ZeroCopyOnly();
        Option<bool> timings = new("--timings") { Description = "also report each phase's time and reads, and every call the cut made to the disk" };
        Option<bool> json = Shared.Json();
        Option<bool> verbose = Shared.Verbose();
        var command = new Command("cut", Shared.Describe(
            "Remove time ranges from REC in place: snapped to keyframes, whole blocks collapsed, the rest null packets (MP4: bytes no sample references, and a new moov); nothing after a cut is copied. Give --remove or --keep (each repeatable), or --edl. REC.edl beside REC (the EDL players apply) is rewritten as what is left of it, a marker (type 2) at each join, whatever the ranges came from.",
            "movdata cut match.ts --remove 12:00-15:30 --remove 41:10-44:00 --save-removed ads.ts\n  movdata cut /recordings/news.ts --edl auto --save-removed auto --log /var/log/movdata-cut.log   (a DVR's hook)"))
        {
            path, remove, keep, edl, comskipIni, exact, saveRemoved, dryRun, wait, log, zeroCopyOnly, timings, json, verbose,
        };
        command.SetAction(p =>
        {
            string rec = p.GetValue(path)!;
            bool asJson = p.GetValue(json);
            var outcome = new CutLog.Outcome();
            int code = Shared.Guard(io, p.GetValue(verbose), asJson, () => outcome.Watch(() =>
            {
                string[] removes = p.GetValue(remove) ?? [];
                string[] keeps = p.GetValue(keep) ?? [];
                string? edlText = p.GetValue(edl);
                int given = (removes.Length > 0 ? 1 : 0) + (keeps.Length > 0 ? 1 : 0) + (edlText is null ? 0 : 1);
                if (given != 1)
                {
                    throw new ArgumentException("give the ranges one way: --remove FROM-TO (repeatable), --keep FROM-TO (repeatable), or --edl FILE|auto");
                }
                if (p.GetValue(comskipIni) is not null && edlText != "auto")
                {
                    throw new ArgumentException("--comskip-ini is for --edl auto, which may run comskip");
                }
                // A recording still being made is not cut, or waited for; found here before
                // comskip reads it. Otherwise the cut's own refusal is enough: one scan of
                // /proc (a tenth of a cut's time on a busy machine), not two.
                bool waits = p.GetResult(wait) is not null;
                if (waits || edlText == "auto")
                {
                    WriterWait.Until(io, rec, waits ? WriterWait.Seconds(p.GetValue(wait)) : 0);
                }
                bool dry = p.GetValue(dryRun);
                // Where the ranges come from the EDL a cut rewrites (the player's, comskip's), an
                // interrupted cut of the recording is finished before that EDL is read. Ranges
                // given otherwise were meant for the recording as it was, and the cut itself
                // refuses them after finishing such an edit (InterruptedEditFinishedException).
                IReadOnlyList<RecoveredEdit> first = !dry && edlText is not null && (edlText == "auto" || SamePath(edlText, CutRanges.ComskipEdl(rec)))
                    ? MediaFile.FinishInterrupted(rec) : [];
                if (first.Any(e => e.Outcome == RecoveryOutcome.Finished))
                {
                    // That was this hook's cut, run before and stopped: its EDL now holds what it
                    // left of the breaks, in the times a player shows, which a transport stream's
                    // cut (reading its timestamps, kept across joins) does not share. Cut no more.
                    return outcome.Report(CutReport.NothingInEdl(io, asJson, rec, CutRanges.ComskipEdl(rec), first));
                }
                using Scratch comskipOutput = new(dry && edlText == "auto");
                string? edlPath = edlText is null ? null : CutRanges.EdlFor(rec, edlText, p.GetValue(comskipIni), comskipOutput.Path);
                if (p.GetValue(saveRemoved) is { } named && string.IsNullOrWhiteSpace(named))
                {
                    throw new ArgumentException("--save-removed: give a file name for the removed parts, or auto");
                }
                string? save = p.GetValue(saveRemoved) is "auto" ? RemovedParts.NextPath(rec) : p.GetValue(saveRemoved);
                var options = new CutOptions
                {
                    Exact = p.GetValue(exact),
                    SaveRemovedTo = save,
                    Flags = p.GetValue(zeroCopyOnly) ? MoveFlags.ZeroCopyOnly : MoveFlags.None,
                    DryRun = dry,
                };
                IReadOnlyList<TimeRange> ranges = keeps.Length > 0 ? [] : edlPath is not null ? CutRanges.ReadEdl(edlPath) : [.. removes.Select(t => CutRanges.Parse("--remove", t))];
                if (keeps.Length == 0 && ranges.Count == 0)
                {
                    return outcome.Report(CutReport.NothingInEdl(io, asJson, rec, edlPath!, first));
                }
                CutResult r = WriterWait.Hinting(() => ProgressLine.Around(io, asJson, 0, "cut", progress =>
                    keeps.Length > 0
                        ? MediaFile.Keep(rec, [.. keeps.Select(t => CutRanges.Parse("--keep", t))], options, progress, io.Cancel)
                        : MediaFile.Cut(rec, ranges, options, progress, io.Cancel)), waits);
                r = first.Count == 0 ? r : r with { Recovered = [.. first, .. r.Recovered] };
                return outcome.Report(CutReport.Write(io, asJson, rec, ranges, r, options.Exact, p.GetValue(timings) ? r.Timings : null));
            }));
            CutLog.Append(p.GetValue(log), rec, outcome, code, io.Err);
            return code;
        });
        return command;
    }

    private static bool SamePath(string a, string b) => Path.GetFullPath(a) == Path.GetFullPath(b);

    /// <summary>A directory of its own for what comskip writes during a dry run, removed after it (none otherwise).</summary>
    private sealed class Scratch(bool wanted) : IDisposable
    {
        internal string? Path { get; } = wanted ? Directory.CreateTempSubdirectory("movdata-comskip-").FullName : null;

        public void Dispose()
        {
            if (Path is not null)
            {
                Directory.Delete(Path, recursive: true);
            }
        }
    }
}
