namespace MovData.Media.Codecs;

/// <summary>What an H.264 picture parameter set says about the slice header fields that come
/// before a slice's reference marking.</summary>
internal sealed record H264PictureSet(bool BottomFieldOrder, int RefIdxL0, int RefIdxL1, bool WeightedPred, int WeightedBipred, bool RedundantPicCount);

/// <summary>One memory_management_control_operation of a slice header, its first argument,
/// and where the last bit of the operation's code lies in the bytes read (index, bit mask).</summary>
internal readonly record struct H264Operation(int Code, int Argument, int Index, byte Mask);

/// <summary>How an H.264 slice marks reference pictures: its frame_num, whether it is a
/// reference picture and IDR, and its adaptive marking operations (null: the sliding window).</summary>
internal sealed record H264Marking(int FrameNum, bool Reference, bool Idr, List<H264Operation>? Operations);

/// <summary>
/// Reads an H.264 slice header as far as its reference marking (dec_ref_pic_marking), which
/// is what a decoder's reference list keeps between pictures: every field before it, the
/// picture parameter set's lists and weights included. Frames only (frame_mbs_only_flag),
/// pic_order_cnt_type 0 or 2.
/// </summary>
internal static class H264Slices
{
    /// <summary>The sequence and picture parameter sets in <paramref name="es"/>, added to
    /// those known.</summary>
    internal static void ReadSets(ReadOnlySpan<byte> es, ref H264Sets? sets, Dictionary<int, H264PictureSet> pictureSets)
    {
        foreach (int at in VideoCodec.StartCodes(es))
        {
            if (at >= es.Length)
            {
                break;
            }
            int type = es[at] & 0x1F;
            if (type == 7)
            {
                sets = VideoCodec.ReadSps(es, at) ?? sets;
            }
            else if (type == 8 && ReadPps(es, at) is ({ } id, { } set))
            {
                pictureSets[id] = set;
            }
            else if (type is >= 1 and <= 5)
            {
                break;
            }
        }
    }

    /// <summary>The marking of each slice in <paramref name="es"/> (one access unit), or only
    /// of the first with <paramref name="firstOnly"/>; null where one cannot be read here
    /// (fields, another picture order type, a parameter set not seen, bytes cut short).</summary>
    internal static List<H264Marking>? Markings(ReadOnlySpan<byte> es, H264Sets sets, IReadOnlyDictionary<int, H264PictureSet> pictureSets, bool firstOnly)
    {
        if (sets is not { FrameMbsOnly: true, PocType: 0 or 2 })
        {
            return null;
        }
        var markings = new List<H264Marking>();
        foreach (int at in VideoCodec.StartCodes(es))
        {
            if (at >= es.Length || (es[at] & 0x1F) is not (1 or 5))
            {
                continue;
            }
            if (Marking(es, at, sets, pictureSets) is not { } marking)
            {
                return null;
            }
            markings.Add(marking);
            if (firstOnly)
            {
                break;
            }
        }
        return markings.Count > 0 ? markings : null;
    }

    private static H264Marking? Marking(ReadOnlySpan<byte> es, int nal, H264Sets sets, IReadOnlyDictionary<int, H264PictureSet> pictureSets)
    {
        bool idr = (es[nal] & 0x1F) == 5, reference = (es[nal] & 0x60) != 0;
        var bits = new NalBits(es, nal + 1);
        bits.Ue(); // first_mb_in_slice
        int kind = bits.Ue() % 5; // slice_type: P, B, I, SP, SI
        if (!pictureSets.TryGetValue(bits.Ue(), out H264PictureSet? pps))
        {
            return null;
        }
        if (sets.SeparateColourPlanes)
        {
            bits.Bits(2); // colour_plane_id
        }
        int frameNum = bits.Bits(sets.Log2MaxFrameNum);
        if (idr)
        {
            bits.Ue(); // idr_pic_id
        }
        if (sets.PocType == 0)
        {
            bits.Bits(sets.Log2MaxPocLsb); // pic_order_cnt_lsb
            if (pps.BottomFieldOrder)
            {
                bits.Se(); // delta_pic_order_cnt_bottom
            }
        }
        if (pps.RedundantPicCount)
        {
            bits.Ue(); // redundant_pic_cnt
        }
        bool b = kind == 1, p = kind is 0 or 3;
        if (b)
        {
            bits.Bit(); // direct_spatial_mv_pred_flag
        }
        int l0 = pps.RefIdxL0, l1 = pps.RefIdxL1;
        if ((p || b) && bits.Bit() == 1) // num_ref_idx_active_override_flag
        {
            l0 = bits.Ue() + 1;
            l1 = b ? bits.Ue() + 1 : l1;
        }
        if (kind is not (2 or 4))
        {
            SkipListModification(ref bits);
            if (b)
            {
                SkipListModification(ref bits);
            }
        }
        if ((pps.WeightedPred && p) || (pps.WeightedBipred == 1 && b))
        {
            bits.Ue(); // luma_log2_weight_denom
            if (sets.ChromaArrayType != 0)
            {
                bits.Ue(); // chroma_log2_weight_denom
            }
            SkipWeights(ref bits, l0, sets.ChromaArrayType != 0);
            if (b)
            {
                SkipWeights(ref bits, l1, sets.ChromaArrayType != 0);
            }
        }
        List<H264Operation>? operations = null;
        if (reference)
        {
            if (idr)
            {
                bits.Bit(); // no_output_of_prior_pics_flag
                if (bits.Bit() == 1)
                {
                    return null; // long_term_reference_flag: long-term pictures are not followed here
                }
            }
            else if (bits.Bit() == 1) // adaptive_ref_pic_marking_mode_flag
            {
                operations = [];
                for (int n = 0; n < 66; n++)
                {
                    (int code, int index, byte mask) = CodeAndLastBit(ref bits);
                    if (code == 0)
                    {
                        break;
                    }
                    int argument = code is 1 or 2 or 3 or 4 or 6 ? bits.Ue() : 0;
                    if (code == 3)
                    {
                        bits.Ue(); // long_term_frame_idx
                    }
                    operations.Add(new H264Operation(code, argument, index, mask));
                }
            }
        }
        return bits.Exhausted ? null : new H264Marking(frameNum, reference, idr, operations);
    }

