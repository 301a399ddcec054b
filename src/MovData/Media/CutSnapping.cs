namespace MovData.Media;

/// <summary>
/// Where a range asked for in seconds is cut, whatever the format: it starts at the first
/// keyframe presented at or after its start and ends just before the last keyframe presented
/// at or before its end, so no frame outside it is lost (exact: at the frames nearest both);
/// from time 0 it takes the head, to the end it truncates (docs/media.md).
/// </summary>
internal static class CutSnapping
{
    /// <summary>Snaps each range to the timeline's keyframes (or, exact, to the nearest
    /// frames). Ranges that hold no whole GOP are returned as unchanged; ranges that touch
    /// after snapping become one cut.</summary>
    /// <exception cref="ArgumentException">A range starts past the end, or the ranges remove everything.</exception>
    internal static (List<PlannedCut> Cuts, List<TimeRange> Unchanged) Snap(IMediaTimeline timeline, IReadOnlyList<TimeRange> ranges, bool exact, CancellationToken cancel)
    {
        var cuts = new List<PlannedCut>();
        var unchanged = new List<TimeRange>();
        MediaTime endTime = timeline.EndTime;
        foreach (TimeRange r in ranges)
        {
            MediaTime from = MediaTime.FromSeconds(r.From, timeline.Timescale), to = MediaTime.FromSeconds(r.To, timeline.Timescale);
            if (from >= endTime && double.IsPositiveInfinity(r.To))
            {
                continue; // "to the end" from past the end (a --keep whose end is the recording's): nothing
            }
            if (from >= endTime)
            {
                throw new ArgumentException($"the range {r} starts past the end of the recording ({endTime.Seconds:0.###} s)");
            }
            bool head = from.Ticks <= 0;
            MediaPoint? first = head ? null : exact ? timeline.NearestFrame(from, cancel) : timeline.FirstKeyframeAtOrAfter(from, cancel);
            bool toEnd = to >= endTime;
            MediaPoint? last = toEnd ? null : exact ? timeline.NearestFrame(to, cancel) : timeline.LastKeyframeAtOrBefore(to, cancel);
            long? start = head ? timeline.StartPosition : first?.Position;
            long? end = toEnd ? timeline.EndPosition : last?.Position;
            if (start is not { } s || end is not { } e || e <= s)
            {
                unchanged.Add(r);
                continue;
            }
            if (head && toEnd)
            {
                throw new ArgumentException($"the range {r} removes the whole recording ({endTime.Seconds:0.###} s); delete the file instead");
            }
            var cut = new PlannedCut(s, e, head ? new MediaTime(0, timeline.Timescale) : first!.Value.Time, toEnd ? endTime : last!.Value.Time, head);
            if (cuts.Count > 0 && cuts[^1].End >= s)
            {
                // Touching after snapping: one cut.
                cut = cuts[^1] with { End = Math.Max(cuts[^1].End, e), To = MediaTime.Max(cuts[^1].To, cut.To) };
                cuts.RemoveAt(cuts.Count - 1);
                if (cut.Head && cut.End == timeline.EndPosition)
                {
                    throw new ArgumentException($"the ranges up to {r} remove the whole recording ({endTime.Seconds:0.###} s); delete the file instead");
                }
            }
            cuts.Add(cut);
        }
        return (cuts, unchanged);
    }
}
