using Microsoft.Win32.SafeHandles;
using MovData.Edits;
using MovData.Operations;

namespace MovData.Media;

/// <summary>
/// Recordings edited in place: MPEG-TS and M2TS files cut at the cost of metadata. A cut
/// snaps to keyframes, collapses whole blocks, turns the bytes that are not a whole number of
/// blocks into what the format skips (null packets), marks the first picture after each cut
/// as a broken link, and runs as one journaled edit (docs/media.md, docs/journal.md).
/// </summary>
/// <remarks>The format is recognised from the file's head (<see cref="MediaFormats"/>), and
/// everything that depends on it is asked of the format; nothing here knows a container.</remarks>
public static class MediaFile
{
    /// <summary>
    /// Reads a recording: format, packet grid, programs and streams, duration, and (reading
    /// the whole file, reporting bytes read to <paramref name="progress"/>) its keyframes.
    /// </summary>
    /// <exception cref="InvalidDataException">Not an MPEG-TS, M2TS, MP4 or MOV recording, or one
    /// without program tables or index (moov), or without video (a transport stream: without
    /// video or audio); the message says what was found.</exception>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="ArgumentException">The path is a directory.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was signalled.</exception>
    /// <exception cref="EditIncompleteException">A journal record names the file: an edit of it
    /// was interrupted (or runs now); <see cref="FileRange.Recover(string)"/> finishes it.</exception>
    public static RecordingInfo Inspect(string path, IProgress<long>? progress = null, CancellationToken cancel = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            throw new ArgumentException($"{path} is a directory; give a recording", nameof(path));
        }
        using SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        // Mid-edit, the file is neither as before nor as after: describing it would mislead
        // ("no moov box: an unfinished recording", or a cuttable file that does not play).
        Recovery.RefusePending(file, "`movdata info`");
        (IContainerFormat format, IMediaTimeline timeline) = MediaFormats.Open(file, cancel);
        int keyframes = timeline.CountKeyframes(progress, cancel);
        Capabilities caps = Capabilities.For(FileFacts.Of(file, "recording"));
        RangeMethod method = caps.Collapse == true ? RangeMethod.Native : caps.Reflink == true ? RangeMethod.Emulated : RangeMethod.Copy;
        double duration = timeline.EndTime.Seconds;
        return timeline.WithDetails(new RecordingInfo(timeline.Format, timeline.Size, duration, keyframes, keyframes == 0 ? 0 : duration / keyframes, method)
        {
            SavedParts = CutUndo.IsSavedParts(format, timeline),
        });
    }

    /// <summary>
    /// Removes <paramref name="remove"/> (seconds from the first frame, in order, not
    /// overlapping) from the recording in place. Each range is snapped so that no frame
    /// outside it is lost: it starts at the first keyframe at or after its start and ends just
    /// before the last keyframe at or before its end (unless <see cref="CutOptions.Exact"/>);
    /// a range that starts at 0 takes the head, one that reaches the end truncates. What stays
    /// plays: ffmpeg decodes it without an error. Nothing after a cut is copied where the
    /// filesystem collapses or clones (XFS, ext4, btrfs). With <see cref="CutOptions.DryRun"/>
    /// it plans on the file as it is and returns what the cut would, changing nothing.
    /// </summary>
    /// <exception cref="ArgumentException">No ranges, ranges out of order or overlapping, or
    /// one that starts past the end or removes everything, or a <see cref="CutOptions.SaveRemovedTo"/>
    /// named for another format; nothing changed.</exception>
    /// <exception cref="InvalidDataException">Not a recording this can cut (see
    /// <see cref="Inspect"/>; an MP4 whose layout or tables a cut does not rewrite yet), or
    /// its last packet is incomplete; nothing changed.</exception>
    /// <exception cref="NotSupportedException">A fragmented MP4, whose fragments a cut does
    /// not rewrite yet; nothing changed.</exception>
    /// <remarks>With <see cref="CutOptions.SaveRemovedTo"/>, the saved file ends in a manifest
    /// that <see cref="Restore"/> undoes the cut from; the EDL named like the recording, if there
    /// is one, is rewritten as what is left of it after the cut, whatever the ranges came from
    /// (<see cref="CutResult.EdlReplaced"/>; docs/media.md, "No stale EDL"). An EDL named like
    /// it that cannot be read refuses the cut (InvalidDataException).</remarks>
    /// <exception cref="FileSystemNotSupportedException">ZeroCopyOnly, where the cut would copy; nothing changed.</exception>
    /// <exception cref="UnauthorizedAccessException">The file cannot be written.</exception>
    /// <exception cref="IOException">Another process has the file open for writing (a recording
    /// still being made; EBUSY, the message names each writer's pid and command, as fuser
    /// does); nothing changed.</exception>
    /// <exception cref="EditIncompleteException">The cut stopped part-way; its journal record
    /// lets <see cref="FileRange.Recover(string)"/> finish it.</exception>
    /// <exception cref="InterruptedEditFinishedException">An interrupted edit of the recording
    /// was in its journal: it was finished, which changed the recording, and the cut, whose
    /// ranges were for the recording as it was, was not made (see <see cref="FinishInterrupted"/>).</exception>
    /// <exception cref="OperationCanceledException">Signalled before the cut began changing the file; nothing changed.</exception>
    /// <exception cref="EditInterruptedException">Signalled while the cut ran: it stopped between
    /// two steps, and its journal record lets <see cref="FileRange.Recover(string)"/> finish it.</exception>
    public static CutResult Cut(string path, IReadOnlyList<TimeRange> remove, CutOptions? options = null, IProgress<EditProgress>? progress = null, CancellationToken cancel = default) =>
        CutChecked(path, remove, check: null, options, progress, cancel);

    /// <summary>As <see cref="Cut"/>, with <paramref name="check"/> run on the opened timeline
    /// before the ranges are snapped (a keep refuses its ranges past the end there, in its own words).</summary>
    private static CutResult CutChecked(string path, IReadOnlyList<TimeRange> remove, Action<IMediaTimeline>? check, CutOptions? options, IProgress<EditProgress>? progress, CancellationToken cancel)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(remove);
        options ??= new CutOptions();
        CheckRanges(remove);
        using SafeFileHandle file = FileRange.OpenForEdit(path, "recording");
        IMediaTimeline? timeline = null;
        CutPlan? plan = null;
        var trace = new EditTrace();
        MediaReads.Counter reads = MediaReads.Begin();
        (long Reads, long Bytes) planned = default;
        List<RemovedRange> removed = [];
        (EditResult edit, CutLayout layout) = PaddedCut.Run(file, (facts, caps) =>
        {
            (IContainerFormat format, IMediaTimeline opened) = MediaFormats.Open(file, cancel);
            check?.Invoke(opened);
            if (options.SaveRemovedTo is { } saved)
            {
                MediaFormats.CheckSavedName(format, saved, path);
            }
            CutUndo.RefuseSavedParts(format, opened, path);
            timeline = opened;
            plan = format.PlanCut(opened, path, remove, options, facts.BlockSize, cancel);
            removed = [.. plan.Cuts.Select(c => Removed(opened, c))];
            // What undoes the cut (and replaces a stale EDL), read before anything changes.
            CutLayout undoable = CutUndo.Prepare(file, facts, format, opened, plan, options, path, removed);
            planned = reads.Now;
            cancel.ThrowIfCancellationRequested(); // the last point where nothing has changed
            return undoable;
        }, options.Flags, progress, trace, cancel, options.DryRun);
        double before = timeline!.EndTime.Seconds;
        StepMethod method = edit.Steps.FirstOrDefault(s => s.Step == PaddedCut.CutGroup)?.Method ?? StepMethod.Native;
        return timeline.WithDetails(new CutResult(timeline.Format, before, before - removed.Sum(r => r.To - r.From), removed, plan!.Unchanged,
            layout.BytesWritten, edit.BytesCopied,
            method.ToRangeMethod(),
            layout.Output is null ? null : Path.GetFullPath(layout.Output.Path))
        {
            Recovered = edit.Recovered,
            Timings = Timings(trace, planned.Reads, planned.Bytes),
            DryRun = options.DryRun,
            Collapsed = [.. layout.Removals.Select(r => new ByteSpan(r.Offset, r.ToEnd ? timeline.Size - r.Offset : r.Length)).Where(r => r.Length > 0)],
            Written = [.. layout.Writes.Select(w => new ByteSpan(w.Offset, w.Length))],
            EdlReplaced = layout.Beside?.Path,
        });
    }

    /// <summary>
    /// Finishes the interrupted edits of the recording at <paramref name="path"/> (a cut or a
    /// restore killed part-way, or stopped by a crash), as <see cref="FileRange.Recover(string)"/>
    /// does for a file, refusing first, as a cut does, a recording another process is writing.
    /// A caller whose ranges come from a file the cut rewrites (the EDL named like the
    /// recording) calls this before it reads them: <see cref="Cut"/> itself, finding such an
    /// edit, finishes it and stops (<see cref="InterruptedEditFinishedException"/>), since
    /// ranges read before were in the recording's times as it was. Returns what it finished;
    /// with nothing in the journal (the common case), a stat.
    /// </summary>
    /// <exception cref="IOException">Another process has the recording open for writing; nothing changed.</exception>
    /// <exception cref="EditIncompleteException">An edit could not be finished; nothing changed.</exception>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    public static IReadOnlyList<RecoveredEdit> FinishInterrupted(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using SafeFileHandle file = FileRange.OpenForEdit(path, "recording");
        return Recovery.ForRecording(file, "cut");
    }

    /// <summary>
    /// The processes that have the recording open for writing, found as fuser(1) finds them
    /// ("pid 4242 (tvheadend)"); empty when there are none. A cut refuses such a file (a
    /// recording still being made); a caller that wants to wait polls this. Without root only
    /// this user's processes can be seen.
    /// </summary>
    /// <remarks>The file is not opened; a path that is not a regular file has none.</remarks>
    public static IReadOnlyList<string> Writers(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return OpenWriters.OfPath(path);
    }

    /// <summary>
    /// Undoes a cut made with <see cref="CutOptions.SaveRemovedTo"/>: <paramref name="savedPath"/>,
    /// the file of removed parts, says where every part was and holds the bytes the cut
    /// overwrote; the blocks that were collapsed come back as holes, the parts move back into
    /// them (without copying where the filesystem moves blocks between files: XFS, btrfs; by
    /// copy on ext4 and tmpfs, as they went out), the overwritten bytes are written back,
    /// the EDL the cut replaced is written back, and the saved file is removed, all as one
    /// journaled edit. Afterwards the recording is byte for byte as before the cut. Cuts are
    /// undone last first. With <see cref="RestoreOptions.DryRun"/>, nothing changes. Where the
    /// saved file is not there, an interrupted edit of the recording (a cut killed before it
    /// made that file) is finished first (<see cref="RestoreResult.Recovered"/>).
    /// </summary>
    /// <exception cref="InvalidDataException">The saved file is not one a cut made, is truncated
    /// or damaged, belongs to another recording, or the recording was changed since its cut
    /// (cut again: restore the later cut first); nothing changed.</exception>
    /// <exception cref="ArgumentException">The two paths are the same file.</exception>
    /// <exception cref="IOException">Another process has the recording open for writing
    /// (EBUSY, the writers named as fuser names them); nothing changed.</exception>
    /// <exception cref="FileSystemNotSupportedException">ZeroCopyOnly, where the restore would copy; nothing changed.</exception>
    /// <exception cref="UnauthorizedAccessException">A file cannot be written.</exception>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="EditIncompleteException">The restore stopped part-way; its journal record
    /// lets <see cref="FileRange.Recover(string)"/> finish it.</exception>
    /// <exception cref="EditInterruptedException">Signalled while the restore ran: it stopped
    /// between two steps, and its journal record lets <see cref="FileRange.Recover(string)"/> finish it.</exception>
    public static RestoreResult Restore(string path, string savedPath, RestoreOptions? options = null, IProgress<EditProgress>? progress = null, CancellationToken cancel = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(savedPath);
        options ??= new RestoreOptions();
        using SafeFileHandle file = FileRange.OpenForEdit(path, "recording");
        IReadOnlyList<RecoveredEdit> first = [];
        if (!File.Exists(savedPath) && Recovery.PendingNames(file, savedPath))
        {
            // A cut stopped while it made the saved file leaves that file in its journal record,
            // not there yet: finish that cut first (a dry run says to), then open it. A name
            // no interrupted edit makes is not found, and nothing is finished.
            first = options.DryRun ? Recovery.RefusePending(file, "a dry run") : Recovery.ForFiles(file);
        }
        using SafeFileHandle saved = FileRange.OpenForEdit(savedPath, "saved parts");
        SavedManifest? manifest = null;
        string? edlNote = null;
        (EditResult edit, RestoreLayout layout) = RestoreEdit.Run(file, saved, (facts, savedFacts) =>
        {
            (SavedManifest m, RestoreLayout planned, string? note) = CutUndo.Plan(file, path, facts.Size, saved, savedPath, savedFacts.Size);
            (manifest, edlNote) = (m, note);
            cancel.ThrowIfCancellationRequested(); // the last point where nothing has changed
            return planned;
        }, options.DryRun, options.Flags, progress, new EditTrace(), cancel);
        StepMethod method = edit.Steps.FirstOrDefault(s => s.Step == RestoreEdit.InsertGroup)?.Method ?? StepMethod.Native;
        StepMethod parts = edit.Steps.FirstOrDefault(s => s.Step == RestoreEdit.ReturnGroup)?.Method ?? StepMethod.Native;
        return new RestoreResult(manifest!.Format, layout.SizeNow, layout.SizeBefore, manifest.Ranges, layout.BytesWritten, edit.BytesCopied,
            method.ToRangeMethod(), parts, options.DryRun)
        {
            EdlRestoredTo = layout.Beside?.Path,
            EdlNote = edlNote,
            SavedFrom = Path.GetFullPath(savedPath),
            Recovered = first.Count == 0 ? edit.Recovered : [.. first, .. edit.Recovered],
        };
    }

    /// <summary>The phases of a cut from its trace: those before the edit as timed, the
    /// plan's with the reads it made, then the edit's calls summed by what they were for.</summary>
    private static CutTimings Timings(EditTrace trace, long reads, long bytes)
    {
        var phases = trace.Phases.Select(p => new CutPhase(p.Name, p.Time, p.Name == "plan" ? reads : 0, p.Name == "plan" ? bytes : 0)).ToList();
        foreach (IGrouping<string, TracedCall> g in trace.Calls.GroupBy(c => c.Call switch
        {
            "record" or "record-xattr" => "journal",
            "write" or "writes" => "writes",
            "fsync" or "done" => "syncs",
            "unlink" when c.File == "journal" => "finish",
            _ => "shifts",
        }))
        {
            // A Write step's own time holds its writes: count them once.
            TimeSpan time = g.Key == "writes" ? g.Where(c => c.Call == "writes").Aggregate(TimeSpan.Zero, (t, c) => t + c.Time) : g.Aggregate(TimeSpan.Zero, (t, c) => t + c.Time);
            phases.Add(new CutPhase(g.Key, time, 0, 0));
        }
        return new CutTimings(phases, [.. trace.Calls.Where(c => c.Call != "writes").Select(c => new CutCall(c.Call, c.File, c.Offset, c.Length, c.Time, c.Target,
            c.Bytes is { Length: <= EditPlan.InlineWriteBytes } b ? PatchText.Write(b) : null))]);
    }

    /// <summary>A snapped cut as the result reports it: in seconds, and where its bytes were.</summary>
    private static RemovedRange Removed(IMediaTimeline timeline, PlannedCut cut)
    {
        IReadOnlyList<(long Offset, long Length)> bytes = timeline.Holds(cut.Start, cut.End);
        return new RemovedRange(Seconds(cut.From), Seconds(cut.To), bytes[0].Offset, bytes.Sum(b => b.Length));
    }

    /// <summary>Keeps only <paramref name="keep"/>: removes what is before and after it (as
    /// <see cref="Cut"/>, the kept part starting on a keyframe).</summary>
    /// <exception cref="ArgumentException">As <see cref="Cut"/>.</exception>
    public static CutResult Keep(string path, TimeRange keep, CutOptions? options = null, IProgress<EditProgress>? progress = null, CancellationToken cancel = default) =>
        Keep(path, [keep], options, progress, cancel);

    /// <summary>Keeps only the ranges of <paramref name="keep"/> (in order, none overlapping):
    /// removes what is before the first, between each two and after the last (as
    /// <see cref="Cut"/>: snapped so that nothing kept is removed, each kept part starting on a
    /// keyframe). Ranges that touch are one.</summary>
    /// <exception cref="ArgumentException">A range is empty, reversed or negative, two overlap
    /// or are out of order, one starts at or after the end of the recording, or none holds a
    /// frame; and as <see cref="Cut"/>.</exception>
    public static CutResult Keep(string path, IReadOnlyList<TimeRange> keep, CutOptions? options = null, IProgress<EditProgress>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(keep);
        if (keep.Count == 0)
        {
            throw new ArgumentException("a keep needs at least one range to keep", nameof(keep));
        }
        var remove = new List<TimeRange>();
        double at = 0;
        for (int i = 0; i < keep.Count; i++)
        {
            TimeRange k = keep[i];
            if (double.IsNaN(k.From) || double.IsNaN(k.To) || k.To <= k.From || k.From < 0)
            {
                throw new ArgumentException($"the range {k} to keep is empty or negative", nameof(keep));
            }
            if (i > 0 && k.From < keep[i - 1].To)
            {
                throw new ArgumentException($"the ranges {keep[i - 1]} and {k} to keep overlap or are out of order; give them in order, each after the last", nameof(keep));
            }
            if (k.From > at)
            {
                remove.Add(new TimeRange(at, k.From));
            }
            at = k.To;
        }
        if (!double.IsPositiveInfinity(at))
        {
            remove.Add(new TimeRange(at, double.PositiveInfinity));
        }
        if (remove.Count == 0)
        {
            throw new ArgumentException($"the range {keep[0]} to keep is the whole recording: nothing would be removed", nameof(keep));
        }
        try
        {
            return CutChecked(path, remove, timeline =>
            {
                // Said of what was asked, not of the ranges around it ("the range 0-30" for --keep 30-40).
                foreach (TimeRange k in keep)
                {
                    if (MediaTime.FromSeconds(k.From, timeline.Timescale) >= timeline.EndTime)
                    {
                        throw new ArgumentException($"the range {k} to keep starts at or after the end of the recording ({timeline.EndTime.Seconds:0.###} s){(k == keep[0] ? ": nothing would be kept" : "")}", nameof(keep));
                    }
                }
            }, options, progress, cancel);
        }
        catch (RemovesEverythingException)
        {
            throw new ArgumentException(keep.Count == 1
                ? $"the range {keep[0]} to keep holds no frame: nothing would be kept"
                : $"the ranges {string.Join(", ", keep)} to keep hold no frame: nothing would be kept", nameof(keep));
        }
    }

    private static void CheckRanges(IReadOnlyList<TimeRange> ranges)
    {
        if (ranges.Count == 0)
        {
            throw new ArgumentException("a cut needs at least one range to remove", nameof(ranges));
        }
        for (int i = 0; i < ranges.Count; i++)
        {
            TimeRange r = ranges[i];
            if (double.IsNaN(r.From) || double.IsNaN(r.To) || r.From < 0 || r.To <= r.From)
            {
                throw new ArgumentException($"the range {r} is empty, reversed or negative", nameof(ranges));
            }
            if (i > 0 && r.From < ranges[i - 1].To)
            {
                throw new ArgumentException($"the ranges {ranges[i - 1]} and {r} overlap or are out of order; give them in order, each after the last", nameof(ranges));
            }
        }
    }

    private static double Seconds(MediaTime time) => Math.Round(time.Seconds, 6);
}
