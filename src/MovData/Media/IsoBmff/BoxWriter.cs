using System.Buffers.Binary;

namespace MovData.Media.IsoBmff;

/// <summary>Boxes written into a growing buffer: a box begun is given its size when it ends.</summary>
/// <param name="capacity">Bytes it holds before it first grows.</param>
internal sealed class BoxWriter(int capacity = 64 * 1024)
{
    // Not zeroed first: every byte up to the length is written (a box's size when it is begun).
    private byte[] _buffer = GC.AllocateUninitializedArray<byte>(capacity);
    private int _length;

    /// <summary>Starts a box (a 32-bit size: a moov is far under 4 GiB); returns where, for <see cref="End"/>.</summary>
    internal int Begin(uint type)
    {
        int at = _length;
        U32(0);
        U32(type);
        return at;
    }

    internal int FullBox(uint type, byte version, uint flags)
    {
        int at = Begin(type);
        U32((uint)version << 24 | flags);
        return at;
    }

    internal void End(int at) => BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(at), (uint)(_length - at));

    /// <summary>A box as it was, with <paramref name="patch"/> applied to its payload.</summary>
    internal void Copy(byte[] from, Box box, Action<Span<byte>>? patch = null)
    {
        Span<byte> to = Take((int)box.Size);
        from.AsSpan((int)box.Offset, (int)box.Size).CopyTo(to);
        patch?.Invoke(to[box.HeaderSize..]);
    }

    /// <summary>Bytes written so far.</summary>
    internal int Length => _length;

    internal void U8(byte v) => Take(1)[0] = v;

    internal void U16(ushort v) => BinaryPrimitives.WriteUInt16BigEndian(Take(2), v);

    internal void Bytes(ReadOnlySpan<byte> v) => v.CopyTo(Take(v.Length));

    internal void U32(uint v) => BinaryPrimitives.WriteUInt32BigEndian(Take(4), v);

    internal void U64(ulong v) => BinaryPrimitives.WriteUInt64BigEndian(Take(8), v);

    internal byte[] ToArray() => _buffer[.._length];

    private Span<byte> Take(int bytes)
    {
        if (_length + bytes > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + bytes));
        }
        _length += bytes;
        return _buffer.AsSpan(_length - bytes, bytes);
    }
}
