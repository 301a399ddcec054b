using MovData.Media.Codecs;

namespace MovData.Media.IsoBmff;

/// <summary>
/// The H.264 joins of an MP4 or MOV cut, mended as a transport stream's are (docs/media.md,
/// "Timestamps at a join"). A cut resumes on a keyframe, and an open GOP's keyframe is an I
/// picture that is not IDR: a decoder goes on counting picture order and holding reference
/// frames across the join as if nothing were missing. Where the keyframe would count below a
/// picture kept before the join, ffmpeg's decoder puts frames out of order (its muxer then
/// reports "non monotonically increasing dts"): the cut starts later instead, on the first
/// picture from which it does not (<see cref="Ordered"/>). Where a picture kept after the
/// join releases a reference frame the cut removed, ffmpeg reports "mmco: unref short
/// failure": that release becomes one of a long-term frame, one bit of the sample's bytes
/// (<see cref="Releases"/>). Samples are read where they lie (<see cref="NalSamples"/>).
/// </summary>
internal sealed class AvcJoins
{
    /// <summary>Pictures before a cut's start whose picture order and reference frames are
    /// followed (more than any reordering or reference set reaches back).</summary>
    private const int Window = 32;

    /// <summary>How many pictures past a cut's start may be kept to make its join's picture
    /// order hold: half the largest range of pic_order_cnt_lsb x264 uses (64, two a frame).</summary>
    private const int Tries = 32;

    /// <summary>How far, in decode order, a picture may be shown before one decoded ahead of
    /// it (more than any encoder's B-picture run).</summary>
    private const int Reordering = 16;

    /// <summary>The most pictures after a join followed for releases.</summary>
    private const int Follow = 48;

    /// <summary>Bytes of a picture read for its first slice header (behind its SEI, and for
    /// avc3 its parameter sets).</summary>
    private const int HeaderBytes = 4096;

    private readonly Movie _movie;
    private readonly SampleList _s;
    private readonly Dictionary<int, H264PictureSet> _pictureSets = [];
    private H264Sets? _sets;

    private AvcJoins(Movie movie, DecoderConfig config)
    {
        (_movie, _s) = (movie, movie.Samples);
        H264Slices.ReadSets(config.ParameterSets, ref _sets, _pictureSets);
    }

    /// <summary>The joins of <paramref name="movie"/>'s video, where it is H.264 read as
    /// <see cref="NalSamples"/>; null otherwise.</summary>
    internal static AvcJoins? Of(Movie movie) =>
        movie.Lead.Codec == "h264" && NalSamples.Readable(movie.Lead) ? new AvcJoins(movie, movie.Lead.Decoder!) : null;

    /// <summary>
    /// The cuts, each whose kept pictures resume on an H.264 picture that is neither IDR nor
    /// B (an open GOP's I picture) that would count in picture order below a picture kept
    /// before it (<see cref="VideoCodec.CountsAfterAll"/>), moved to start on a later
    /// picture of the range from which it does not: one that starts a run of pictures all
    /// shown after those decoded before it, so that what is kept before the join stays
    /// whole and shown before it (at most <see cref="Tries"/> pictures on). A cut keeps more
    /// than asked, never less. With <paramref name="preferKeyframes"/> (what is removed is
    /// saved, and the saved movie shows a run of video from its first keyframe on:
    /// <see cref="SavedMovie"/>) a keyframe is taken if one will do, else any picture. Where
    /// none within reach will do, the cut stays as snapped; so too where <paramref name="can"/>
    /// (given the cut's number and where it would start) says the container cannot start it
    /// there, and the cuts after it are ordered after it as it stays.
    /// </summary>
    internal List<PlannedCut> Ordered(List<PlannedCut> cuts, bool preferKeyframes, CancellationToken cancel, Func<int, PlannedCut, bool>? can = null)
    {
        var ordered = new List<PlannedCut>(cuts.Count); // the cuts before, whose pictures are not decoded
        foreach (PlannedCut cut in cuts)
        {
            cancel.ThrowIfCancellationRequested();
            // A keyframe is tried first only where one lies within reach.
            bool keyframe = preferKeyframes && _s.LastSyncAtOrBefore((int)Math.Min(cut.Start + Tries, cut.End - 1)) > cut.Start;
            PlannedCut later = cut.Head || cut.End == _s.Count ? cut
                : (keyframe ? OrderedJoin(cut, ordered, keyframesOnly: true) : null) ?? OrderedJoin(cut, ordered, keyframesOnly: false) ?? cut;
            ordered.Add(later.Start == cut.Start || can is null || can(ordered.Count, later) ? later : cut);
        }
        return ordered;
    }

