namespace MovData.Media.Codecs;

/// <summary>The video codecs whose random-access points and broken-link marks a cut knows.</summary>
internal enum VideoCodecKind
{
    Mpeg2,
    H264,
    Hevc,
    Other,
}

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
    /// H.264 I picture that is not IDR (an open GOP's, found by its recovery point SEI).
    /// ffmpeg's decoder reads broken_link_flag but does not drop those pictures, so after a
    /// cut it reports them broken; the cut drops them itself. (HEVC has BLA for this, and
    /// ffmpeg skips an open MPEG-2 GOP's leading B pictures when nothing precedes them.)
    /// </summary>
    internal static bool LeadingPicturesNeedDropping(VideoCodecKind codec, ReadOnlySpan<byte> es)
    {
        if (codec != VideoCodecKind.H264)
        {
            return false;
        }
        foreach (int at in StartCodes(es))
        {
            if (at < es.Length && (es[at] & 0x1F) is >= 1 and <= 5)
            {
                return (es[at] & 0x1F) != 5;
            }
        }
        return false;
    }

    /// <summary>Offsets just past each 00 00 01 start code.</summary>
    private static List<int> StartCodes(ReadOnlySpan<byte> es)
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
    private static bool IsISlice(ReadOnlySpan<byte> es, int nal)
    {
        var bits = new NalBits(es, nal + 1);
        bits.Ue(); // first_mb_in_slice
        return bits.Ue() % 5 == 2;
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

    /// <summary>Reads a NAL unit's payload bit by bit, skipping emulation-prevention bytes
    /// (the 03 in 00 00 03), and says where in the raw bytes the next bit is.</summary>
    private ref struct NalBits(ReadOnlySpan<byte> es, int start)
    {
        private readonly ReadOnlySpan<byte> _es = es;
        private int _byte = start;
        private int _bit;
        private int _zeros;

        internal readonly bool MoreData() => _byte + 1 < _es.Length && !(_es[_byte] == 0x80 && _bit == 0 && _byte + 1 < _es.Length && _es[_byte + 1] == 0);

        internal (int Index, byte Mask) Position()
        {
            SkipEscape();
            return _byte < _es.Length ? (_byte, (byte)(0x80 >> _bit)) : (-1, (byte)0);
        }

        private void SkipEscape()
        {
            if (_bit == 0 && _zeros >= 2 && _byte < _es.Length && _es[_byte] == 3)
            {
                _byte++;
                _zeros = 0;
            }
        }

        internal int Bit()
        {
            SkipEscape();
            if (_byte >= _es.Length)
            {
                return 0;
            }
            int b = (_es[_byte] >> (7 - _bit)) & 1;
            if (++_bit == 8)
            {
                _zeros = _es[_byte] == 0 ? _zeros + 1 : 0;
                _bit = 0;
                _byte++;
            }
            return b;
        }

        internal int Ue()
        {
            int zeros = 0;
            while (Bit() == 0 && zeros < 31 && _byte < _es.Length)
            {
                zeros++;
            }
            int value = 0;
            for (int i = 0; i < zeros; i++)
            {
                value = (value << 1) | Bit();
            }
            return (1 << zeros) - 1 + value;
        }

        internal int SeiNumber()
        {
            int value = 0;
            for (int i = 0; i < 64 && _byte < _es.Length; i++)
            {
                int b = 0;
                for (int k = 0; k < 8; k++)
                {
                    b = (b << 1) | Bit();
                }
                value += b;
                if (b != 0xFF)
                {
                    return value;
                }
            }
            return -1;
        }

        internal void Skip(int bytes)
        {
            for (int i = 0; i < bytes * 8 && _byte < _es.Length; i++)
            {
                Bit();
            }
        }
    }
}
