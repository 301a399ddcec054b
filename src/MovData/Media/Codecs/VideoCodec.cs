namespace MovData.Media.Codecs;

/// <summary>The video codecs whose random-access points and broken-link marks a cut knows.</summary>
internal enum VideoCodecKind
{
    Mpeg2,
    H264,
    Hevc,
    Other,
}

/// <summary>An H.264 picture's place in picture order: whether other pictures may refer to
/// it (nal_ref_idc not 0), whether it is IDR, its pic_order_cnt_lsb and that field's range;
/// and, from the same slice header, its frame_num, the picture parameter set it names and
/// whether it is a B picture (<see cref="Bipredicted"/>: a slice of it is B, so it may lean
/// on a picture decoded before it and shown after it).</summary>
internal readonly record struct H264Order(bool Reference, bool Idr, int PocLsb, int MaxPocLsb, int FrameNum = 0, int PpsId = 0, bool Bipredicted = false);

/// <summary>What an H.264 stream's sequence parameter set says about counting pictures in a
/// slice header (pic_order_cnt_type 0 is the one read here), and what a picture made to
/// bridge a join must match: the set's id and the picture's size in macroblocks.</summary>
internal sealed record H264Sets(int PocType, int Log2MaxFrameNum, int Log2MaxPocLsb, bool SeparateColourPlanes, bool FrameMbsOnly, int SpsId = 0, int WidthInMbs = 0, int HeightInMapUnits = 0, int ChromaArrayType = 1, int MaxRefFrames = 0);

/// <summary>
/// What the first bytes of one video access unit say about it, whatever container carried
/// them: whether a decoder can start there, and which bytes to change so that a decoder
/// treats it as the first picture after a splice (a broken link) and drops the pictures that
/// lean on what came before it. The bytes are the elementary stream as a transport stream's
/// PES carries it, NAL units (or MPEG-2 headers) behind 00 00 01 start codes.
/// </summary>
internal static class VideoCodec
{
    /// <summary>A random-access point by the codec's own rules: H.264 IDR, or an I slice after
    /// a recovery point SEI; HEVC IRAP (BLA, IDR, CRA); MPEG-2 I picture after a sequence or
    /// GOP header.</summary>
    internal static bool IsRandomAccess(VideoCodecKind codec, ReadOnlySpan<byte> es)
    {
        bool recoveryPoint = false, header = false;
        foreach (int at in StartCodes(es))
        {
            if (at >= es.Length)
            {
                break;
            }
            switch (codec)
            {
                case VideoCodecKind.H264:
                    int type = es[at] & 0x1F;
                    if (type == 6)
                    {
                        recoveryPoint |= RecoveryPointBit(es, at).Index >= 0;
                    }
                    else if (type is >= 1 and <= 5)
                    {
                        return type == 5 || (recoveryPoint && IsISlice(es, at));
                    }
                    break;
                case VideoCodecKind.Hevc:
                    int nal = (es[at] >> 1) & 0x3F;
                    if (nal < 32)
                    {
                        return nal is >= 16 and <= 23;
                    }
                    break;
                case VideoCodecKind.Mpeg2:
                    if (es[at] is 0xB3 or 0xB8)
                    {
                        header = true;
                    }
                    else if (es[at] == 0x00 && at + 2 < es.Length)
                    {
                        return header && ((es[at + 2] >> 3) & 7) == 1;
                    }
                    break;
                default:
                    return false;
            }
        }
        return false;
    }

    /// <summary>
    /// The bytes to change (index into <paramref name="es"/>, new value) to mark this access
    /// unit as a broken link: HEVC CRA slices become BLA_W_LP (type 21 to 16), an H.264
    /// recovery point SEI gets broken_link_flag, an open MPEG-2 GOP gets broken_link. None for
    /// pictures that need no mark (IDR, closed GOPs).
    /// </summary>
    internal static List<(int Index, byte Value)> BrokenLinkMarks(VideoCodecKind codec, ReadOnlySpan<byte> es)
    {
        var marks = new List<(int, byte)>();
        foreach (int at in StartCodes(es))
        {
            if (at >= es.Length)
            {
                break;
            }
            switch (codec)
            {
                case VideoCodecKind.Hevc:
                    int nal = (es[at] >> 1) & 0x3F;
                    if (nal == 21)
                    {
                        marks.Add((at, (byte)((es[at] & 0x81) | (16 << 1))));
                    }
                    else if (nal < 32 && marks.Count == 0)
                    {
                        return marks; // the picture's first slice is not a CRA
                    }
                    break;
                case VideoCodecKind.H264:
                    int type = es[at] & 0x1F;
                    if (type == 6 && RecoveryPointBit(es, at) is var (index, mask) && index >= 0)
                    {
                        byte value = (byte)(es[index] | mask);
                        // Never write a byte that would read as a start code after two zeros.
                        if (value != es[index] && !(value <= 3 && index >= 2 && es[index - 1] == 0 && es[index - 2] == 0))
                        {
                            marks.Add((index, value));
                        }
                        return marks;
                    }
                    if (type is >= 1 and <= 5)
                    {
                        return marks;
                    }
                    break;
                case VideoCodecKind.Mpeg2:
                    if (es[at] == 0xB8 && at + 4 < es.Length)
                    {
                        byte flags = es[at + 4];
                        if ((flags & 0x40) == 0 && (flags & 0x20) == 0) // open GOP, not yet marked
                        {
                            marks.Add((at + 4, (byte)(flags | 0x20)));
                        }
                        return marks;
                    }
                    if (es[at] == 0x00)
                    {
                        return marks;
                    }
                    break;
                default:
                    return marks;
            }
        }
        return marks;
    }

