namespace MovData;

/// <summary>What a stretch of a file holds.</summary>
public enum SegmentKind
{
    // The values are the C ABI's MOVDATA_SEGMENT_* (movdata.h); a test pins them.

    /// <summary>Written data.</summary>
    Data = 0,

    /// <summary>Nothing allocated: reads as zeros.</summary>
    Hole = 1,

    /// <summary>Allocated but never written (preallocated): reads as zeros, counts as hole.</summary>
    Unwritten = 2,
}

/// <summary>One stretch of a file, as <see cref="FileRange.Map(Microsoft.Win32.SafeHandles.SafeFileHandle)"/> lists it.</summary>
/// <param name="Offset">Start, in bytes from the start of the file.</param>
/// <param name="Length">Length in bytes.</param>
/// <param name="Kind">Data, hole or unwritten.</param>
/// <param name="Shared">The blocks are shared with another file or range (reflink).</param>
/// <param name="Physical">Byte address on the device, where the filesystem tells it (FIEMAP); null for holes and where unknown.</param>
public sealed record Segment(long Offset, long Length, SegmentKind Kind, bool Shared, long? Physical)
{
    /// <summary>One past the last byte.</summary>
    public long End => Offset + Length;
}
