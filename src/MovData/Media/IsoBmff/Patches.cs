using System.Buffers.Binary;
using MovData.Edits;

namespace MovData.Media.IsoBmff;

/// <summary>The small writes an MP4 cut plans: a field made in place, a free box's header.</summary>
internal static class Patches
{
    /// <summary><paramref name="length"/> bytes at <paramref name="offset"/>, made by <paramref name="fill"/>.</summary>
    internal static Patch Of(long offset, int length, Action<Span<byte>> fill)
    {
        byte[] bytes = new byte[length];
        fill(bytes);
        return new Patch(offset, length, bytes);
    }

    /// <summary>The header of a free box of <paramref name="size"/> bytes (its header included) in <paramref name="b"/>'s first 8.</summary>
    internal static void FreeHeader(Span<byte> b, long size)
    {
        BinaryPrimitives.WriteUInt32BigEndian(b, checked((uint)size));
        "free"u8.CopyTo(b[4..]);
    }

    /// <summary>A free box's header of <paramref name="size"/> bytes at <paramref name="offset"/>.</summary>
    internal static Patch Free(long offset, long size) => Of(offset, 8, b => FreeHeader(b, size));
}
