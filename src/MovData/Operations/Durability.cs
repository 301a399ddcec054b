using Microsoft.Win32.SafeHandles;
using MovData.Native;

namespace MovData.Operations;

/// <summary>
/// Making changes survive a crash: a file's data and metadata (fsync), its data alone
/// (fdatasync, enough where the size stays), a directory's entries. A failure throws what the
/// errno maps to, its message naming the call and the file.
/// </summary>
internal static class Durability
{
    /// <summary>fsync of <paramref name="file"/>; <paramref name="what"/> is the whole message, "fsync of the receiver".</summary>
    internal static void Sync(SafeFileHandle file, string what) => Interop.ThrowIfFailed(Interop.FSync(file), what);

    /// <summary>fdatasync of <paramref name="file"/>; <paramref name="what"/> is the whole message, "fdatasync of the donor".</summary>
    internal static void SyncData(SafeFileHandle file, string what) => Interop.ThrowIfFailed(Interop.FDataSync(file), what);

    /// <summary>Makes the names created, renamed or removed in <paramref name="directory"/>
    /// durable; a failure says "fsync of" the directory.</summary>
    internal static void SyncDirectory(string directory) =>
        Interop.ThrowIfFailed(Interop.SyncDirectory(directory), $"fsync of {directory}");
}