    /// <summary>
    /// True where pictures that follow this random-access unit in decode order may be shown
    /// before it and refer to pictures before it, and no mark makes a decoder drop them: an
    /// H.264 I picture that is not IDR (an open GOP's, found by its recovery point SEI); an
    /// MPEG-2 I picture of a GOP that is not closed. ffmpeg's decoders read broken_link_flag
    /// and broken_link but do not drop those pictures where pictures come before them (the
    /// MPEG-2 decoder drops them only at the start of a stream): after a cut they are
    /// decoded from the wrong pictures, H.264's reported broken, MPEG-2's in silence, two
    /// B pictures a join that are neither the original's nor whole (their hashes measured);
    /// the cut hides them itself. (HEVC has BLA for this.)
    /// </summary>
    internal static bool LeadingPicturesNeedDropping(VideoCodecKind codec, ReadOnlySpan<byte> es)
    {
        foreach (int at in StartCodes(es))
        {
            if (at >= es.Length)
            {
                break;
            }
            switch (codec)
            {
                case VideoCodecKind.H264 when (es[at] & 0x1F) is >= 1 and <= 5:
                    return (es[at] & 0x1F) != 5;
                case VideoCodecKind.Mpeg2 when es[at] == 0xB8 && at + 4 < es.Length:
                    return (es[at + 4] & 0x40) == 0; // closed_gop clear
                case VideoCodecKind.Mpeg2 when es[at] == 0x00:
                    return false; // a picture with no GOP header before it
                case not (VideoCodecKind.H264 or VideoCodecKind.Mpeg2):
                    return false;
            }
        }
        return false;
    }

    /// <summary>
    /// Where an H.264 access unit stands in picture order, from the first slice header in
    /// <paramref name="es"/>, read with the sequence parameter set (<see cref="H264Sets"/>) seen
    /// last or in these bytes: whether it is a reference picture, whether IDR, and
    /// pic_order_cnt_lsb; and whether it is a B picture: its first slice's slice_type is B,
    /// or says nothing of the picture's other slices (0-4, where x264 writes 5-9) and one of
    /// those in <paramref name="es"/> is B. Null where the stream counts pictures otherwise
    /// (pic_order_cnt_type other than 0), for a field, or where the bytes hold no slice.
    /// </summary>
    internal static H264Order? H264PictureOrder(ReadOnlySpan<byte> es, ref H264Sets? sets)
    {
        foreach (int at in StartCodes(es))
        {
            if (at >= es.Length)
            {
                break;
            }
            int type = es[at] & 0x1F;
            if (type == 7)
            {
                sets = ReadSps(es, at) ?? sets;
            }
            else if (type is 1 or 5)
            {
                if (sets is not { PocType: 0 } p)
                {
                    return null;
                }
                var bits = new NalBits(es, at + 1);
                bits.Ue(); // first_mb_in_slice
                int sliceType = bits.Ue();
                bool bipredicted = sliceType % 5 == 1 || (sliceType < 5 && FurtherBSlice(es, at));
                int ppsId = bits.Ue();
                if (p.SeparateColourPlanes)
                {
                    bits.Bits(2); // colour_plane_id
                }
                int frameNum = bits.Bits(p.Log2MaxFrameNum);
                if (!p.FrameMbsOnly && bits.Bit() == 1)
                {
                    return null; // field_pic_flag: a field, not counted here
                }
                if (type == 5)
                {
                    bits.Ue(); // idr_pic_id
                }
                return new H264Order((es[at] & 0x60) != 0, type == 5, bits.Bits(p.Log2MaxPocLsb), 1 << p.Log2MaxPocLsb, frameNum, ppsId, bipredicted);
            }
        }
        return null;
    }

