using System.Globalization;
using System.Text.Json;
using MovData.Media;

namespace MovData.Cli.Commands;

/// <summary>
/// What `movdata cut` prints: the cut's result (or a dry run's, the same value with
/// <c>"dryRun": true</c>) as text or JSON, or that there was nothing to cut. Each returns the
/// one-line summary that --log records.
/// </summary>
internal static class CutReport
{
    /// <summary>The EDL held no range to cut, or an interrupted cut (the hook's own, run before)
    /// was finished first and the EDL is not read again: said, nothing else changed, exit 0 (a
    /// DVR such as Plex fails a recording whose hook exits non-zero).</summary>
    /// <param name="recovered">Interrupted edits of the recording finished before the EDL was read.</param>
    internal static string NothingInEdl(Io io, bool json, string rec, string edl, IReadOnlyList<RecoveredEdit> recovered)
    {
        string why = recovered.Any(r => r.Outcome == RecoveryOutcome.Finished)
            ? $"nothing more to cut: an interrupted cut of it, stopped part-way, was finished first, and the EDL {edl} now says what that cut left"
            : $"nothing to cut: the EDL {edl} has no line of type 0 (cut) or 3 (commercial break)";
        Shared.ReportRecovered(io, recovered);
        if (json)
        {
            Shared.WriteJson(io, w =>
            {
                w.WriteStartObject();
                w.WriteString("nothingToCut", why);
                w.WriteStartArray("removed");
                w.WriteEndArray();
                Shared.WriteRecovered(w, recovered);
                w.WriteEndObject();
            });
        }
        else
        {
            io.Out.WriteLine($"{rec}: {why}; nothing {(recovered.Any(r => r.Outcome == RecoveryOutcome.Finished) ? "else " : "")}changed");
        }
        return why;
    }

    /// <param name="exact">The cut was asked for at frames (--exact), not keyframes: a range
    /// that removed nothing held no frame, not no GOP.</param>
    internal static string Write(Io io, bool json, string rec, IReadOnlyList<TimeRange> asked, CutResult r, bool exact, CutTimings? timings)
    {
        Shared.ReportRecovered(io, r.Recovered);
        if (json)
        {
            WriteJson(io, r, exact, timings);
        }
        else
        {
            WriteText(io, rec, asked, r, exact, timings);
        }
        return Summary(r, exact);
    }

    /// <summary>"cut 3 range(s), 0:24:00.000 -> 0:20:30.000, removed parts saved to /r/.news.removed.ts".</summary>
    private static string Summary(CutResult r, bool exact)
    {
        if (r.Removed.Count == 0)
        {
            return NothingInRanges(r, exact);
        }
        string saved = r.SavedTo is null ? "" : $", removed parts {(r.DryRun ? "would be " : "")}saved to {r.SavedTo}";
        return Invariant($"{(r.DryRun ? "dry run: would cut" : "cut")} {r.Removed.Count} range(s) ({r.Removed.Sum(x => x.To - x.From):0.###} s), {MediaText.Clock(r.DurationBefore)} -> {MediaText.Clock(r.DurationAfter)}{saved}");
    }

    private static string NothingInRanges(CutResult r, bool exact) => r.Unchanged.Count == 0
        // Only a range that runs on to the end and starts past it (--keep's tail: --keep 0-100 of 20 s).
        ? $"nothing to cut: the recording ({MediaText.Clock(r.DurationBefore)}) ends before the ranges to remove begin (with --keep: it is all kept)"
        : exact
            ? $"nothing to cut: no range holds a frame (--exact cuts at the frames nearest its ends): {string.Join(", ", r.Unchanged)}"
            : $"nothing to cut: no range holds a whole GOP (keyframe to keyframe): {string.Join(", ", r.Unchanged)}";

