using Microsoft.Win32.SafeHandles;
using MovData.Edits;

namespace MovData.Media.TransportStream;

/// <summary>
/// MPEG-TS and M2TS behind the format seam: recognised by a packet grid in the head, opened
/// as a <see cref="Recording"/>, cut by <see cref="CutPlanner"/> with null-packet padding;
/// a cut's manifest rides at the end of the removed parts in <see cref="ManifestPackets"/>.
/// </summary>
internal sealed class TransportStreamFormat : IContainerFormat, ISavedManifestCarrier
{
    internal static readonly TransportStreamFormat Instance = new();

    private TransportStreamFormat()
    {
    }

    public string Name => "MPEG-TS or M2TS";

    public IReadOnlyList<string> Extensions { get; } = [".ts", ".m2ts", ".mts", ".m2t", ".tsv", ".trp"];

    public bool Recognise(ReadOnlySpan<byte> head, out string whyNot)
    {
        bool found = PacketGrid.Find(head) is not null;
        whyNot = found ? "" : PacketGrid.WhyNot(head);
        return found;
    }

    public IMediaTimeline Open(SafeFileHandle file, ReadOnlySpan<byte> head, CancellationToken cancel) => Recording.Open(file, head, cancel);

    public CutPlan PlanCut(IMediaTimeline timeline, string path, IReadOnlyList<TimeRange> remove, CutOptions options, long blockSize, CancellationToken cancel)
    {
        var rec = (Recording)timeline; // what Open returned
        if (rec.PartialTail > 0)
        {
            throw new InvalidDataException(
                $"{path} ends in an incomplete packet ({rec.PartialTail} of {rec.Grid.Size} bytes at offset {rec.End}): an interrupted recording; drop it first (truncate -s {rec.End} {path}) and cut again");
        }
        (List<PlannedCut> cuts, List<TimeRange> unchanged) = CutSnapping.Snap(rec, remove, options.Exact, cancel);
        if (!options.Exact)
        {
            cuts = CutPlanner.OrderedJoins(rec, cuts, keyframesOnly: options.SaveRemovedTo is not null, cancel);
        }
        return new CutPlan(cuts, unchanged, CutPlanner.Layout(rec, cuts, blockSize, cuts.Count > 0 ? options.SaveRemovedTo : null, cancel));
    }

    public Patch Carry(IMediaTimeline timeline, long at, byte[] carried) => ManifestPackets.Carry((Recording)timeline, at, carried);

    public (byte[] Carried, long At) FindCarried(SafeFileHandle file, ReadOnlySpan<byte> head, long size, string path) => ManifestPackets.Find(file, head, size, path);

    public bool Carries(IMediaTimeline timeline) => ManifestPackets.Ends((Recording)timeline);
}

/// <summary>A recording as the seam sees it: its 90 kHz clock, positions that are file offsets.</summary>
internal sealed partial class Recording : IMediaTimeline
{
    RecordingFormat IMediaTimeline.Format => Grid.Format;

    long IMediaTimeline.Size => Size;

    long IMediaTimeline.Timescale => TicksPerSecond;

    MediaTime IMediaTimeline.EndTime => new(EndTicks, TicksPerSecond);

    long IMediaTimeline.StartPosition => Grid.Start;

    long IMediaTimeline.EndPosition => End;

    MediaPoint? IMediaTimeline.FirstKeyframeAtOrAfter(MediaTime time, CancellationToken cancel) => Point(FirstKeyframeAtOrAfter(Ticks(time), cancel));

    MediaPoint? IMediaTimeline.LastKeyframeAtOrBefore(MediaTime time, CancellationToken cancel) => Point(LastKeyframeAtOrBefore(Ticks(time), cancel));

    MediaPoint? IMediaTimeline.NearestFrame(MediaTime time, CancellationToken cancel) => Point(Nearest(Ticks(time), cancel));

    int IMediaTimeline.CountKeyframes(IProgress<long>? progress, CancellationToken cancel) => CountKeyframes(progress, cancel);

    /// <summary>A run of packets holds every unit between two of its PES starts.</summary>
    IReadOnlyList<(long Offset, long Length)> IMediaTimeline.Holds(long from, long to) => [(from, to - from)];

    RecordingInfo IMediaTimeline.WithDetails(RecordingInfo info) => info with { TransportStream = Details() };

    CutResult IMediaTimeline.WithDetails(CutResult result) => result with { TransportStream = Details() };

    private TransportStreamDetails Details() => new(Grid.Size, Grid.Start, Tables.Programs, Tables.Video, PartialTail) { CutStream = CutStream };

    private static long Ticks(MediaTime time) => time.In(TicksPerSecond).Ticks;

    /// <summary>The units these searches return all have a presentation time.</summary>
    private static MediaPoint? Point(AccessUnit? unit) => unit is { Pts: { } pts } u ? new MediaPoint(u.Offset, new MediaTime(pts, TicksPerSecond)) : null;
}
