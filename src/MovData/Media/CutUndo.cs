using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using MovData.Edits;
using MovData.Operations;

namespace MovData.Media;

/// <summary>
/// Undo, whatever the format: what a cut adds to its layout so that it can be undone (the
/// manifest at the end of its file of removed parts, <see cref="SavedManifest"/>) and so that
/// no player applies a stale EDL to the cut recording; and how a restore turns that manifest
/// into the layout the edits layer runs (<see cref="RestoreLayout"/>), after checking that the
/// two files belong together. Formats take part only by carrying the manifest
/// (<see cref="ISavedManifestCarrier"/>).
/// </summary>
internal static class CutUndo
{
    /// <summary>
    /// <paramref name="plan"/>'s layout with the EDL named like the recording (the one a player
    /// applies to it), if there is one, replaced by what is left of it (<see cref="LeftOf"/>),
    /// whatever the ranges came from; and, where the removed parts are saved, the manifest
    /// appended to them (with that EDL's original bytes). Reads the recording as it is before the cut.
    /// </summary>
    /// <exception cref="InvalidDataException">The format cannot carry a manifest, or that EDL cannot be read.</exception>
    internal static CutLayout Prepare(SafeFileHandle file, FileFacts facts, IContainerFormat format, IMediaTimeline timeline, CutPlan plan, CutOptions options, string path, IReadOnlyList<RemovedRange> removed)
    {
        CutLayout layout = plan.Layout;
        if (plan.Cuts.Count == 0)
        {
            return layout;
        }
        SavedEdl? kept = null;
        string besideRec = PlayerEdl(path);
        if (File.Exists(besideRec))
        {
            // Whatever the ranges came from (--remove, --keep, another EDL), a player applies
            // this one to the recording: left as it was, it would skip programme after a cut.
            List<(double From, double To, int Type)> lines;
            try
            {
                lines = EditDecisionList.Lines(File.ReadAllText(besideRec));
            }
            catch (FormatException e)
            {
                throw new InvalidDataException($"{besideRec}, the EDL players apply to this recording, cannot be read ({e.Message}); a cut would leave it pointing at the wrong times: fix it or remove it");
            }
            byte[] markers = System.Text.Encoding.ASCII.GetBytes(LeftOf(lines, removed, Joins(plan.Cuts, removed, timeline), timeline.EndTime.Seconds));
            layout = layout with { Beside = new ReplacedFile(besideRec, markers) };
            kept = new SavedEdl(Path.GetFileName(besideRec), File.ReadAllBytes(besideRec), Convert.ToHexString(SHA256.HashData(markers)));
        }
        if (layout.Output is not { } output)
        {
            return layout;
        }
        if (format is not ISavedManifestCarrier carrier)
        {
            throw new InvalidDataException($"a cut of {format.Name} cannot yet save what it removes in a file it can be undone from");
        }
        SavedManifest manifest = SavedManifest.Build(file, facts, timeline.Format, layout, [.. removed.Select(r => new TimeRange(r.From, r.To))], output.Size, kept);
        Patch carried = carrier.Carry(timeline, output.Size, manifest.ToCarried());
        return layout with { Output = output with { Size = output.Size + carried.Length, Writes = [.. output.Writes, carried] } };
    }

    /// <summary>The EDL a player (Kodi, MPlayer) applies to <paramref name="recording"/>: the
    /// same name without its extension, plus .edl, beside it; as a full path.</summary>
    internal static string PlayerEdl(string recording) => Path.ChangeExtension(Path.GetFullPath(recording), ".edl");

