using Microsoft.Win32.SafeHandles;
using MovData.Edits;

namespace MovData.Media.IsoBmff;

/// <summary>
/// MP4 and MOV (ISO base media file format, QuickTime) behind the format seam: recognised by
/// a box at the head, opened as a <see cref="Movie"/> from its moov, cut by <see cref="MovieCut"/>
/// (a fragmented file by <see cref="FragmentCut"/>, at its fragments); a cut's manifest rides at the end of the removed parts in a
/// <see cref="ManifestBox"/>.
/// </summary>
internal sealed class IsoBmffFormat : IContainerFormat, ISavedManifestCarrier
{
    internal static readonly IsoBmffFormat Instance = new();

    private IsoBmffFormat()
    {
    }

    public string Name => "MP4 or MOV";

    public IReadOnlyList<string> Extensions { get; } = [".mp4", ".m4v", ".mov", ".qt", ".3gp", ".m4a"];

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

    /// <exception cref="InvalidDataException">What this cut does not do yet (a moov between
    /// media data, tables it would leave stale), or a join it cannot make.</exception>
    /// <exception cref="NotSupportedException">A fragmented file whose cut is not supported (the message says why).</exception>
    public CutPlan PlanCut(IMediaTimeline timeline, string path, IReadOnlyList<TimeRange> remove, CutOptions options, long blockSize, CancellationToken cancel)
    {
        var movie = (Movie)timeline; // what Open returned
        return movie.Fragmented
            ? FragmentCut.Plan(movie, path, remove, options, blockSize, cancel)
            : MovieCut.Plan(movie, path, remove, options, blockSize, cancel);
    }

    public Patch Carry(IMediaTimeline timeline, long at, byte[] carried) => ManifestBox.Carry(at, carried);

    public (byte[] Carried, long At) FindCarried(SafeFileHandle file, ReadOnlySpan<byte> head, long size, string path) => ManifestBox.Find(file, size, path);

    public bool Carries(IMediaTimeline timeline) => ManifestBox.Ends((Movie)timeline);
}