    /// <summary>The cut moved to where its join's picture order holds, itself where it does
    /// already or the resuming picture is not one this mends; null where no start within
    /// reach will do, or the pictures cannot be read so.</summary>
    private PlannedCut? OrderedJoin(PlannedCut cut, List<PlannedCut> before, bool keyframesOnly)
    {
        if (Order((int)cut.End) is not { Idr: false, Bipredicted: false } resume)
        {
            return cut;
        }
        var decoded = new List<H264Order>();
        for (int i = (int)cut.Start - 1; i >= 0 && decoded.Count < Window; i--)
        {
            if (before.Exists(c => MovieCut.VideoRemoves(_movie, c, i)))
            {
                continue;
            }
            if (Order(i) is not { } order)
            {
                return null;
            }
            decoded.Insert(0, order);
        }
        long shownBefore = long.MinValue; // the latest presentation of the range's pictures kept
        for (int at = (int)cut.Start; at < cut.End && at <= cut.Start + Tries; at++)
        {
            long shownFrom = long.MaxValue; // the earliest of those removed from here
            for (int i = at; i < cut.End && i < at + Reordering; i++)
            {
                shownFrom = Math.Min(shownFrom, _s.Pts(i));
            }
            if ((!keyframesOnly || at == cut.Start || _s.IsSync(at)) && shownBefore < shownFrom && VideoCodec.CountsAfterAll(decoded, resume))
            {
                return at == cut.Start ? cut : cut with { Start = at, From = new MediaTime(shownFrom - _movie.Pts0, _movie.Lead.Timescale) };
            }
            if (at == cut.Start + Tries || Order(at) is not { } order)
            {
                return null;
            }
            decoded.Add(order);
            shownBefore = Math.Max(shownBefore, _s.Pts(at));
        }
        return null;
    }

    /// <summary>
    /// The one-byte writes (file offset, new value) over the video pictures the cuts keep
    /// (<paramref name="keep"/>, decode order) that make each release, by
    /// memory_management_control_operation 1, of a reference frame that ffmpeg's decoder
    /// certainly does not hold after a join (the cut removed it) one of a long-term frame,
    /// which it passes over in silence (<see cref="H264Slices.AsLongTermReleases"/>). Which
    /// frames are held is followed picture by picture (<see cref="H264ReferenceFrames"/>)
    /// from the <see cref="Window"/> pictures before each join (after a cut of the head, from a
    /// decoder holding nothing, as it starts there), all kept (else that join is
    /// left as it is), through the pictures kept after it, up to the next cut, at most
    /// <see cref="Follow"/> of them, and until twice max_num_ref_frames reference pictures have
    /// passed (by then an encoder has let go of every frame from before the join) or following
    /// can no longer be sure. A picture longer than <see cref="NalSamples.WholeLimit"/> is left
    /// as it is.
    /// </summary>
    internal List<(long Offset, byte Value)> Releases(IReadOnlyList<PlannedCut> cuts, bool[] keep, CancellationToken cancel)
    {
        var writes = new List<(long Offset, byte Value)>();
        for (int c = 0; c < cuts.Count; c++)
        {
            cancel.ThrowIfCancellationRequested();
            PlannedCut cut = cuts[c];
            int limit = c + 1 < cuts.Count ? (int)cuts[c + 1].Start : _s.Count;
            if (cut.End < _s.Count)
            {
                JoinReleases(cut.Head ? 0 : (int)cut.Start, (int)cut.End, limit, keep, writes);
            }
        }
        return writes;
    }

