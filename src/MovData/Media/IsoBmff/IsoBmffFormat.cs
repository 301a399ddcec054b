using Microsoft.Win32.SafeHandles;

namespace MovData.Media.IsoBmff;

/// <summary>
/// MP4 and MOV (ISO base media file format, QuickTime) behind the format seam: recognised by
/// a box at the head, opened as a <see cref="Movie"/> from its moov. Cutting is not here yet.
/// </summary>
internal sealed class IsoBmffFormat : IContainerFormat
{
    internal static readonly IsoBmffFormat Instance = new();

    private IsoBmffFormat()
    {
    }

    public string Name => "MP4 or MOV";

    /// <summary>The boxes a file of this format begins with: ftyp, or in a QuickTime file from
    /// before ftyp, its first box of any of the others.</summary>
    private static readonly uint[] First = [FourCc.Ftyp, FourCc.Moov, FourCc.Mdat, FourCc.Wide, FourCc.Free, FourCc.Skip, FourCc.Pnot];

    public bool Recognise(ReadOnlySpan<byte> head, out string whyNot)
    {
        bool found = Boxes.Header(head, 0, long.MaxValue, out string? problem) is { } box && problem is null && First.Contains(box.Type);
        whyNot = found ? "" : "no ftyp, moov, mdat, wide or free box at its start";
        return found;
    }

    public IMediaTimeline Open(SafeFileHandle file, ReadOnlySpan<byte> head, CancellationToken cancel) => Movie.Open(file, cancel);

    /// <exception cref="InvalidDataException">Always, for now: MP4 and MOV are read, not cut.</exception>
    public CutPlan PlanCut(IMediaTimeline timeline, string path, IReadOnlyList<TimeRange> remove, CutOptions options, long blockSize, CancellationToken cancel)
    {
        var movie = (Movie)timeline; // what Open returned
        string name = movie.Format == RecordingFormat.Mov ? "a MOV" : "an MP4";
        string kind = movie.Fragmented ? $"{name} in {movie.TopLevel.Count(b => b.Type == FourCc.Moof)} fragments" : $"{name} file";
        throw new InvalidDataException(
            $"{path} is {kind}: cutting MP4 and MOV in place is not in this version of movdata yet (only MPEG-TS and M2TS are cut); nothing was changed. `movdata info` reads it");
    }
}
