namespace MovData.Media.IsoBmff;

/// <summary>A movie as the seam sees it: the video track's clock, positions that are its
/// sample numbers in decode order.</summary>
internal sealed partial class Movie : IMediaTimeline
{
    RecordingFormat IMediaTimeline.Format => Format;

    long IMediaTimeline.Size => Size;

    long IMediaTimeline.Timescale => Lead.Timescale;

    MediaTime IMediaTimeline.EndTime => new(EndTicks, Lead.Timescale);

    long IMediaTimeline.StartPosition => 0;

    long IMediaTimeline.EndPosition => Samples.Count;

    MediaPoint? IMediaTimeline.FirstKeyframeAtOrAfter(MediaTime time, CancellationToken cancel)
    {
        long t = Ticks(time);
        int best = -1;
        foreach (int i in Samples.Sync)
        {
            if (Samples.Pts(i) - Pts0 >= t && (best < 0 || Samples.Pts(i) < Samples.Pts(best)))
            {
                best = i;
            }
        }
        return Point(best);
    }

    MediaPoint? IMediaTimeline.LastKeyframeAtOrBefore(MediaTime time, CancellationToken cancel)
    {
        long t = Ticks(time);
        int best = -1;
        foreach (int i in Samples.Sync)
        {
            if (Samples.Pts(i) - Pts0 <= t && (best < 0 || Samples.Pts(i) > Samples.Pts(best)))
            {
                best = i;
            }
        }
        return Point(best);
    }

    MediaPoint? IMediaTimeline.NearestFrame(MediaTime time, CancellationToken cancel)
    {
        long t = Ticks(time);
        int best = -1;
        for (int i = 0; i < Samples.Count; i++)
        {
            if (best < 0 || Math.Abs(Samples.Pts(i) - Pts0 - t) < Math.Abs(Samples.Pts(best) - Pts0 - t))
            {
                best = i;
            }
        }
        return Point(best);
    }

    /// <summary>The sync samples are listed in the tables: nothing more is read.</summary>
    int IMediaTimeline.CountKeyframes(IProgress<long>? progress, CancellationToken cancel) => Samples.Sync.Count;

    /// <summary>The video samples from <paramref name="from"/> up to <paramref name="to"/>,
    /// those that lie end to end joined, in file order.</summary>
    IReadOnlyList<(long Offset, long Length)> IMediaTimeline.Holds(long from, long to)
    {
        var ranges = new List<(long Offset, long Length)>();
        foreach (int i in Enumerable.Range((int)from, (int)(to - from)).OrderBy(Samples.Offset))
        {
            long offset = Samples.Offset(i), length = Samples.Size(i);
            if (ranges.Count > 0 && ranges[^1].Offset + ranges[^1].Length == offset)
            {
                ranges[^1] = (ranges[^1].Offset, ranges[^1].Length + length);
            }
            else
            {
                ranges.Add((offset, length));
            }
        }
        return ranges;
    }

    RecordingInfo IMediaTimeline.WithDetails(RecordingInfo info) => info with { IsoBmff = Details() };

    /// <summary>An MP4's cut adds nothing of its own to the result.</summary>
    CutResult IMediaTimeline.WithDetails(CutResult result) => result;

    private IsoBmffDetails Details()
    {
        List<Box> mdats = [.. TopLevel.Where(b => b.Type == FourCc.Mdat)];
        return new IsoBmffDetails(Brands?.Major, Brands?.Compatible ?? [], Moov.Offset, Moov.Size,
            mdats.Count == 0 || Moov.Offset < mdats[0].Offset, mdats.Count, mdats.Sum(b => b.Size),
            [.. Tracks.Select(t => new IsoBmffTrack(t.Id, t.Kind, t.Handler, t.SampleEntry, t.Codec, t.Timescale, t.Duration(MovieTimescale, t == Lead ? MediaEnd : null),
                t.Samples, t.SyncSamples, t.Edits.Count > 0, t.Table.LargeOffsets))],
            Lead.Id, TopLevel.Count(b => b.Type == FourCc.Moof), IndexedInBoth, CanCut: FragmentSpans.SplitIndexRefused(this) is null);
    }

    private long Ticks(MediaTime time) => time.In(Lead.Timescale).Ticks;

    private MediaPoint? Point(int sample) => sample < 0 ? null : new MediaPoint(sample, new MediaTime(Samples.Pts(sample) - Pts0, Lead.Timescale));
}