    private static void WriteText(Io io, string rec, IReadOnlyList<TimeRange> asked, CutResult r, bool exact, CutTimings? timings)
    {
        var o = io.Out;
        if (r.Removed.Count == 0)
        {
            o.WriteLine($"{rec}: {NothingInRanges(r, exact)}; nothing {(r.Recovered.Any(e => e.Outcome == RecoveryOutcome.Finished) ? "else " : "")}changed");
            return;
        }
        o.WriteLine(Invariant($"{rec}: {MediaText.FormatName(r.Format)}, {MediaText.Clock(r.DurationBefore)} -> {MediaText.Clock(r.DurationAfter)}{(r.DryRun ? " (dry run: nothing changed)" : "")}"));
        if (r.DryRun)
        {
            // Each range asked, and the removed range it snapped into (ranges that touch
            // after snapping are one).
            foreach (TimeRange a in asked)
            {
                RemovedRange? into = r.Removed.FirstOrDefault(x => x.From <= a.To && x.To >= a.From);
                o.WriteLine(into is null
                    ? $"  asked {a}: no whole GOP in it, nothing removed"
                    : Invariant($"  asked {a}: snaps to {MediaText.Clock(into.From)}-{MediaText.Clock(into.To)}"));
            }
        }
        o.WriteLine($"  {"from",-14} {"to",-14} {"offset",14} {"length",14}");
        foreach (RemovedRange x in r.Removed)
        {
            o.WriteLine(Invariant($"  {MediaText.Clock(x.From),-14} {MediaText.Clock(x.To),-14} {x.Offset,14} {x.Length,14}"));
        }
        foreach (TimeRange t in r.DryRun ? [] : r.Unchanged)
        {
            o.WriteLine($"  {t}: holds no whole GOP (keyframe to keyframe); nothing removed");
        }
        if (r.DryRun)
        {
            if (r.TransportStream is not null)
            {
                o.WriteLine(Invariant($"  collapse (whole blocks): {Spans(r.Collapsed)}; {r.Removed.Sum(x => x.Length) - r.Collapsed.Sum(c => c.Length)} bytes of the removed ranges padded instead"));
                o.WriteLine(Invariant($"  write (padding, program tables, marks, in the file after the cut): {Spans(r.Written)}"));
            }
            else
            {
                // The collapses take the old moov too where it is rewritten at the end, and a
                // removed range's bytes are its video samples' only: no figure of what is left.
                o.WriteLine(Invariant($"  collapse (whole blocks): {Spans(r.Collapsed)}; what else the removed samples held stays in mdat, referenced by no sample"));
                o.WriteLine(Invariant($"  write (the new moov, box sizes, marks, in the file after the cut): {Spans(r.Written)}"));
            }
        }
        string would = r.DryRun ? "would be " : "";
        o.WriteLine(Invariant($"  {r.BytesWritten} bytes {would}written, {r.BytesCopied} bytes {would}copied, tail shifted: {r.Method.ToContractName()}"));
        if (r.SavedTo is not null)
        {
            o.WriteLine($"  removed parts {would}saved to {r.SavedTo}");
            if (!r.DryRun)
            {
                o.WriteLine($"  undo: movdata restore {Quoted(Path.GetFullPath(rec))} {Quoted(r.SavedTo)}");
            }
        }
        if (r.EdlReplaced is not null)
        {
            o.WriteLine($"  {r.EdlReplaced} {(r.DryRun ? "would then mark" : "now marks")} what the cut kept of its breaks and the other joins (type 2), in the cut's times");
        }
        if (timings is not null)
        {
            WriteTimingsText(o, timings);
        }
    }

    /// <summary>"188416 +1048576, 2097152 +65536 (1114112 bytes)".</summary>
    private static string Spans(IReadOnlyList<ByteSpan> spans) =>
        spans.Count == 0 ? "none" : Invariant($"{string.Join(", ", spans.Select(s => Invariant($"{s.Offset} +{s.Length}")))} ({spans.Sum(s => s.Length)} bytes)");

    /// <summary>A path as a POSIX shell reads it back: bare when it is only safe characters, else in single quotes.</summary>
    internal static string Quoted(string path) =>
        path.Length > 0 && path.All(c => char.IsAsciiLetterOrDigit(c) || "/._-+,:@%".Contains(c)) ? path : $"'{path.Replace("'", "'\\''", StringComparison.Ordinal)}'";

    private static void WriteJson(Io io, CutResult r, bool exact, CutTimings? timings) => Shared.WriteJson(io, w =>
    {
        w.WriteStartObject();
        if (r.DryRun)
        {
            w.WriteBoolean("dryRun", true);
        }
        if (r.Removed.Count == 0)
        {
            w.WriteString("nothingToCut", NothingInRanges(r, exact)); // as for an EDL with no break
        }
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
        WriteSpans(w, "collapsed", r.Collapsed);
        WriteSpans(w, "written", r.Written);
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
            WriteTimingsJson(w, timings);
        }
        w.WriteEndObject();
    });

    private static void WriteSpans(Utf8JsonWriter w, string name, IReadOnlyList<ByteSpan> spans) =>
        Shared.WriteObjects(w, name, spans, (w, s) =>
        {
            w.WriteNumber("offset", s.Offset);
            w.WriteNumber("length", s.Length);
        });

    private static void WriteTimingsText(TextWriter o, CutTimings timings)
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

    /// <summary>The <c>"timings"</c> member: milliseconds since main, each phase, each call.</summary>
    private static void WriteTimingsJson(Utf8JsonWriter w, CutTimings timings)
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
            if (c.Bytes is not null)
            {
                w.WriteString("bytes", c.Bytes);
            }
            w.WriteNumber("ms", Math.Round(c.Time.TotalMilliseconds, 3));
        });
        w.WriteEndObject();
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
