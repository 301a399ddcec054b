using System.CommandLine;
using System.Globalization;
using MovData.Media;

namespace MovData.Cli.Commands;

/// <summary>movdata cut: remove time ranges from a recording in place, at metadata cost.</summary>
internal static class CutCommand
{
    internal static Command Create(Io io)
    {
        Argument<string> path = Shared.File("REC", "an MPEG-TS, M2TS, MP4 or MOV recording, changed in place");
        Option<string[]> remove = new("--remove") { Description = "a range to remove, FROM-TO (seconds, MM:SS[.fff] or HH:MM:SS[.fff]); repeat for more", AllowMultipleArgumentsPerToken = false };
        Option<string> keep = new("--keep") { Description = "keep only FROM-TO, removing what is before and after it" };
        Option<string> edl = new("--edl") { Description = "remove the ranges of an MPlayer/comskip EDL file (types 0 and 3); one named like REC (REC.edl) is replaced by join markers (type 2)" };
        Option<bool> exact = new("--exact") { Description = "cut at the frames nearest the times instead of snapping to keyframes" };
        Option<string> saveRemoved = new("--save-removed") { Description = "move what is removed into this new file (a playable recording) instead of discarding it" };
        Option<bool> zeroCopyOnly = Shared.ZeroCopyOnly();
        Option<bool> timings = new("--timings") { Description = "also report each phase's time and reads, and every call the cut made to the disk" };
        Option<bool> json = Shared.Json();
        Option<bool> verbose = Shared.Verbose();
        var command = new Command("cut", Shared.Describe(
            "Remove time ranges from REC in place: snapped to keyframes, whole blocks collapsed, the rest null packets (MP4: bytes no sample references, and a new moov); nothing after a cut is copied. Give --remove (repeatable), --keep or --edl.",
            "movdata cut match.ts --remove 12:00-15:30 --remove 41:10-44:00 --save-removed ads.ts"))
        {
            path, remove, keep, edl, exact, saveRemoved, zeroCopyOnly, timings, json, verbose,
        };
        command.SetAction(p => Shared.Guard(io, p.GetValue(verbose), p.GetValue(json), () =>
        {
            string rec = p.GetValue(path)!;
            string[] removes = p.GetValue(remove) ?? [];
            string? keepText = p.GetValue(keep), edlPath = p.GetValue(edl);
            int given = (removes.Length > 0 ? 1 : 0) + (keepText is null ? 0 : 1) + (edlPath is null ? 0 : 1);
            if (given != 1)
            {
                throw new ArgumentException("give the ranges one way: --remove FROM-TO (repeatable), --keep FROM-TO, or --edl FILE");
            }
            var options = new CutOptions
            {
                Exact = p.GetValue(exact),
                SaveRemovedTo = p.GetValue(saveRemoved),
                Flags = p.GetValue(zeroCopyOnly) ? MoveFlags.ZeroCopyOnly : MoveFlags.None,
                Edl = edlPath,
            };
            CutResult r = ProgressLine.Around(io, p.GetValue(json), 0, "cut", progress =>
                keepText is not null
                    ? MediaFile.Keep(rec, Parse("--keep", keepText), options, progress, io.Cancel)
                    : MediaFile.Cut(rec, edlPath is not null ? ReadEdl(edlPath) : [.. removes.Select(t => Parse("--remove", t))], options, progress, io.Cancel));
            Write(io, p.GetValue(json), rec, r, p.GetValue(timings) ? r.Timings : null);
            return 0;
        }));
        return command;
    }

    private static TimeRange Parse(string option, string text)
    {
        try
        {
            return EditDecisionList.ParseRange(text);
        }
        catch (FormatException e)
        {
            throw new ArgumentException($"{option} {text}: {e.Message}", e);
        }
    }

    private static IReadOnlyList<TimeRange> ReadEdl(string path)
    {
        string text = File.ReadAllText(path);
        try
        {
            IReadOnlyList<TimeRange> ranges = EditDecisionList.Parse(text);
            return ranges.Count > 0 ? ranges : throw new ArgumentException($"--edl {path}: no line of type 0 (cut) or 3 (commercial break)");
        }
        catch (FormatException e)
        {
            throw new ArgumentException($"--edl {path}: {e.Message}", e);
        }
    }