    /// <summary>
    /// The EDL a cut leaves in place of the one it was made from, in the cut recording's
    /// seconds: every line of it, each less what the cut removed of it and moved back by what
    /// went before it. So a range to skip (type 0 or 3) keeps what the cut kept of it (snapped
    /// to keyframes, a range keeps up to a GOP at either edge, and one that holds no whole GOP
    /// all of itself), the parts either side of a join one range; a mute (type 1) keeps what is
    /// left of it, and a scene marker (type 2) in removed time goes. A scene marker is added at
    /// each join no range to skip holds. Before, only those markers were left, and a player
    /// showed the leftovers of the adverts, and muted nothing.
    /// </summary>
    internal static string LeftOf(IReadOnlyList<(double From, double To, int Type)> lines, IReadOnlyList<RemovedRange> removed, IReadOnlyList<double> joins, double end)
    {
        // Where a time kept is after the cut: less what went before it.
        double Now(double t) => t - removed.Where(x => x.To <= t + 0.0005).Sum(x => x.To - x.From);
        var left = new List<(double From, double To, int Type, bool Point)>();
        foreach ((double from, double until, int type) in lines.Where(l => l.From <= end))
        {
            if (until == from)
            {
                if (!removed.Any(x => x.From < from && from < x.To))
                {
                    left.Add((Now(from), Now(from), type, true));
                }
                continue;
            }
            double at = from, to = Math.Min(until, end);
            foreach (RemovedRange x in removed.Where(x => x.To > from && x.From < to))
            {
                if (x.From > at)
                {
                    left.Add((Now(at), Now(x.From), type, false));
                }
                at = Math.Max(at, x.To);
            }
            if (to > at)
            {
                left.Add((Now(at), Now(to), type, false));
            }
        }
        // The parts of one line, or of two of a type, that now meet are one.
        var merged = new List<(double From, double To, int Type, bool Point)>();
        foreach (var l in left.Where(l => l.Point || l.To - l.From > 0.0005).OrderBy(l => l.Type).ThenBy(l => l.From))
        {
            if (!l.Point && merged.Count > 0 && merged[^1] is { Point: false } m && m.Type == l.Type && l.From <= m.To + 0.0005)
            {
                merged[^1] = m with { To = Math.Max(m.To, l.To) };
            }
            else
            {
                merged.Add(l);
            }
        }
        var skipped = merged.Where(l => l.Type is EditDecisionList.Cut or EditDecisionList.CommercialBreak).ToList();
        IEnumerable<(double From, double To, int Type)> written = merged.Select(l => (l.From, l.To, l.Type))
            .Concat(joins.Where(j => !skipped.Any(b => b.From - 0.0005 <= j && j <= b.To + 0.0005)).Select(j => (j, j, EditDecisionList.SceneMarker)));
        return EditDecisionList.Write(written.OrderBy(l => l.From).ThenBy(l => l.Type));
    }

    /// <summary>Each join of the cut recording, in its seconds: where a removed range was,
    /// less what was removed before it; not the head or the end, which are no joins.</summary>
    private static List<double> Joins(List<PlannedCut> cuts, IReadOnlyList<RemovedRange> removed, IMediaTimeline timeline)
    {
        var joins = new List<double>();
        double gone = 0;
        for (int i = 0; i < cuts.Count; i++)
        {
            if (!cuts[i].Head && cuts[i].End < timeline.EndPosition)
            {
                joins.Add(removed[i].From - gone);
            }
            gone += removed[i].To - removed[i].From;
        }
        return joins;
    }

    /// <summary>
    /// Refuses to cut a file of removed parts (it ends in a manifest a cut with
    /// <see cref="CutOptions.SaveRemovedTo"/> wrote): it plays, so it looks like a recording to
    /// trim, but a cut of it would leave the restore it exists for refusing it as damaged.
    /// </summary>
    /// <exception cref="InvalidDataException">It is one; nothing changed.</exception>
    internal static void RefuseSavedParts(IContainerFormat format, IMediaTimeline timeline, string path)
    {
        if (IsSavedParts(format, timeline))
        {
            throw new InvalidDataException($"{path} holds the parts a cut removed from a recording, with what undoes that cut (`movdata restore RECORDING {path}`); a cut of it would leave that undo impossible: restore first, or remux it into a recording of its own (ffmpeg -i {path} -map 0 -c copy NEW{Path.GetExtension(path)}) and cut that");
        }
    }

    /// <summary>Whether the recording holds, where the cut overwrote it, what was there before
    /// the cut (as after a restore): every original byte the manifest keeps.</summary>
    private static bool HoldsOriginals(SafeFileHandle rec, SavedManifest m) =>
        m.Originals.Count > 0 && m.Originals.All(o => MediaReads.ReadAll(rec, o.Offset, o.Bytes.Length).AsSpan().SequenceEqual(o.Bytes));

    /// <summary>Whether the file is one a cut's --save-removed made: it ends in a manifest (one read).</summary>
    internal static bool IsSavedParts(IContainerFormat format, IMediaTimeline timeline) =>
        format is ISavedManifestCarrier carrier && carrier.Carries(timeline);

