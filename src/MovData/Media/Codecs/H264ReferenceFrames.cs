namespace MovData.Media.Codecs;

/// <summary>
/// The short-term reference frames an H.264 decoder holds, followed picture by picture the
/// way ffmpeg's decoder keeps them (8.2.5, with its own handling of the frame_num gaps a cut
/// makes): a gap is filled with made-up frames, the last max_num_ref_frames of it, each
/// after the sliding window; a made-up frame further back than that from the picture is
/// dropped; then the picture's sliding window or operations, then the picture itself. What
/// was held before the first picture followed is not known: up to max_num_ref_frames frames
/// of unknown frame_num, the oldest, however many the set leaves room for beside the frames
/// known; the bound closes as the pictures' own frames fill the set.
/// </summary>
internal sealed class H264ReferenceFrames(int maxFrames, int log2MaxFrameNum)
{
    private readonly int _max = Math.Max(maxFrames, 1);
    private readonly int _frameNums = 1 << log2MaxFrameNum;
    private readonly List<(int FrameNum, bool MadeUp)> _held = []; // newest first
    private int _unknownAtMost = Math.Max(maxFrames, 1);
    private int? _previous;

    /// <summary>A decoder that has decoded nothing yet: it holds no frame, and takes the
    /// frame_num before the first as -1 (ffmpeg fills the gap up to a first picture that is
    /// not IDR, from frame_num 0).</summary>
    internal static H264ReferenceFrames Fresh(int maxFrames, int log2MaxFrameNum)
    {
        var frames = new H264ReferenceFrames(maxFrames, log2MaxFrameNum);
        (frames._unknownAtMost, frames._previous) = (0, -1);
        return frames;
    }

    /// <summary>
    /// Follows one picture. Before the join (<paramref name="joined"/> false) the stream is
    /// the encoder's, so every frame an operation releases is held: one not known is one of
    /// the unknown. After it, an operation that releases a frame certainly not held is added
    /// to <paramref name="unheld"/> (ffmpeg reports "mmco: unref short failure") and does
    /// nothing. False where the picture cannot be followed (long-term references, a reset,
    /// a frame that may or may not be held, more frames than the set allows): stop there.
    /// </summary>
    internal bool Decode(H264Marking picture, bool joined, List<H264Operation> unheld)
    {
        if (picture.Idr)
        {
            _held.Clear();
            (_unknownAtMost, _previous) = (0, null);
        }
        int frameNum = picture.FrameNum;
        if (_previous is { } previous && frameNum != previous && frameNum != (previous + 1) % _frameNums)
        {
            int gap = (frameNum - previous - 1 + _frameNums) % _frameNums;
            for (int k = Math.Max(0, gap - _max); k < gap; k++)
            {
                SlidingWindow();
                if (!Add((previous + 1 + k) % _frameNums, madeUp: true))
                {
                    return false;
                }
            }
        }
        _previous = frameNum;
        if (!picture.Reference)
        {
            return true;
        }
        if (picture.Operations is not { } operations)
        {
            SlidingWindow();
        }
        else
        {
            foreach (H264Operation op in operations)
            {
                if (op.Code != 1)
                {
                    return false; // long-term references, or a reset (5)
                }
                int released = (frameNum - op.Argument - 1 + 2 * _frameNums) % _frameNums;
                int at = _held.FindIndex(f => f.FrameNum == released);
                if (at >= 0)
                {
                    _held.RemoveAt(at);
                }
                else if (!joined && _unknownAtMost > 0)
                {
                    _unknownAtMost--;
                }
                else if (joined && _unknownAtMost == 0)
                {
                    unheld.Add(op);
                }
                else
                {
                    return false; // held or not is not known, or the stream is not followed
                }
            }
        }
        return Add(frameNum, madeUp: false);
    }

    /// <summary>The oldest frame released where as many are held as the set allows: one of the
    /// unknown frames if there are any, else the oldest known.</summary>
    private void SlidingWindow()
    {
        int known = _held.Count;
        if (known >= _max)
        {
            _held.RemoveAt(known - 1);
        }
        else if (_unknownAtMost == _max - known)
        {
            // Full only if as many unknown frames are held as can be; then one of them goes.
            _unknownAtMost--;
        }
    }

    private bool Add(int frameNum, bool madeUp)
    {
        if (_held.Exists(f => f.FrameNum == frameNum) || _held.Count >= _max)
        {
            return false; // a frame_num held twice, or the set's limit passed: ffmpeg reports either
        }
        _held.Insert(0, (frameNum, madeUp));
        _unknownAtMost = Math.Min(_unknownAtMost, _max - _held.Count);
        // Made-up frames further back than the set's size are dropped.
        _held.RemoveAll(f => f.MadeUp && (frameNum - f.FrameNum + _frameNums) % _frameNums > _max);
        return true;
    }
}