    /// <summary>An Exp-Golomb code and where its last bit lies.</summary>
    private static (int Code, int Index, byte Mask) CodeAndLastBit(ref NalBits bits)
    {
        int zeros = 0;
        (int Index, byte Mask) last = bits.Position();
        while (bits.Bit() == 0 && zeros < 31 && !bits.Exhausted)
        {
            zeros++;
            last = bits.Position();
        }
        int value = 0;
        for (int i = 0; i < zeros; i++)
        {
            last = bits.Position();
            value = (value << 1) | bits.Bit();
        }
        return ((1 << zeros) - 1 + value, last.Index, last.Mask);
    }

    private static void SkipListModification(ref NalBits bits)
    {
        if (bits.Bit() == 0)
        {
            return;
        }
        for (int n = 0; n < 33; n++)
        {
            int idc = bits.Ue(); // modification_of_pic_nums_idc
            if (idc == 3 || bits.Exhausted)
            {
                return;
            }
            bits.Ue(); // abs_diff_pic_num_minus1 or long_term_pic_num
        }
    }

    private static void SkipWeights(ref NalBits bits, int count, bool chroma)
    {
        for (int i = 0; i < count && !bits.Exhausted; i++)
        {
            if (bits.Bit() == 1)
            {
                bits.Se(); // luma_weight
                bits.Se(); // luma_offset
            }
            if (chroma && bits.Bit() == 1)
            {
                for (int j = 0; j < 4; j++)
                {
                    bits.Se(); // chroma weight and offset, Cb and Cr
                }
            }
        }
    }

    /// <summary>A picture parameter set's id and the fields <see cref="Marking"/> reads with;
    /// null with slice groups.</summary>
    private static (int? Id, H264PictureSet? Set) ReadPps(ReadOnlySpan<byte> es, int nal)
    {
        var bits = new NalBits(es, nal + 1);
        int id = bits.Ue();
        bits.Ue(); // seq_parameter_set_id
        bits.Bit(); // entropy_coding_mode_flag
        bool bottom = bits.Bit() == 1;
        if (bits.Ue() != 0)
        {
            return (null, null); // num_slice_groups_minus1
        }
        int l0 = bits.Ue() + 1, l1 = bits.Ue() + 1;
        bool weighted = bits.Bit() == 1;
        int bipred = bits.Bits(2);
        bits.Se(); // pic_init_qp_minus26
        bits.Se(); // pic_init_qs_minus26
        bits.Se(); // chroma_qp_index_offset
        bits.Bit(); // deblocking_filter_control_present_flag
        bits.Bit(); // constrained_intra_pred_flag
        bool redundant = bits.Bit() == 1;
        return bits.Exhausted ? (null, null) : (id, new H264PictureSet(bottom, l0, l1, weighted, bipred, redundant));
    }
}

/// <summary>
/// The short-term reference frames an H.264 decoder holds, followed picture by picture the
/// way ffmpeg's decoder keeps them (8.2.5, with its own handling of the frame_num gaps a cut
/// makes): a gap is filled with made-up frames, the last max_num_ref_frames of it, each
/// after the sliding window; a made-up frame further back than that from the picture is
/// dropped; then the picture's sliding window or operations, then the picture itself. What
/// was held before the first picture followed is not known: up to max_num_ref_frames frames
/// of unknown frame_num, the oldest, bounded from below and above; the bounds close as the
/// pictures' own frames fill the set.
/// </summary>
internal sealed class H264ReferenceFrames(int maxFrames, int log2MaxFrameNum)
{
    private readonly int _max = Math.Max(maxFrames, 1);
    private readonly int _frameNums = 1 << log2MaxFrameNum;
    private readonly List<(int FrameNum, bool MadeUp)> _held = []; // newest first
    private int _unknownAtLeast;
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
            (_unknownAtLeast, _unknownAtMost, _previous) = (0, 0, null);
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
                    (_unknownAtLeast, _unknownAtMost) = (Math.Max(_unknownAtLeast - 1, 0), _unknownAtMost - 1);
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
            _unknownAtLeast -= _unknownAtLeast == _unknownAtMost ? 1 : 0;
            _unknownAtMost--;
        }
    }

    private bool Add(int frameNum, bool madeUp)
    {
        if (_held.Exists(f => f.FrameNum == frameNum) || _held.Count + _unknownAtLeast >= _max)
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