    /// <summary>Whether an H.264 access unit carries a sequence parameter set before its
    /// first slice.</summary>
    internal static bool CarriesSequenceSet(ReadOnlySpan<byte> es)
    {
        foreach (int at in StartCodes(es))
        {
            if (at < es.Length && (es[at] & 0x1F) is var type && type is 7 or (>= 1 and <= 5))
            {
                return type == 7;
            }
        }
        return false;
    }

    /// <summary>
    /// Whether <paramref name="next"/>, decoded right after <paramref name="decoded"/> (H.264
    /// pictures in decode order), gets a picture order count above every one of theirs, as
    /// 8.2.1.1 derives the counts for pic_order_cnt_type 0: the high part carried on from the
    /// last reference picture, a range up or down where the low bits wrap. A decoder puts
    /// pictures out in that order; ffmpeg's drops a picture that counts below one it has put
    /// out, and puts out the rest with falling timestamps. The counting starts at the first
    /// reference picture of <paramref name="decoded"/>.
    /// </summary>
    internal static bool CountsAfterAll(IReadOnlyList<H264Order> decoded, H264Order next)
    {
        long?[] counts = Counts([.. decoded, next]);
        return counts[^1] is not { } last || counts[..^1].All(c => c is not { } count || count < last);
    }

    /// <summary>The picture order count of each of <paramref name="decoded"/> (H.264 pictures
    /// in decode order), as 8.2.1.1 derives them for pic_order_cnt_type 0, counted from the
    /// first reference picture (null before it).</summary>
    internal static long?[] Counts(IReadOnlyList<H264Order> decoded)
    {
        var counts = new long?[decoded.Count];
        long msb = 0;
        int lsb = -1;
        for (int i = 0; i < decoded.Count; i++)
        {
            H264Order p = decoded[i];
            if (p.Idr)
            {
                (msb, lsb) = (0, 0);
            }
            else if (lsb < 0)
            {
                if (!p.Reference)
                {
                    continue;
                }
                lsb = p.PocLsb;
            }
            long high = HighPart(msb, lsb, p);
            counts[i] = high + p.PocLsb;
            if (p.Reference)
            {
                (msb, lsb) = (high, p.PocLsb);
            }
        }
        return counts;
    }

    /// <summary>
    /// The pic_order_cnt_lsb of one or two reference pictures to decode between
    /// <paramref name="decoded"/> and <paramref name="next"/> so that each counts above
    /// every picture before it and <paramref name="next"/> above them all (see
    /// <see cref="CountsAfterAll"/>): the smallest steps up that do; null where two do not
    /// reach (they always do for a range of 16 or more).
    /// </summary>
    internal static List<int>? BridgeCounts(IReadOnlyList<H264Order> decoded, H264Order next)
    {
        int max = next.MaxPocLsb;
        int last = decoded.LastOrDefault(p => p.Reference).PocLsb;
        for (int a = 1; a < max; a++)
        {
            H264Order one = next with { Idr = false, Reference = true, PocLsb = (last + a) % max };
            if (!CountsAfterAll(decoded, one))
            {
                continue;
            }
            List<H264Order> withOne = [.. decoded, one];
            if (CountsAfterAll(withOne, next))
            {
                return [one.PocLsb];
            }
            for (int b = 1; b < max; b++)
            {
                H264Order two = one with { PocLsb = (one.PocLsb + b) % max };
                if (CountsAfterAll(withOne, two) && CountsAfterAll([.. withOne, two], next))
                {
                    return [one.PocLsb, two.PocLsb];
                }
            }
        }
        return null;
    }

