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
/// pic_order_cnt_type 0 (the sequence parameter sets <see cref="VideoCodec.ReadSps"/> reads
/// whole).
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
        if (sets is not { FrameMbsOnly: true, PocType: 0 })
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
        bits.Bits(sets.Log2MaxPocLsb); // pic_order_cnt_lsb
        if (pps.BottomFieldOrder)
        {
            bits.Se(); // delta_pic_order_cnt_bottom
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

    /// <summary>The bytes (index in <paramref name="es"/>, new value) that turn each of
    /// <paramref name="unheld"/> (operations of the picture's first slice) into operation 2,
    /// the release of a long-term frame, in every slice of <paramref name="es"/> (one access
    /// unit, whole): one bit of the code, from 010 to 011, so that nothing else moves; null
    /// where its slices do not all carry the same operations or a byte cannot take the bit
    /// (a zero byte, which an emulation-prevention byte may lean on; an argument above what
    /// a long-term index may be).</summary>
    internal static List<(int Index, byte Value)>? AsLongTermReleases(ReadOnlySpan<byte> es, H264Sets sets, IReadOnlyDictionary<int, H264PictureSet> pictureSets, H264Marking first, List<H264Operation> unheld)
    {
        if (Markings(es, sets, pictureSets, firstOnly: false) is not { } slices
            || slices.Exists(m => m.Operations is null || !m.Operations.Select(o => (o.Code, o.Argument)).SequenceEqual(first.Operations!.Select(o => (o.Code, o.Argument)))))
        {
            return null;
        }
        var bits = new SortedDictionary<int, byte>(); // index in the unit's bytes, the bits to set there
        foreach (H264Operation op in unheld)
        {
            int k = first.Operations!.IndexOf(op);
            if (op.Argument > 15)
            {
                return null;
            }
            foreach (H264Marking slice in slices)
            {
                H264Operation same = slice.Operations![k];
                if (es[same.Index] == 0 || (es[same.Index] & same.Mask) != 0)
                {
                    return null;
                }
                bits[same.Index] = (byte)(bits.GetValueOrDefault(same.Index) | same.Mask);
            }
        }
        var writes = new List<(int Index, byte Value)>(bits.Count);
        foreach ((int index, byte set) in bits)
        {
            writes.Add((index, (byte)(es[index] | set)));
        }
        return writes;
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
