using Microsoft.Win32.SafeHandles;

namespace MovData.Media.TransportStream;

/// <summary>
/// Reads the packets of [from, to) in file order through one bounded buffer (about 1 MiB,
/// whole packets), so that scanning any region costs no more memory than that. A partial
/// packet at the end of the file is not returned. The first read is small (64 packets, 12
/// KiB) and each next one twice as long up to the buffer: most scans stop after a few
/// packets (a timestamp, a keyframe's first bytes), and a long one soon reads in large pieces.
/// </summary>
internal sealed class PacketScanner
{
    private readonly SafeFileHandle _file;
    private readonly PacketGrid _grid;
    private readonly long _to;
    private readonly byte[] _buffer;
    private readonly CancellationToken _cancel;
    private long _bufferOffset;
    private int _bufferLength;
    private int _at = -1;
    private int _want;

    /// <summary>Packets the first read takes.</summary>
    private const int FirstRead = 64;

    /// <remarks>With <c>whole</c> the caller reads the whole region: it is read in pieces of <c>packetsPerRead</c> packets from the first.</remarks>
    internal PacketScanner(SafeFileHandle file, PacketGrid grid, long from, long to, int packetsPerRead = 5461, bool whole = false, CancellationToken cancel = default)
    {
        _file = file;
        _grid = grid;
        _to = to;
        _cancel = cancel;
        _buffer = new byte[grid.Size * packetsPerRead];
        _want = grid.Size * (whole ? packetsPerRead : Math.Min(FirstRead, packetsPerRead));
        _bufferOffset = grid.Ceiling(from);
    }

    /// <summary>File offset of the current packet (of its M2TS header, if any).</summary>
    internal long Offset => _bufferOffset + _at;

    /// <summary>The current packet's 188 TS bytes.</summary>
    internal ReadOnlySpan<byte> Packet => _buffer.AsSpan(_at + _grid.Header, TsPacket.PacketSize);

    /// <summary>The current packet as stored, M2TS header included.</summary>
    internal ReadOnlySpan<byte> Stored => _buffer.AsSpan(_at, _grid.Size);

    /// <summary>Bytes of the region read so far.</summary>
    internal long Position => _bufferOffset + Math.Max(_at, 0);

    /// <summary>Moves to the next packet whose sync byte is in place; false at the end of the region.</summary>
    internal bool Next()
    {
        while (true)
        {
            _at = _at < 0 ? 0 : _at + _grid.Size;
            if (_at + _grid.Size > _bufferLength)
            {
                _bufferOffset += _at; // the buffer's whole packets were read
                _at = 0;
                if (!Fill())
                {
                    return false;
                }
            }
            if (_buffer[_at + _grid.Header] == TsPacket.SyncByte)
            {
                return true;
            }
            // A damaged packet: skip it, the grid holds.
        }
    }

    private bool Fill()
    {
        _cancel.ThrowIfCancellationRequested();
        long want = Math.Min(_want, _to - _bufferOffset);
        _want = Math.Min(_buffer.Length, _want * 2);
        want -= want % _grid.Size;
        if (want <= 0)
        {
            _bufferLength = 0;
            return false;
        }
        int got = 0;
        while (got < want)
        {
            int n = MediaReads.Read(_file, _buffer.AsSpan(got, (int)want - got), _bufferOffset + got);
            if (n == 0)
            {
                break;
            }
            got += n;
        }
        _bufferLength = got - got % _grid.Size;
        return _bufferLength > 0;
    }
}
