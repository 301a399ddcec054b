using Microsoft.Win32.SafeHandles;
using MovData.Native;

namespace MovData.Operations;

/// <summary>
/// Bytes written at an offset, whole (short writes and EINTR looped). A failure throws what
/// the errno maps to, its message naming the write and the file ("writing the journal record
/// …: EIO (Input/output error)"), where <c>RandomAccess.Write</c> says only .NET's words.
/// </summary>
internal static class FileWrites
{
    /// <summary>Writes <paramref name="bytes"/> at <paramref name="offset"/>; <paramref name="what"/>
    /// is the failure's message before the errno, "writing the journal record /r/.movdata-journal/….draft".</summary>
    internal static void At(SafeFileHandle file, ReadOnlySpan<byte> bytes, long offset, string what) =>
        Interop.ThrowIfFailed(Interop.WriteAll(file, bytes, offset), what);
}
