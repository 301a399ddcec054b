using System.CommandLine;
using MovData.Media;

namespace MovData.Cli.Commands;

/// <summary>movdata restore: undo a cut from the file its removed parts were saved to.</summary>
internal static class RestoreCommand
{
    internal static Command Create(Io io)
    {
        Argument<string> path = Shared.File("REC", "the recording a cut with --save-removed changed, put back in place");
        Argument<string> saved = Shared.File("SAVED", "the file that cut saved the removed parts to (removed once they are back)");
        Option<bool> dryRun = new("--dry-run") { Description = "say what would be put back and how; change nothing" };
        Option<bool> zeroCopyOnly = Shared.ZeroCopyOnly();
        Option<bool> json = Shared.Json();
        Option<bool> verbose = Shared.Verbose();
        var command = new Command("restore", Shared.Describe(
            "Undo a cut: the collapsed blocks come back as holes, the parts saved by --save-removed move back into them, the bytes the cut overwrote and the EDL it replaced are written back, and SAVED is removed. REC is then byte for byte as before the cut, given SAVED as the cut left it (its manifest, and each part's first and last 4 KiB, are checked; a part changed elsewhere comes back changed). Undo several cuts last first.",
            "movdata restore match.ts ads.ts"))
        {
            path, saved, dryRun, zeroCopyOnly, json, verbose,
        };
        command.SetAction(p => Shared.Guard(io, p.GetValue(verbose), p.GetValue(json), () =>
        {
            string rec = p.GetValue(path)!;
            var options = new RestoreOptions
            {
                DryRun = p.GetValue(dryRun),
                Flags = p.GetValue(zeroCopyOnly) ? MoveFlags.ZeroCopyOnly : MoveFlags.None,
            };
            RestoreResult r = ProgressLine.Around(io, p.GetValue(json), 0, "restore", progress =>
                MediaFile.Restore(rec, p.GetValue(saved)!, options, progress, io.Cancel));
            Write(io, p.GetValue(json), rec, r);
            return 0;
        }));
        return command;
    }

    private static void Write(Io io, bool json, string rec, RestoreResult r)
    {
        Shared.ReportRecovered(io, r.Recovered);
        if (json)
        {
            Shared.WriteJson(io, w =>
            {
                w.WriteStartObject();
                w.WriteString("format", MediaText.FormatName(r.Format));
                w.WriteNumber("sizeBefore", r.SizeBefore);
                w.WriteNumber("sizeAfter", r.SizeAfter);
                Shared.WriteObjects(w, "restored", r.Restored, (w, x) =>
                {
                    w.WriteNumber("from", Math.Round(x.From, 3));
                    w.WriteNumber("to", Math.Round(x.To, 3));
                });
                w.WriteNumber("bytesWritten", r.BytesWritten);
                w.WriteNumber("bytesCopied", r.BytesCopied);
                w.WriteString("method", r.Method.ToContractName());
                w.WriteString("partsMethod", r.PartsMethod.ToContractName());
                if (r.SavedFrom is not null)
                {
                    w.WriteString("savedFrom", r.SavedFrom);
                }
                if (r.EdlRestoredTo is not null)
                {
                    w.WriteString("edlRestoredTo", r.EdlRestoredTo);
                }
                if (r.EdlNote is not null)
                {
                    w.WriteString("edlNote", r.EdlNote);
                }
                if (r.DryRun)
                {
                    w.WriteBoolean("dryRun", true);
                }
                Shared.WriteRecovered(w, r.Recovered);
                w.WriteEndObject();
            });
            return;
        }
        var o = io.Out;
        string verb = r.DryRun ? "would put back" : "put back";
        o.WriteLine(MediaText.Invariant($"{rec}: {MediaText.FormatName(r.Format)}, {r.SizeBefore} -> {r.SizeAfter} bytes{(r.DryRun ? " (dry run: nothing changed)" : "")}"));
        o.WriteLine($"  {"from",-14} to");
        foreach (TimeRange x in r.Restored)
        {
            o.WriteLine(MediaText.Invariant($"  {MediaText.Clock(x.From),-14} {MediaText.Clock(x.To)}"));
        }
        o.WriteLine(MediaText.Invariant($"  {verb}: holes {r.Method.ToContractName()}, parts {r.PartsMethod.ToContractName()}; {r.BytesWritten} bytes {(r.DryRun ? "to write" : "written")}, {r.BytesCopied} bytes {(r.DryRun ? "to copy" : "copied")}"));
        if (r.EdlRestoredTo is not null)
        {
            o.WriteLine($"  {(r.DryRun ? "would write" : "wrote")} the original EDL back to {r.EdlRestoredTo}");
        }
        if (r.EdlNote is not null)
        {
            o.WriteLine($"  {r.EdlNote}");
        }
        if (r.SavedFrom is not null && !r.DryRun)
        {
            o.WriteLine($"  {r.SavedFrom} removed");
        }
    }
}
