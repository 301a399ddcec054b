using Microsoft.Win32.SafeHandles;

namespace MovData.Media;

/// <summary>
/// Every read a format makes of a recording goes through <see cref="Read"/>, so that a cut
/// can say what planning it cost in reads and bytes (issue: planning reads proportional to
/// the cut points, not to the recording). The count belongs to the operation that began it
/// (<see cref="Begin"/>) and flows with it into the tasks it starts (a cut looks its cut
/// points up in parallel); a caller cutting several recordings at once gets each one's own.
/// </summary>
internal static class MediaReads
{
    private static readonly AsyncLocal<Counter?> s_current = new();

    /// <summary>Starts counting for the calling operation (and the tasks it starts).</summary>
    internal static Counter Begin() => s_current.Value = new Counter();

    /// <summary>One pread of <paramref name="file"/> at <paramref name="offset"/>, counted.</summary>
    internal static int Read(SafeFileHandle file, Span<byte> buffer, long offset)
    {
        int n = RandomAccess.Read(file, buffer, offset);
        s_current.Value?.Add(n);
        return n;
    }

    /// <summary>The <paramref name="length"/> bytes of <paramref name="file"/> at
    /// <paramref name="offset"/>, read until all are (a pread may return fewer).</summary>
    /// <exception cref="EndOfStreamException">The file ends before them.</exception>
    internal static byte[] ReadAll(SafeFileHandle file, long offset, long length)
    {
        byte[] bytes = new byte[length];
        for (int done = 0; done < bytes.Length;)
        {
            int n = Read(file, bytes.AsSpan(done), offset + done);
            if (n == 0)
            {
                throw new EndOfStreamException($"the file ends before offset {offset + length}");
            }
            done += n;
        }
        return bytes;
    }

    /// <summary>Reads and bytes read since <see cref="Begin"/>.</summary>
    internal sealed class Counter
    {
        private long _reads, _bytes;

        internal (long Reads, long Bytes) Now => (Interlocked.Read(ref _reads), Interlocked.Read(ref _bytes));

        internal void Add(int bytes)
        {
            Interlocked.Increment(ref _reads);
            Interlocked.Add(ref _bytes, bytes);
        }
    }
}