    /// <summary>
    /// The elementary-stream bytes of an H.264 picture made to bridge a join: an access unit
    /// delimiter, a picture parameter set of its own (id <paramref name="ppsId"/>, CAVLC, one
    /// reference, no weighting, on the stream's sequence parameter set
    /// <paramref name="sets"/>) and one P slice, a reference picture, frame_num
    /// <paramref name="frameNum"/> and pic_order_cnt_lsb <paramref name="pocLsb"/>, in which
    /// every macroblock is skipped: it shows its reference unchanged. That reference is the
    /// last reference picture decoded, or with <paramref name="referenceFrameNum"/> that one
    /// (a reordering of the list: the picture shown last before the join). Null where the
    /// stream's pictures are not frames of one colour plane.
    /// </summary>
    internal static byte[]? SkippedPicture(H264Sets sets, int ppsId, int frameNum, int pocLsb, int? referenceFrameNum)
    {
        if (sets is not { PocType: 0, FrameMbsOnly: true, SeparateColourPlanes: false } || sets.WidthInMbs == 0)
        {
            return null;
        }
        var pps = new NalWriter(0x68); // nal_ref_idc 3, type 8
        pps.Ue(ppsId);
        pps.Ue(sets.SpsId);
        pps.Bits(0, 1); // entropy_coding_mode_flag: CAVLC
        pps.Bits(0, 1); // bottom_field_pic_order_in_frame_present_flag
        pps.Ue(0); // num_slice_groups_minus1
        pps.Ue(0); // num_ref_idx_l0_default_active_minus1
        pps.Ue(0); // num_ref_idx_l1_default_active_minus1
        pps.Bits(0, 1); // weighted_pred_flag
        pps.Bits(0, 2); // weighted_bipred_idc
        pps.Se(0); // pic_init_qp_minus26
        pps.Se(0); // pic_init_qs_minus26
        pps.Se(0); // chroma_qp_index_offset
        pps.Bits(0, 1); // deblocking_filter_control_present_flag
        pps.Bits(0, 1); // constrained_intra_pred_flag
        pps.Bits(0, 1); // redundant_pic_cnt_present_flag
        var slice = new NalWriter(0x41); // nal_ref_idc 2, type 1: a reference picture, not IDR
        slice.Ue(0); // first_mb_in_slice
        slice.Ue(5); // slice_type: P, every slice of the picture
        slice.Ue(ppsId);
        slice.Bits(frameNum, sets.Log2MaxFrameNum);
        slice.Bits(pocLsb, sets.Log2MaxPocLsb);
        slice.Bits(0, 1); // num_ref_idx_active_override_flag
        int maxFrameNum = 1 << sets.Log2MaxFrameNum;
        if (referenceFrameNum is { } r && (frameNum - r + maxFrameNum) % maxFrameNum > 1)
        {
            slice.Bits(1, 1); // ref_pic_list_modification_flag_l0
            slice.Ue(0); // modification_of_pic_nums_idc: subtract
            slice.Ue((frameNum - r + maxFrameNum) % maxFrameNum - 1); // abs_diff_pic_num_minus1
            slice.Ue(3); // end of the list's modification
        }
        else
        {
            slice.Bits(0, 1); // ref_pic_list_modification_flag_l0
        }
        slice.Bits(0, 1); // adaptive_ref_pic_marking_mode_flag: sliding window
        slice.Se(0); // slice_qp_delta
        slice.Ue(sets.WidthInMbs * sets.HeightInMapUnits); // mb_skip_run: every macroblock
        return [0, 0, 0, 1, 0x09, 0x30, .. pps.Finish(), .. slice.Finish()]; // AUD: primary_pic_type 1 (I, P)
    }

    /// <summary>Writes a NAL unit bit by bit behind a 4-byte start code, with its trailing
    /// bits and emulation-prevention bytes.</summary>
    private sealed class NalWriter(byte header)
    {
        private readonly List<byte> _rbsp = [header];
        private int _bits;
        private int _count;

        internal void Bits(long value, int n)
        {
            for (int i = n - 1; i >= 0; i--)
            {
                _bits = (_bits << 1) | (int)((value >> i) & 1);
                if (++_count == 8)
                {
                    _rbsp.Add((byte)_bits);
                    (_bits, _count) = (0, 0);
                }
            }
        }

        internal void Ue(int value)
        {
            long code = value + 1L;
            int length = 64 - (int)long.LeadingZeroCount(code);
            Bits(0, length - 1);
            Bits(code, length);
        }

        internal void Se(int value) => Ue(value <= 0 ? -2 * value : 2 * value - 1);

        internal byte[] Finish()
        {
            Bits(1, 1); // rbsp_stop_one_bit
            while (_count != 0)
            {
                Bits(0, 1);
            }
            var nal = new List<byte> { 0, 0, 0, 1 };
            int zeros = 0;
            foreach (byte b in _rbsp)
            {
                if (zeros >= 2 && b <= 3)
                {
                    nal.Add(3);
                    zeros = 0;
                }
                nal.Add(b);
                zeros = b == 0 ? zeros + 1 : 0;
            }
            return [.. nal];
        }
    }