    private static void Write(Io io, bool json, string rec, CutResult r, CutTimings? timings)
    {
        Shared.ReportRecovered(io, r.Recovered);
        if (json)
        {
            Shared.WriteJson(io, w =>
            {
                w.WriteStartObject();
                w.WriteString("format", MediaText.FormatName(r.Format));
                if (r.TransportStream is { } ts)
                {
                    w.WriteNumber("packetSize", ts.PacketSize);
                }
                w.WriteNumber("durationBefore", Math.Round(r.DurationBefore, 3));
                w.WriteNumber("durationAfter", Math.Round(r.DurationAfter, 3));
                Shared.WriteObjects(w, "removed", r.Removed, (w, x) =>
                {
                    w.WriteNumber("from", Math.Round(x.From, 3));
                    w.WriteNumber("to", Math.Round(x.To, 3));
                    w.WriteNumber("offset", x.Offset);
                    w.WriteNumber("length", x.Length);
                });
                w.WriteStartArray("unchanged");
                foreach (TimeRange t in r.Unchanged)
                {
                    w.WriteStringValue(t.ToString());
                }
                w.WriteEndArray();
                w.WriteNumber("bytesWritten", r.BytesWritten);
                w.WriteNumber("bytesCopied", r.BytesCopied);
                w.WriteString("method", r.Method.ToContractName());
                if (r.SavedTo is not null)
                {
                    w.WriteString("savedTo", r.SavedTo);
                }
                if (r.EdlReplaced is not null)
                {
                    w.WriteString("edlReplaced", r.EdlReplaced);
                }
                Shared.WriteRecovered(w, r.Recovered);
                if (timings is not null)
                {
                    WriteTimings(w, timings);
                }
                w.WriteEndObject();
            });
            return;
        }
        var o = io.Out;
        o.WriteLine(MediaText.Invariant($"{rec}: {MediaText.FormatName(r.Format)}, {MediaText.Clock(r.DurationBefore)} -> {MediaText.Clock(r.DurationAfter)}"));
        o.WriteLine($"  {"from",-14} {"to",-14} {"offset",14} {"length",14}");
        foreach (RemovedRange x in r.Removed)
        {
            o.WriteLine(MediaText.Invariant($"  {MediaText.Clock(x.From),-14} {MediaText.Clock(x.To),-14} {x.Offset,14} {x.Length,14}"));
        }
        foreach (TimeRange t in r.Unchanged)
        {
            o.WriteLine($"  {t}: holds no whole GOP (keyframe to keyframe); nothing removed");
        }
        o.WriteLine(MediaText.Invariant($"  {r.BytesWritten} bytes written, {r.BytesCopied} bytes copied, tail shifted: {r.Method.ToContractName()}"));
        if (r.SavedTo is not null)
        {
            o.WriteLine($"  removed parts saved to {r.SavedTo}");
        }
        if (r.EdlReplaced is not null)
        {
            o.WriteLine($"  {r.EdlReplaced} now marks the joins (type 2), so no player skips programme");
        }
        if (timings is not null)
        {
            o.WriteLine(Invariant($"  since main: {Program.SinceStart.TotalMilliseconds:0.000} ms"));
            foreach (CutPhase phase in timings.Phases)
            {
                o.WriteLine(Invariant($"  {phase.Name,-8} {phase.Time.TotalMilliseconds,9:0.000} ms{(phase.Reads > 0 ? $", {phase.Reads} reads, {phase.BytesRead} bytes" : "")}"));
            }
            foreach (CutCall c in timings.Calls)
            {
                o.WriteLine(Invariant($"    {c.Call,-12} {c.File,-10} {c.Offset,14} {c.Length,12}{(c.Target >= 0 ? $" -> {c.Target}" : "")} {c.Time.TotalMilliseconds,9:0.000} ms"));
            }
        }
    }

    /// <summary>The <c>"timings"</c> member: milliseconds since main, each phase, each call.</summary>
    private static void WriteTimings(System.Text.Json.Utf8JsonWriter w, CutTimings timings)
    {
        w.WriteStartObject("timings");
        w.WriteNumber("sinceMainMs", Math.Round(Program.SinceStart.TotalMilliseconds, 3));
        Shared.WriteObjects(w, "phases", timings.Phases, (w, phase) =>
        {
            w.WriteString("phase", phase.Name);
            w.WriteNumber("ms", Math.Round(phase.Time.TotalMilliseconds, 3));
            w.WriteNumber("reads", phase.Reads);
            w.WriteNumber("bytesRead", phase.BytesRead);
        });
        Shared.WriteObjects(w, "calls", timings.Calls, (w, c) =>
        {
            w.WriteString("call", c.Call);
            w.WriteString("file", c.File);
            w.WriteNumber("offset", c.Offset);
            w.WriteNumber("length", c.Length);
            if (c.Target >= 0)
            {
                w.WriteNumber("target", c.Target);
            }
            w.WriteNumber("ms", Math.Round(c.Time.TotalMilliseconds, 3));
        });
        w.WriteEndObject();
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