    /// <summary>
    /// The same writes for a movie that shows only the pictures <paramref name="shown"/>
    /// (decode order) of this one, in runs: the saved movie of what a cut removed
    /// (<see cref="SavedMovie"/>), each run from a sync picture on, less that picture's leading
    /// pictures. A decoder starts on the first run holding nothing, and takes each later one
    /// after the run before it (a run whose <see cref="Window"/> pictures before it are not all
    /// shown is left as it is).
    /// </summary>
    internal List<(long Offset, byte Value)> RunReleases(bool[] shown, CancellationToken cancel)
    {
        // A run begins where a sync picture is shown after one that is not; a picture shown
        // after one that is not, and not sync, follows its run's leading pictures.
        var starts = new List<int>();
        for (int i = 0; i < shown.Length; i++)
        {
            if (shown[i] && (i == 0 || !shown[i - 1]) && _s.IsSync(i))
            {
                starts.Add(i);
            }
        }
        var writes = new List<(long Offset, byte Value)>();
        int before = 0; // where the pictures after the last run begin (0: none yet, a decoder holding nothing)
        for (int r = 0; r < starts.Count; r++)
        {
            cancel.ThrowIfCancellationRequested();
            int end = starts[r], limit = r + 1 < starts.Count ? starts[r + 1] : shown.Length;
            JoinReleases(before, end, limit, shown, writes);
            before = Array.FindLastIndex(shown, limit - 1, limit - end, x => x) + 1;
        }
        return writes;
    }

    private void JoinReleases(int start, int end, int limit, bool[] keep, List<(long Offset, byte Value)> writes)
    {
        if (Picture(end, HeaderBytes) is not ({ Idr: false }, _) || _sets is not { } sets)
        {
            return;
        }
        // After a cut of the head the decoder starts on the picture the video resumes on, holding nothing.
        H264ReferenceFrames frames = start == 0 ? H264ReferenceFrames.Fresh(sets.MaxRefFrames, sets.Log2MaxFrameNum) : new(sets.MaxRefFrames, sets.Log2MaxFrameNum);
        var unheld = new List<H264Operation>();
        for (int i = Math.Max(0, start - Window); i < start; i++)
        {
            if (!keep[i] || Picture(i, HeaderBytes) is not ({ } picture, _) || !frames.Decode(picture, joined: false, unheld))
            {
                return;
            }
        }
        int references = 0, followed = 0;
        for (int i = end; i < limit && followed < Follow && references < 2 * Math.Max(sets.MaxRefFrames, 1); i++)
        {
            if (!keep[i])
            {
                continue; // a leading picture the cut drops
            }
            followed++;
            unheld.Clear();
            if (Picture(i, HeaderBytes) is not ({ } picture, _) || !frames.Decode(picture, joined: true, unheld))
            {
                return;
            }
            references += picture.Reference ? 1 : 0;
            if (unheld.Count > 0 && NalSamples.ReadWhole(_movie, _s, i) is { } es && H264Slices.AsLongTermReleases(es, sets, _pictureSets, picture, unheld) is { } bytes)
            {
                writes.AddRange(bytes.Select(b => (_s.Offset(i) + b.Index, b.Value)));
            }
        }
    }

    /// <summary>Where sample <paramref name="i"/> stands in picture order; null where it cannot
    /// be read so.</summary>
    private H264Order? Order(int i) => VideoCodec.H264PictureOrder(Es(i, HeaderBytes), ref _sets);

    /// <summary>How sample <paramref name="i"/>'s first slice marks reference frames, from its
    /// first <paramref name="bytes"/> bytes, and those bytes; a null marking where it cannot
    /// be read so.</summary>
    private (H264Marking? Marking, byte[] Es) Picture(int i, int bytes)
    {
        byte[] es = Es(i, bytes);
        H264Slices.ReadSets(es, ref _sets, _pictureSets);
        return (_sets is { } sets && H264Slices.Markings(es, sets, _pictureSets, firstOnly: true) is [var first] ? first : null, es);
    }

    private byte[] Es(int i, int limit) => NalSamples.Read(_movie, _s, i, limit);
}
