using Microsoft.Win32.SafeHandles;
using MovData.Edits;
using MovData.Media.TransportStream;
using MovData.Operations;

namespace MovData.Media;

/// <summary>
/// Recordings edited in place: MPEG-TS and M2TS files cut at the cost of metadata. A cut
/// snaps to keyframes, collapses whole blocks, turns the bytes that are not a whole number of
/// blocks into null packets, marks the first picture after each cut as a broken link, and
/// runs as one journaled edit (docs/media.md, docs/journal.md).
/// </summary>
public static class MediaFile
{
    /// <summary>
    /// Reads a recording: format, packet grid, programs and streams, duration, and (reading
    /// the whole file, reporting bytes read to <paramref name="progress"/>) its keyframes.
    /// </summary>
    /// <exception cref="InvalidDataException">Not an MPEG-TS or M2TS recording, or one without
    /// program tables or video; the message says what was found.</exception>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="ArgumentException">The path is a directory.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was signalled.</exception>
    public static RecordingInfo Inspect(string path, IProgress<long>? progress = null, CancellationToken cancel = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            throw new ArgumentException($"{path} is a directory; give a recording", nameof(path));
        }
        using SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        Recording rec = Recording.Open(file, cancel);
        int keyframes = rec.CountKeyframes(progress, cancel);
        Capabilities caps = Capabilities.For(FileFacts.Of(file, "recording"));
        RangeMethod method = caps.Collapse == true ? RangeMethod.Native : caps.Reflink == true ? RangeMethod.Emulated : RangeMethod.Copy;
        return new RecordingInfo(rec.Grid.Format, rec.Size, rec.Duration, keyframes, keyframes == 0 ? 0 : rec.Duration / keyframes, method)
        {
            TransportStream = new TransportStreamDetails(rec.Grid.Size, rec.Grid.Start, rec.Tables.Programs, rec.Video, rec.PartialTail),
        };
    }

    /// <summary>
    /// Removes <paramref name="remove"/> (seconds from the first frame, in order, not
    /// overlapping) from the recording in place. Each range is snapped so that no frame
    /// outside it is lost: it starts at the first keyframe at or after its start and ends just
    /// before the last keyframe at or before its end (unless <see cref="CutOptions.Exact"/>);
    /// a range that starts at 0 takes the head, one that reaches the end truncates. What stays
    /// plays: ffmpeg decodes it without an error. Nothing after a cut is copied where the
    /// filesystem collapses or clones (XFS, ext4, btrfs).
    /// </summary>
    /// <exception cref="ArgumentException">No ranges, ranges out of order or overlapping, or
    /// one that starts past the end or removes everything; nothing changed.</exception>
    /// <exception cref="InvalidDataException">Not a recording this can cut (see
    /// <see cref="Inspect"/>), or its last packet is incomplete; nothing changed.</exception>
    /// <exception cref="FileSystemNotSupportedException">ZeroCopyOnly, where the cut would copy; nothing changed.</exception>
    /// <exception cref="UnauthorizedAccessException">The file cannot be written.</exception>
    /// <exception cref="EditIncompleteException">The cut stopped part-way; its journal record
    /// lets <see cref="FileRange.Recover(string)"/> finish it.</exception>
    /// <exception cref="OperationCanceledException">Signalled before the cut began changing the file; nothing changed.</exception>
    /// <exception cref="EditInterruptedException">Signalled while the cut ran: it stopped between
    /// two steps, and its journal record lets <see cref="FileRange.Recover(string)"/> finish it.</exception>
    public static CutResult Cut(string path, IReadOnlyList<TimeRange> remove, CutOptions? options = null, IProgress<EditProgress>? progress = null, CancellationToken cancel = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(remove);
        options ??= new CutOptions();
        CheckRanges(remove);
        using SafeFileHandle file = FileRange.OpenForEdit(path, "recording");
        Recording? rec = null;
        List<PlannedCut> cuts = [];
        List<TimeRange> unchanged = [];
        (EditResult edit, CutLayout layout) = PaddedCut.Run(file, (facts, caps) =>
        {
            rec = Recording.Open(file, cancel);
            if (rec.PartialTail > 0)
            {
                throw new InvalidDataException(
                    $"{path} ends in an incomplete packet ({rec.PartialTail} of {rec.Grid.Size} bytes at offset {rec.End}): an interrupted recording; drop it first (truncate -s {rec.End} {path}) and cut again");
            }
            (cuts, unchanged) = CutPlanner.Snap(rec, remove, options.Exact, cancel);
            CutLayout planned = CutPlanner.Layout(rec, cuts, facts.BlockSize, cuts.Count > 0 ? options.SaveRemovedTo : null, cancel);
            cancel.ThrowIfCancellationRequested(); // the last point where nothing has changed
            return planned;
        }, options.Flags, progress, cancel);
        double before = rec!.Duration;
        var removed = cuts.Select(c => new RemovedRange(Seconds(c.FromTicks), Seconds(c.ToTicks), c.Start, c.End - c.Start)).ToList();
        StepMethod method = edit.Steps.FirstOrDefault(s => s.Step == PaddedCut.CutGroup)?.Method ?? StepMethod.Native;
        return new CutResult(rec.Grid.Format, before, before - removed.Sum(r => r.To - r.From), removed, unchanged,
            layout.BytesWritten, edit.BytesCopied,
            method.ToRangeMethod(),
            layout.Output is null ? null : Path.GetFullPath(layout.Output.Path))
        {
            TransportStream = new TransportStreamDetails(rec.Grid.Size, rec.Grid.Start, rec.Tables.Programs, rec.Video, rec.PartialTail),
            Recovered = edit.Recovered,
        };
    }

    /// <summary>Keeps only <paramref name="keep"/>: removes what is before and after it (as
    /// <see cref="Cut"/>, the kept part starting on a keyframe).</summary>
    /// <exception cref="ArgumentException">As <see cref="Cut"/>.</exception>
    public static CutResult Keep(string path, TimeRange keep, CutOptions? options = null, IProgress<EditProgress>? progress = null, CancellationToken cancel = default)
    {
        if (keep.To <= keep.From || keep.From < 0)
        {
            throw new ArgumentException($"the range {keep} to keep is empty or negative", nameof(keep));
        }
        var remove = new List<TimeRange>();
        if (keep.From > 0)
        {
            remove.Add(new TimeRange(0, keep.From));
        }
        remove.Add(new TimeRange(keep.To, double.PositiveInfinity));
        return Cut(path, remove, options, progress, cancel);
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

    private static double Seconds(long ticks) => Math.Round((double)ticks / Recording.TicksPerSecond, 6);
}
