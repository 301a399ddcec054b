using Microsoft.Win32.SafeHandles;
using System.Buffers;
using System.Runtime.InteropServices;

namespace MovData.Native;

internal static partial class Interop
{
    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    private static unsafe partial nint pread(SafeFileHandle fd, byte* buf, nuint count, long offset);

    [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    private static unsafe partial nint pwrite(SafeFileHandle fd, byte* buf, nuint count, long offset);

    /// <summary>Writes all of <paramref name="data"/> at <paramref name="offset"/> with pwrite,
    /// looping over short writes and EINTR. Returns 0 or errno (the caller names the file:
    /// <see cref="ThrowIfFailed"/>), where <c>RandomAccess.Write</c> throws .NET's words alone.</summary>
    internal static unsafe int WriteAll(SafeFileHandle fd, ReadOnlySpan<byte> data, long offset)
    {
        fixed (byte* p = data)
        {
            for (int put = 0; put < data.Length;)
            {
                (nint at, nuint count, long where) = ((nint)(p + put), (nuint)(data.Length - put), offset + put);
                nint n = Retrying(() => pwrite(fd, (byte*)at, count, where), out int errno);
                if (errno != 0)
                {
                    return errno;
                }
                put += (int)n;
            }
        }
        return 0;
    }

    /// <summary>Buffer of the read/write copy: large enough for full-speed streaming, small
    /// enough that memory does not grow with the range.</summary>
    internal const int CopyBufferSize = 1 << 20;

    /// <summary>
    /// Copies exactly <paramref name="length"/> bytes with pread/pwrite through one bounded
    /// buffer, for where copy_file_range cannot go (across filesystems) or must not (where it
    /// would reflink instead of writing fresh blocks). Short reads and writes and EINTR are
    /// looped; <paramref name="copied"/> counts bytes written even on failure. Returns 0 or errno.
    /// </summary>
    internal static unsafe int CopyByReadWrite(SafeFileHandle src, long srcOffset, SafeFileHandle dest, long destOffset, long length, out long copied)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            fixed (byte* p = buffer)
            {
                return Copy(src, srcOffset, dest, destOffset, length, p, CopyBufferSize, 0, out copied);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Buffer of a copy into a file opened O_DIRECT: each write is one request to the disk.</summary>
    internal const int DirectBufferSize = 8 << 20;

    /// <summary>
    /// Block-aligned memory of <see cref="DirectBufferSize"/> bytes for a copy into a file opened
    /// O_DIRECT, made once for the whole copy and handed to each <see cref="CopyIntoDirect"/>:
    /// memory made for every call is mapped, faulted in and zeroed page by page, and unmapped
    /// again each time (a 1 GiB copy in 8 MiB calls: 262,144 page faults and 0.9 s of system
    /// time, which put the copy behind xfs_fsr's).
    /// </summary>
    internal sealed unsafe class DirectBuffer : IDisposable
    {
        /// <summary>Memory aligned to <paramref name="blockSize"/>, the file's block size (what
        /// O_DIRECT asks of a buffer's address).</summary>
        internal DirectBuffer(int blockSize)
        {
            BlockSize = blockSize;
            Pointer = (byte*)NativeMemory.AlignedAlloc(DirectBufferSize, (nuint)blockSize);
        }

        /// <summary>The alignment, and the unit each read is asked in and each write padded to.</summary>
        internal int BlockSize { get; }

        internal byte* Pointer { get; private set; }

        public void Dispose()
        {
            if (Pointer != null)
            {
                NativeMemory.AlignedFree(Pointer);
                Pointer = null;
            }
        }
    }

    /// <summary>
    /// <see cref="CopyByReadWrite"/> into a file opened O_DIRECT (<see cref="OpenDirectTempFile"/>),
    /// from a source opened O_DIRECT too or not, through <paramref name="buffer"/>: reads asked
    /// in whole blocks (the file's end answers the last one short), and a last block short of
    /// the buffer's block size written whole, zero-padded (the caller sets the size back).
    /// Offsets must be block multiples. Returns 0 or errno.
    /// </summary>
    internal static unsafe int CopyIntoDirect(SafeFileHandle src, long srcOffset, SafeFileHandle dest, long destOffset, long length, DirectBuffer buffer, out long copied)
    {
        ObjectDisposedException.ThrowIf(buffer.Pointer == null, buffer);
        return Copy(src, srcOffset, dest, destOffset, length, buffer.Pointer, DirectBufferSize, buffer.BlockSize, out copied);
    }

    /// <summary>The copy loop of both: reads up to <paramref name="size"/> bytes, writes them
    /// (rounded up to <paramref name="padTo"/> with zeros, when it is not 0).</summary>
    private static unsafe int Copy(SafeFileHandle src, long srcOffset, SafeFileHandle dest, long destOffset, long length, byte* p, int size, int padTo, out long copied)
    {
        copied = 0;
        while (copied < length)
        {
            int want = (int)Math.Min(length - copied, size);
            int ask = padTo == 0 ? want : (want + padTo - 1) / padTo * padTo;
            int got = 0;
            while (got < want)
            {
                (nint at, nuint count, long offset) = ((nint)(p + got), (nuint)(ask - got), srcOffset + copied + got);
                nint n = Retrying(() => pread(src, (byte*)at, count, offset), out int errno);
                if (errno != 0)
                {
                    return errno;
                }
                if (n == 0)
                {
                    return EIO; // the source ended before the range did
                }
                got += (int)n;
            }
            got = Math.Min(got, want); // a whole block asked at the end may bring bytes past the range
            int whole = padTo == 0 ? got : (got + padTo - 1) / padTo * padTo;
            new Span<byte>(p + got, whole - got).Clear();
            int put = 0;
            while (put < whole)
            {
                (nint at, nuint count, long offset) = ((nint)(p + put), (nuint)(whole - put), destOffset + copied + put);
                nint n = Retrying(() => pwrite(dest, (byte*)at, count, offset), out int errno);
                if (errno != 0)
                {
                    copied += Math.Min(put, got);
                    return errno;
                }
                put += (int)n;
            }
            copied += got;
        }
        return 0;
    }
}