    /// <summary>PicOrderCntMsb of <paramref name="p"/> after a reference picture whose were <paramref name="prevMsb"/> and <paramref name="prevLsb"/>.</summary>
    private static long HighPart(long prevMsb, int prevLsb, H264Order p) =>
        p.PocLsb < prevLsb && prevLsb - p.PocLsb >= p.MaxPocLsb / 2 ? prevMsb + p.MaxPocLsb
        : p.PocLsb > prevLsb && p.PocLsb - prevLsb > p.MaxPocLsb / 2 ? prevMsb - p.MaxPocLsb
        : prevMsb;

    /// <summary>The fields of a sequence parameter set that say how a slice header counts
    /// pictures; null where scaling matrices (which this does not skip) come first.</summary>
    internal static H264Sets? ReadSps(ReadOnlySpan<byte> es, int nal)
    {
        var bits = new NalBits(es, nal + 1);
        int profile = bits.Bits(8);
        bits.Bits(16); // constraint flags, level_idc
        int spsId = bits.Ue();
        bool separate = false;
        int chroma = 1;
        if (profile is 100 or 110 or 122 or 244 or 44 or 83 or 86 or 118 or 128 or 138 or 139 or 134 or 135)
        {
            chroma = bits.Ue(); // chroma_format_idc
            if (chroma == 3)
            {
                separate = bits.Bit() == 1;
            }
            bits.Ue(); // bit_depth_luma_minus8
            bits.Ue(); // bit_depth_chroma_minus8
            bits.Bit(); // qpprime_y_zero_transform_bypass_flag
            if (bits.Bit() == 1)
            {
                return null; // seq_scaling_matrix_present_flag
            }
        }
        int log2MaxFrameNum = bits.Ue() + 4;
        int pocType = bits.Ue();
        if (pocType != 0)
        {
            return new H264Sets(pocType, log2MaxFrameNum, 0, separate, true);
        }
        int log2MaxPocLsb = bits.Ue() + 4;
        int maxRefFrames = bits.Ue();
        bits.Bit(); // gaps_in_frame_num_value_allowed_flag
        int width = bits.Ue() + 1;
        int height = bits.Ue() + 1;
        return log2MaxFrameNum > 16 || log2MaxPocLsb > 16 ? null
            : new H264Sets(pocType, log2MaxFrameNum, log2MaxPocLsb, separate, bits.Bit() == 1, spsId, width, height, separate ? 0 : chroma, maxRefFrames);
    }

    /// <summary>Offsets just past each 00 00 01 start code.</summary>
    internal static List<int> StartCodes(ReadOnlySpan<byte> es)
    {
        var found = new List<int>();
        for (int i = 0; i + 2 < es.Length; i++)
        {
            if (es[i] == 0 && es[i + 1] == 0 && es[i + 2] == 1)
            {
                found.Add(i + 3);
                i += 2;
            }
        }
        return found;
    }

    /// <summary>An H.264 slice whose slice_type is I (2 or 7).</summary>
    private static bool IsISlice(ReadOnlySpan<byte> es, int nal) => SliceType(es, nal) % 5 == 2;

    /// <summary>The slice_type of the H.264 slice NAL at <paramref name="nal"/>, the field
    /// after first_mb_in_slice: P, B, I, SP, SI counted from 0 for the slice alone, from 5
    /// for every slice of its picture.</summary>
    private static int SliceType(ReadOnlySpan<byte> es, int nal)
    {
        var bits = new NalBits(es, nal + 1);
        bits.Ue(); // first_mb_in_slice
        return bits.Ue();
    }

    /// <summary>Whether a slice after the one at <paramref name="first"/> in
    /// <paramref name="es"/> (one picture's bytes) is B.</summary>
    private static bool FurtherBSlice(ReadOnlySpan<byte> es, int first)
    {
        foreach (int at in StartCodes(es))
        {
            if (at > first && at < es.Length && (es[at] & 0x1F) is 1 or 5 && SliceType(es, at) % 5 == 1)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Where the broken_link_flag of an H.264 SEI NAL's recovery point message is
    /// (byte index and bit mask), or (-1, 0) if it carries none.</summary>
    private static (int Index, byte Mask) RecoveryPointBit(ReadOnlySpan<byte> es, int nal)
    {
        var bits = new NalBits(es, nal + 1);
        while (bits.MoreData())
        {
            int payloadType = bits.SeiNumber(), payloadSize = bits.SeiNumber();
            if (payloadType < 0 || payloadSize < 0)
            {
                break;
            }
            if (payloadType == 6)
            {
                bits.Ue(); // recovery_frame_cnt
                bits.Bit(); // exact_match_flag
                return bits.Position();
            }
            bits.Skip(payloadSize);
        }
        return (-1, 0);
    }
}
