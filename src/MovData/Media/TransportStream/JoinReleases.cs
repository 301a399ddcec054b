using MovData.Edits;
using MovData.Media.Codecs;

namespace MovData.Media.TransportStream;

/// <summary>
/// After an H.264 join on a picture that is not IDR, the pictures kept after it may release,
/// by memory_management_control_operation 1, reference frames that were decoded before it in
/// the recording and that the cut removed. ffmpeg's decoder then holds other frames in their
/// place (the kept ones before the join, the bridge pictures, the frames it makes up for the
/// gap in frame_num) and, where the frame released is not among them, reports "mmco: unref
/// short failure" (x264's open GOPs at preset veryfast, once or twice a join). Each such
/// operation, and no other, is turned into operation 2 (release a long-term frame; none is
/// held, and ffmpeg passes over one it does not hold in silence): one bit of the code, from
/// 010 to 011, in every slice of the picture, the same length, so nothing else moves. Which
/// frames are held is followed picture by picture (<see cref="H264ReferenceFrames"/>) from
/// the pictures before the cut's start through the bridge pictures and the join; an
/// operation is rewritten only where its frame is certainly not held, and following stops
/// where it can no longer be sure, or after twice max_num_ref_frames reference pictures
/// past the join (by then an encoder has let go of every frame from before it: its set
/// holds no more).
/// </summary>
internal static class JoinReleases
{
    /// <summary>The most pictures after the join looked at.</summary>
    private const int Follow = 48;

    /// <summary>The longest picture read whole to rewrite its slices.</summary>
    private const int PictureLimit = 4 << 20;

    /// <summary>
    /// The one-byte writes over the pictures after the join at <paramref name="e"/> that keep
    /// them from releasing frames ffmpeg's decoder does not hold. Decoded just before it: the
    /// pictures of <paramref name="before"/> (the content kept before the join, the part before
    /// this one in a file of removed parts), of which the last are followed (where fewer than
    /// that lie in it, nothing is written), or with null none (a part that starts a file);
    /// then <paramref name="bridges"/> bridge pictures.
    /// <paramref name="hidden"/> are the pictures the cut hides, which it does not decode;
    /// <paramref name="limit"/> where the kept content ends.
    /// </summary>
    internal static List<Patch> Patches(Recording rec, (long From, long To)? before, long e, int bridges, List<(long From, long To)> hidden, long limit, CancellationToken cancel)
    {
        var patches = new List<Patch>();
        if (rec.Codec != VideoCodecKind.H264)
        {
            return patches;
        }
        H264Sets? sets = null;
        var pictureSets = new Dictionary<int, H264PictureSet>();
        byte[] resume = rec.ReadUnit(e, CutPlanner.OrderBytes).Es;
        if (!VideoCodec.CarriesSequenceSet(resume))
        {
            H264Slices.ReadSets(CutPlanner.GopKeyframe(rec, e, cancel), ref sets, pictureSets);
        }
        H264Slices.ReadSets(resume, ref sets, pictureSets);
        if (sets is null || H264Slices.Markings(resume, sets, pictureSets, firstOnly: true) is not [{ Idr: false }])
        {
            return patches;
        }
        H264ReferenceFrames frames = before is null ? H264ReferenceFrames.Fresh(sets.MaxRefFrames, sets.Log2MaxFrameNum) : new(sets.MaxRefFrames, sets.Log2MaxFrameNum);
        var unheld = new List<H264Operation>();
        int lastReference = -1;
        List<AccessUnit> decoded = before is { } span ? rec.UnitsBefore(span.To, CutPlanner.OrderWindow, cancel) : [];
        if (before is { } kept && decoded.Count > 0 && decoded[0].Offset < kept.From)
        {
            return patches; // the pictures before these are not the encoder's stream
        }
        foreach (AccessUnit u in decoded)
        {
            if (H264Slices.Markings(rec.ReadUnit(u.Offset, CutPlanner.OrderBytes).Es, sets, pictureSets, firstOnly: true) is not [var picture]
                || !frames.Decode(picture, joined: false, unheld))
            {
                return patches;
            }
            lastReference = picture.Reference ? picture.FrameNum : lastReference;
        }
        // The bridge pictures (CutPlanner.Bridge): references by the sliding window, each
        // numbered on from the last reference picture before them.
        for (int k = 0; k < bridges; k++)
        {
            if (lastReference < 0 || !frames.Decode(new H264Marking((lastReference + 1 + k) % (1 << sets.Log2MaxFrameNum), true, false, null), joined: false, unheld))
            {
                return patches;
            }
        }
        // Read as it goes (each unit's end is the next one's start), so that no more is read
        // than the pictures followed.
        using IEnumerator<AccessUnit> after = rec.Units(e, limit, cancel: cancel).Take(Follow + 1).GetEnumerator();
        int references = 0;
        for (bool more = after.MoveNext(); more && references < 2 * Math.Max(sets.MaxRefFrames, 1);)
        {
            long at = after.Current.Offset;
            more = after.MoveNext();
            if (!more || hidden.Exists(r => at >= r.From && at < r.To))
            {
                continue;
            }
            unheld.Clear();
            if (H264Slices.Markings(rec.ReadUnit(at, CutPlanner.OrderBytes).Es, sets, pictureSets, firstOnly: true) is not [var picture]
                || !frames.Decode(picture, joined: true, unheld))
            {
                break;
            }
            references += picture.Reference ? 1 : 0;
            if (unheld.Count > 0 && Rewrites(rec.ReadUnit(at, (int)Math.Min(after.Current.Offset - at, PictureLimit)), sets, pictureSets, picture, unheld) is { } rewrites)
            {
                patches.AddRange(rewrites);
            }
        }
        return patches;
    }

    /// <summary>The one-byte writes over <paramref name="unit"/> that
    /// <see cref="H264Slices.AsLongTermReleases"/> finds; null where it finds none can be made.</summary>
    private static List<Patch>? Rewrites(UnitBytes unit, H264Sets sets, Dictionary<int, H264PictureSet> pictureSets, H264Marking first, List<H264Operation> unheld) =>
        H264Slices.AsLongTermReleases(unit.Es, sets, pictureSets, first, unheld)?.Select(b => new Patch(unit.FileOffsetOf(b.Index), 1, [b.Value])).ToList();
}
