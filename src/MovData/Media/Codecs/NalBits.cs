namespace MovData.Media.Codecs;

/// <summary>Reads a NAL unit's payload bit by bit, skipping emulation-prevention bytes
/// (the 03 in 00 00 03), and says where in the raw bytes the next bit is.</summary>
internal ref struct NalBits(ReadOnlySpan<byte> es, int start)
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

    internal int Bits(int n)
    {
        int value = 0;
        for (int i = 0; i < n; i++)
        {
            value = (value << 1) | Bit();
        }
        return value;
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

    internal int Se()
    {
        int k = Ue();
        return (k & 1) == 1 ? (k + 1) / 2 : -(k / 2);
    }

    /// <summary>Whether the reads have gone past the bytes given.</summary>
    internal readonly bool Exhausted => _byte >= _es.Length;

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
