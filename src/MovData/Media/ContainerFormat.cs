using Microsoft.Win32.SafeHandles;
using MovData.Edits;

namespace MovData.Media;

/// <summary>
/// One container format behind the seam, as a demuxer behind libavformat's: it recognises
/// itself from the head of a file, opens the file as a timeline, and plans a cut as data
/// the edits layer runs (<see cref="CutLayout"/>). <see cref="MediaFile"/> chooses a format
/// from <see cref="MediaFormats.All"/> and knows nothing of any container; formats never
/// call each other, and what they share lives above them (this folder) or in Codecs/.
/// </summary>
internal interface IContainerFormat
{
    /// <summary>How a refusal names the format: "MPEG-TS or M2TS".</summary>
    string Name { get; }

    /// <summary>The endings of the names files of this format are given, lower case with the
    /// dot (".ts"), the usual first: a file of removed parts named for another format is refused.</summary>
    IReadOnlyList<string> Extensions { get; }

    /// <summary>Whether <paramref name="head"/>, the file's first bytes (at most
    /// <see cref="MediaFormats.HeadBytes"/>, fewer for a smaller file), is this format;
    /// if not, <paramref name="whyNot"/> says what it looked for and did not find.</summary>
    bool Recognise(ReadOnlySpan<byte> head, out string whyNot);

    /// <summary>Opens a file whose head <see cref="Recognise"/> accepted as a timeline,
    /// reading only what finding times needs (not the whole file).</summary>
    /// <exception cref="InvalidDataException">The file is damaged, or lacks what a cut needs
    /// (program tables, a video stream, timestamps); the message says what.</exception>
    IMediaTimeline Open(SafeFileHandle file, ReadOnlySpan<byte> head, CancellationToken cancel);

    /// <summary>
    /// Plans the removal of <paramref name="remove"/> from <paramref name="timeline"/> (which
    /// this format's <see cref="Open"/> returned) on a filesystem of
    /// <paramref name="blockSize"/>: the ranges snapped (<see cref="CutSnapping"/>), the
    /// block removals, the bytes to write, and what <see cref="CutOptions.SaveRemovedTo"/>
    /// gets. It reads the file and changes nothing.
    /// </summary>
    /// <exception cref="ArgumentException">A range starts past the end or removes everything.</exception>
    /// <exception cref="InvalidDataException">This file cannot be cut as it is (an MPEG-TS
    /// recording whose last packet is incomplete).</exception>
    /// <exception cref="NotSupportedException">A kind of file of this format that its cut
    /// does not handle yet (a fragmented MP4): exit 3, not a damaged file.</exception>
    CutPlan PlanCut(IMediaTimeline timeline, string path, IReadOnlyList<TimeRange> remove, CutOptions options, long blockSize, CancellationToken cancel);
}

/// <summary>
/// A recording as its format opened it: a clock, keyframes, and where the access units lie.
/// A position is the format's own place of an access unit, growing in decode order (for
/// MPEG-TS the file offset of the first packet of its PES); <see cref="StartPosition"/> and
/// <see cref="EndPosition"/> bound the content (a cut from time 0 takes from the first,
/// one to the end truncates at its start).
/// </summary>
internal interface IMediaTimeline
{
    RecordingFormat Format { get; }

    /// <summary>The file's size in bytes.</summary>
    long Size { get; }

    /// <summary>Ticks a second of the clock the timeline's times are on.</summary>
    long Timescale { get; }

    /// <summary>The presentation time just after the last frame: the duration.</summary>
    MediaTime EndTime { get; }

    long StartPosition { get; }

    long EndPosition { get; }

    /// <summary>The first random-access unit presented at or after <paramref name="time"/>;
    /// null if there is none before the end (or, for a search that gives up, near it).</summary>
    MediaPoint? FirstKeyframeAtOrAfter(MediaTime time, CancellationToken cancel);

    /// <summary>The last random-access unit presented at or before <paramref name="time"/>.</summary>
    MediaPoint? LastKeyframeAtOrBefore(MediaTime time, CancellationToken cancel);

    /// <summary>The unit of any kind presented nearest <paramref name="time"/> (exact cuts).</summary>
    MediaPoint? NearestFrame(MediaTime time, CancellationToken cancel);

    /// <summary>Random-access units in the whole file (reads it all, reporting bytes read).</summary>
    int CountKeyframes(IProgress<long>? progress, CancellationToken cancel);

    /// <summary>The byte ranges of the file that hold the units from position
    /// <paramref name="from"/> up to <paramref name="to"/>, in file order (one, in a stream of
    /// packets; a sample table may scatter them).</summary>
    IReadOnlyList<(long Offset, long Length)> Holds(long from, long to);

    /// <summary><paramref name="info"/> with this format's own details added.</summary>
    RecordingInfo WithDetails(RecordingInfo info);

    /// <summary><paramref name="result"/> with this format's own details (as the recording was before the cut) added.</summary>
    CutResult WithDetails(CutResult result);
}

/// <summary>An access unit on a timeline: its position and its presentation time.</summary>
internal readonly record struct MediaPoint(long Position, MediaTime Time);

/// <summary>A range to remove, snapped: positions [Start, End) of the timeline as it is, the
/// times of its first removed frame and of the first frame kept after it, and whether it
/// takes the head (from <see cref="IMediaTimeline.StartPosition"/>, headers included).</summary>
internal sealed record PlannedCut(long Start, long End, MediaTime From, MediaTime To, bool Head);

/// <summary>What a format plans for a cut: the ranges snapped (<see cref="Cuts"/>), those
/// that removed nothing, and the layout the edits layer runs.</summary>
internal sealed record CutPlan(List<PlannedCut> Cuts, List<TimeRange> Unchanged, CutLayout Layout);

/// <summary>
/// A format that can carry a cut's <see cref="SavedManifest"/> at the end of the file of
/// removed parts, so that the file stays a recording that plays as before (nothing a demuxer
/// turns into a stream) and a restore finds the manifest from the file's end. A format
/// without it refuses <see cref="CutOptions.SaveRemovedTo"/>.
/// </summary>
internal interface ISavedManifestCarrier
{
    /// <summary>
    /// The bytes that carry <paramref name="carried"/> from offset <paramref name="at"/> of the
    /// saved file of <paramref name="timeline"/>'s removed parts: whole units of the format,
    /// padding first, so that the carried bytes end where the file ends.
    /// </summary>
    Patch Carry(IMediaTimeline timeline, long at, byte[] carried);

    /// <summary>
    /// What the units at the end of <paramref name="file"/> (of <paramref name="size"/> bytes,
    /// its head <paramref name="head"/>) carry, padding first, and the offset where they begin.
    /// </summary>
    /// <exception cref="InvalidDataException">The file does not end in such units (not made
    /// by a cut that saved what it removed, or cut short); the message says what it ends in.</exception>
    (byte[] Carried, long At) FindCarried(SafeFileHandle file, ReadOnlySpan<byte> head, long size, string path);

    /// <summary>Whether <paramref name="timeline"/>'s file ends as a file of removed parts does
    /// (in a manifest's units), at the cost of a read or two: a cut refuses such a file.</summary>
    bool Carries(IMediaTimeline timeline);
}