    /// <summary>
    /// The manifest at the end of <paramref name="saved"/> and the restore it describes, once
    /// the recording is shown to be the one the cut left: its size, and every window's SHA-256.
    /// </summary>
    /// <exception cref="InvalidDataException">The saved file is not one a cut made, is
    /// truncated or damaged, or does not belong to the recording as it is now; the message
    /// says which, and for a recording cut again since, which restore comes first.</exception>
    internal static (SavedManifest Manifest, RestoreLayout Layout, string? EdlNote) Plan(SafeFileHandle rec, string recPath, long recSize, SafeFileHandle saved, string savedPath, long savedSize)
    {
        byte[] buffer = new byte[(int)Math.Min(savedSize, MediaFormats.HeadBytes)];
        ReadOnlySpan<byte> head = buffer.AsSpan(0, MediaReads.Read(saved, buffer, 0));
        IContainerFormat format;
        try
        {
            format = MediaFormats.Recognise(head);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{savedPath} is not a file of removed parts from `movdata cut --save-removed`: {e.Message}", e);
        }
        if (format is not ISavedManifestCarrier carrier)
        {
            throw new InvalidDataException($"{savedPath} is not a file of removed parts from `movdata cut --save-removed`: it is {format.Name}, which carries no MovData manifest");
        }
        (byte[] carried, long at) = carrier.FindCarried(saved, head, savedSize, savedPath);
        SavedManifest m = SavedManifest.FromCarried(carried, savedPath);
        if (m.Content != at || m.Parts.Any(p => p.Target < 0 || p.Target + p.Length > at))
        {
            throw new InvalidDataException($"{savedPath} is truncated or damaged: its manifest says the removed parts take its first {m.Content} bytes, but the manifest begins at {at}");
        }
        List<(long Offset, long Length, string Sha256)> changed = [.. m.Samples.Where(s => Convert.ToHexString(SHA256.HashData(MediaReads.ReadAll(saved, s.Offset, s.Length))) != s.Sha256)];
        if (changed.Count > 0)
        {
            throw new InvalidDataException(
                $"{savedPath} is damaged: {changed.Count} of the {m.Samples.Count} places checked in its removed parts (the first and last {SavedManifest.JoinWindow} bytes of each) no longer hold what the cut put there, the first at offset {changed[0].Offset}; nothing was changed");
        }
        int matching = m.Windows.Count(w => w.Offset + w.Length <= recSize && Convert.ToHexString(SHA256.HashData(MediaReads.ReadAll(rec, w.Offset, w.Length))) == w.Sha256);
        if (recSize != m.SizeAfter || matching < m.Windows.Count)
        {
            throw new InvalidDataException(recSize == m.SizeBefore && m.SizeBefore != m.SizeAfter && HoldsOriginals(rec, m)
                ? $"{recPath} looks already restored: it is {recSize} bytes, its size before the cut that made {savedPath} (which left {m.SizeAfter}), and holds what that cut overwrote (restored from a copy of {savedPath}, or a copy of the recording from before the cut?); nothing was changed"
                : matching > 0
                ? $"{recPath} was changed since the cut that made {savedPath} (it is {recSize} bytes, that cut left {m.SizeAfter}; {matching} of the {m.Windows.Count} places it wrote or joined still match): if it was cut again, undo the later cuts first, the last cut first; nothing was changed"
                : $"{savedPath} belongs to another recording: none of the {m.Windows.Count} places its cut wrote or joined in its recording ({m.SizeAfter} bytes after the cut) match {recPath} ({recSize} bytes), or that recording was changed everywhere the cut touched (a later cut of an MP4 rewrites all of them: undo the later cuts first, the last cut first); nothing was changed");
        }
        (ReplacedFile? edl, string? note) = Edl(m, recPath);
        return (m, new RestoreLayout(m.SizeAfter, m.SizeBefore, m.Removals, m.Parts, [.. m.Originals.Select(o => new Patch(o.Offset, o.Bytes.Length, o.Bytes))], edl), note);
    }

    /// <summary>The EDL the cut replaced, written back beside the recording where the cut's
    /// marker file is still there (or no file is); a file changed since is left, and said.</summary>
    private static (ReplacedFile? Edl, string? Note) Edl(SavedManifest m, string recPath)
    {
        if (m.Edl is not { } edl)
        {
            return (null, null);
        }
        string path = PlayerEdl(recPath);
        if (File.Exists(path) && Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))) != edl.MarkerSha256)
        {
            return (null, $"{path} was changed since the cut, so the original {edl.Name} was not written back over it");
        }
        return (new ReplacedFile(path, edl.Original), null);
    }
}
