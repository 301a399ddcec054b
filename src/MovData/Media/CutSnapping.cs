namespace MovData.Media;

/// <summary>
/// Where a range asked for in seconds is cut, whatever the format: it starts at the first
/// keyframe presented at or after its start and ends just before the last keyframe presented
/// at or before its end, so no frame outside it is lost (exact: at the frames nearest both);
/// from time 0 it takes the head, to the end it truncates (docs/media.md).
/// </summary>
internal static class CutSnapping
{
    /// <summary>How far a keyframe may lie outside a range and still be its edge, where none
    /// lies that near inside it: half a millisecond, what the times a cut prints (to the
    /// millisecond, rounded) are off by, so that a range printed by a cut or a dry run, given
    /// back, removes the same GOPs (on 29.97 fps video a keyframe at 3.336667 s is printed 3.337).</summary>
    internal const double PrintedTimeSlack = 0.0005;

    /// <summary>Snaps each range to the timeline's keyframes (or, exact, to the nearest
    /// frames). Ranges that hold no whole GOP are returned as unchanged; ranges that touch
    /// after snapping become one cut.</summary>
    /// <exception cref="ArgumentException">A range starts past the end, or the ranges remove everything.</exception>
    internal static (List<PlannedCut> Cuts, List<TimeRange> Unchanged) Snap(IMediaTimeline timeline, IReadOnlyList<TimeRange> ranges, bool exact, CancellationToken cancel)
    {
        var cuts = new List<PlannedCut>();
        var unchanged = new List<TimeRange>();
        MediaTime endTime = timeline.EndTime;
        MediaTime Time(double seconds) => MediaTime.FromSeconds(seconds, timeline.Timescale);
        foreach (TimeRange r in ranges)
        {
            if (Time(r.From) >= endTime && !double.IsPositiveInfinity(r.To))
            {
                throw new ArgumentException($"the range {r} starts past the end of the recording ({endTime.Seconds:0.###} s)");
            }
        }
        MediaPoint?[] points = Lookups(timeline, ranges, exact, Time, cancel);
        for (int i = 0; i < ranges.Count; i++)
        {
            TimeRange r = ranges[i];
            MediaTime from = Time(r.From), to = Time(r.To);
            if (from >= endTime)
            {
                continue; // "to the end" from past the end (a --keep whose end is the recording's): nothing
            }
            bool head = from.Ticks <= 0;
            bool toEnd = to >= endTime;
            MediaPoint? first = points[2 * i], last = points[2 * i + 1];
            long? start = head ? timeline.StartPosition : first?.Position;
            long? end = toEnd ? timeline.EndPosition : last?.Position;
            if (start is not { } s || end is not { } e || e <= s)
            {
                unchanged.Add(r);
                continue;
            }
            if (head && toEnd)
            {
                throw new RemovesEverythingException($"the range {r} removes the whole recording ({endTime.Seconds:0.###} s); delete the file instead", endTime.Seconds);
            }
            var cut = new PlannedCut(s, e, head ? new MediaTime(0, timeline.Timescale) : first!.Value.Time, toEnd ? endTime : last!.Value.Time, head);
            if (cuts.Count > 0 && cuts[^1].End >= s)
            {
                // Touching after snapping: one cut.
                cut = cuts[^1] with { End = Math.Max(cuts[^1].End, e), To = MediaTime.Max(cuts[^1].To, cut.To) };
                cuts.RemoveAt(cuts.Count - 1);
                if (cut.Head && cut.End == timeline.EndPosition)
                {
                    throw new RemovesEverythingException($"the ranges up to {r} remove the whole recording ({endTime.Seconds:0.###} s); delete the file instead", endTime.Seconds);
                }
            }
            cuts.Add(cut);
        }
        return (cuts, unchanged);
    }

    /// <summary>The first keyframe at or after <paramref name="at"/>; where none lies within
    /// <see cref="PrintedTimeSlack"/> after it, one that lies that little before it (a printed
    /// time, rounded up). Only then: where keyframes come closer than the slack (PCM audio,
    /// every sample one), a range given back would grow at each turn.</summary>
    /// <remarks>One lookup where no keyframe lies within the slack outside (each lookup of a
    /// transport stream reads the file); a second only where one does.</remarks>
    private static MediaPoint? Start(IMediaTimeline timeline, MediaTime at, CancellationToken cancel)
    {
        long slack = MediaTime.FromSeconds(PrintedTimeSlack, at.Timescale).Ticks;
        MediaPoint? printed = timeline.FirstKeyframeAtOrAfter(at with { Ticks = at.Ticks - slack }, cancel);
        if (printed is not { } q || q.Time >= at)
        {
            return printed; // none outside: the first at or after AT
        }
        MediaPoint? inside = timeline.FirstKeyframeAtOrAfter(at, cancel);
        return inside is { } p && p.Time <= at with { Ticks = at.Ticks + slack } ? inside : printed;
    }

    /// <summary>As <see cref="Start"/>, for the last keyframe at or before <paramref name="at"/>.</summary>
    private static MediaPoint? End(IMediaTimeline timeline, MediaTime at, CancellationToken cancel)
    {
        long slack = MediaTime.FromSeconds(PrintedTimeSlack, at.Timescale).Ticks;
        MediaPoint? printed = timeline.LastKeyframeAtOrBefore(at with { Ticks = at.Ticks + slack }, cancel);
        if (printed is not { } q || q.Time <= at)
        {
            return printed; // none outside: the last at or before AT
        }
        MediaPoint? inside = timeline.LastKeyframeAtOrBefore(at, cancel);
        return inside is { } p && p.Time >= at with { Ticks = at.Ticks - slack } ? inside : printed;
    }

    /// <summary>
    /// The frame each range starts at and the one it ends before (2i and 2i+1; null where the
    /// range takes the head, reaches the end, or no frame is found), looked up at the same
    /// time: each lookup is a few small reads in its own part of the file, and with a cold
    /// cache each read waits for the disk, which serves several at once.
    /// </summary>
    private static MediaPoint?[] Lookups(IMediaTimeline timeline, IReadOnlyList<TimeRange> ranges, bool exact, Func<double, MediaTime> time, CancellationToken cancel)
    {
        MediaTime endTime = timeline.EndTime;
        var points = new MediaPoint?[2 * ranges.Count];
        try
        {
            Parallel.For(0, points.Length, new ParallelOptions { CancellationToken = cancel, MaxDegreeOfParallelism = 8 }, k =>
            {
                TimeRange r = ranges[k / 2];
                MediaTime at = time(k % 2 == 0 ? r.From : r.To);
                if (at.Ticks <= 0 || at >= endTime || time(r.From) >= endTime)
                {
                    return;
                }
                points[k] = exact ? timeline.NearestFrame(at, cancel) : k % 2 == 0 ? Start(timeline, at, cancel) : End(timeline, at, cancel);
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // What the first lookup met, as the lookups one after the other would have thrown it.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
        return points;
    }
}

/// <summary>The ranges to remove, snapped, take the whole recording (of <paramref name="seconds"/>);
/// a keep says it in its own words.</summary>
internal sealed class RemovesEverythingException(string message, double seconds) : ArgumentException(message)
{
    internal double Seconds { get; } = seconds;
}
