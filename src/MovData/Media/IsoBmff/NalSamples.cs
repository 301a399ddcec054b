using System.Buffers.Binary;

namespace MovData.Media.IsoBmff;

/// <summary>
/// The samples of an H.264 or HEVC track as the codec readers take them. In a sample each NAL
/// unit follows its length, in 4 bytes as every writer seen writes it (avcC and hvcC say how
/// many); read as a 00 00 00 01 start code, that length makes the sample an elementary stream
/// at the same offsets, so an index into it is an offset into the sample. Tracks whose lengths
/// take another size are not read so.
/// </summary>
internal static class NalSamples
{
    /// <summary>Whether <paramref name="track"/>'s samples can be read so.</summary>
    internal static bool Readable(Track track) => track.Decoder is { LengthSize: 4 };

    /// <summary>The longest sample read whole (<see cref="ReadWhole"/>).</summary>
    internal const int WholeLimit = 4 << 20;

    /// <summary>The first <paramref name="limit"/> bytes of sample <paramref name="i"/> of
    /// <paramref name="samples"/> (or all of it), each NAL unit's length made a start code.</summary>
    /// <exception cref="EndOfStreamException">The file ends inside the sample.</exception>
    internal static byte[] Read(Movie movie, SampleList samples, int i, int limit)
    {
        byte[] es = MediaReads.ReadAll(movie.File, samples.Offset(i), Math.Min(samples.Size(i), (uint)limit));
        for (long at = 0; at + 4 <= es.Length;)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(es.AsSpan((int)at));
            BinaryPrimitives.WriteUInt32BigEndian(es.AsSpan((int)at), 1);
            at += 4 + (long)length;
        }
        return es;
    }

    /// <summary>The whole of sample <paramref name="i"/> read so, for a rewrite that must see
    /// every slice of the picture; null for one longer than <see cref="WholeLimit"/>, which is
    /// left as it is.</summary>
    internal static byte[]? ReadWhole(Movie movie, SampleList samples, int i) =>
        samples.Size(i) <= WholeLimit ? Read(movie, samples, i, WholeLimit) : null;
}
