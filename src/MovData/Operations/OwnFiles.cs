using Microsoft.Win32.SafeHandles;
using MovData.Native;

namespace MovData.Operations;

/// <summary>
/// The files MovData makes for itself (an edit's record, its sidecar): created for their owner
/// only, since they name the caller's files or hold copies of their data; locked whole (an OFD
/// write lock) while in use, so another process can tell one in use from one left behind;
/// text kept in an extended attribute; second names by hard link. <c>what</c> is the whole
/// message of a failure ("creating the journal record ...").
/// </summary>
internal static class OwnFiles
{
    private static readonly int OwnerOnly = Convert.ToInt32("600", 8);

    /// <summary>Creates <paramref name="path"/> read-write, mode 0600 (less the umask), failing
    /// if it exists (or, with <paramref name="exclusive"/> false, opening it).</summary>
    internal static SafeFileHandle Create(string path, string what, bool exclusive = true)
    {
        Interop.ThrowIfFailed(Interop.CreateExclusive(path, OwnerOnly, out SafeFileHandle handle, exclusive), what);
        return handle;
    }

    /// <summary>As <see cref="Create"/>, but null where a directory of the path is missing
    /// (ENOENT), for a caller that makes it and tries again.</summary>
    internal static SafeFileHandle? TryCreate(string path, string what)
    {
        int errno = Interop.CreateExclusive(path, OwnerOnly, out SafeFileHandle handle);
        if (errno == Interop.ENOENT)
        {
            return null;
        }
        Interop.ThrowIfFailed(errno, what);
        return handle;
    }

    /// <summary>Makes directory <paramref name="path"/> for its owner only (0700, less the
    /// umask); one that exists already (made meanwhile by another edit) is no failure.</summary>
    internal static void MakeDirectory(string path, string what)
    {
        int errno = Interop.MakeDirectory(path, Convert.ToInt32("700", 8));
        if (errno != Interop.EEXIST)
        {
            Interop.ThrowIfFailed(errno, what);
        }
    }

    /// <summary>Takes the whole file's lock now, without waiting; throws if it cannot, another
    /// holder among the reasons (EAGAIN).</summary>
    internal static void Lock(SafeFileHandle file, string what) => Interop.ThrowIfFailed(Interop.TryLockWholeFile(file), what);

    /// <summary>Takes the whole file's lock, waiting for another holder if
    /// <paramref name="wait"/>. False if another holds it; any other failure throws.</summary>
    internal static bool TryLock(SafeFileHandle file, bool wait, string what)
    {
        int errno = wait ? Interop.LockRange(file, 0, 0, locked: true) : Interop.TryLockWholeFile(file);
        if (errno == Interop.EAGAIN)
        {
            return false;
        }
        Interop.ThrowIfFailed(errno, what);
        return true;
    }

    /// <summary>Takes the whole file's lock if it can now: false if not, whatever the reason.</summary>
    internal static bool TryLock(SafeFileHandle file) => Interop.TryLockWholeFile(file) == 0;

    /// <summary>Sets extended attribute <paramref name="name"/>; false if the file cannot have
    /// it (a filesystem without user attributes, among the reasons).</summary>
    internal static bool TrySetAttribute(SafeFileHandle file, string name, ReadOnlySpan<byte> value) => Interop.SetXattr(file, name, value) == 0;

    /// <summary>Reads extended attribute <paramref name="name"/>; false if it is not there or cannot be read.</summary>
    internal static bool TryGetAttribute(SafeFileHandle file, string name, out byte[] value) => Interop.GetXattr(file, name, out value) == 0;

    /// <summary>Gives the file at <paramref name="existing"/> a second name; false if it cannot
    /// have it (on another filesystem, among the reasons).</summary>
    internal static bool TryLink(string existing, string newPath) => Interop.HardLink(existing, newPath) == 0;
}
