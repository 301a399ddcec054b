using Microsoft.Win32.SafeHandles;
using System.Runtime.InteropServices;

namespace MovData.Native;

internal static partial class Interop
{
    internal const int O_CLOEXEC = 0x80000;

    // arm64 swaps two of the generic values (arch/arm64/include/uapi/asm/fcntl.h).
    private static readonly bool Arm64 = RuntimeInformation.ProcessArchitecture == Architecture.Arm64;
    internal static readonly int O_DIRECTORY = Arm64 ? 0x4000 : 0x10000;
    internal static readonly int O_DIRECT = Arm64 ? 0x10000 : 0x4000;
    internal static readonly int O_TMPFILE = 0x400000 | O_DIRECTORY; // __O_TMPFILE | O_DIRECTORY
    internal const int O_CREAT = 0x40;
    internal const int O_EXCL = 0x80;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags, int mode);

    /// <summary>
    /// An unnamed read-write file in <paramref name="directory"/> (O_TMPFILE): it lives on that
    /// filesystem and vanishes when closed, whatever happens to the process. Returns 0 or errno.
    /// </summary>
    internal static int OpenTempFile(string directory, out SafeFileHandle handle) =>
        Open(directory, O_TMPFILE | O_RDWR | O_CLOEXEC, Convert.ToInt32("600", 8), out handle);

    /// <summary><see cref="OpenTempFile"/> with O_DIRECT: writes go to the disk, not through
    /// the page cache (whole blocks from block-aligned memory only). Returns 0 or errno
    /// (EINVAL where the filesystem has no direct I/O).</summary>
    internal static int OpenDirectTempFile(string directory, out SafeFileHandle handle) =>
        Open(directory, O_TMPFILE | O_DIRECT | O_RDWR | O_CLOEXEC, Convert.ToInt32("600", 8), out handle);

    /// <summary>A second, read-only O_DIRECT handle on the file <paramref name="file"/> is
    /// open as (through /proc/self/fd, so a file renamed or deleted meanwhile is still the
    /// one): reads that bypass the page cache, whole blocks into block-aligned memory.
    /// Returns 0 or errno (EINVAL where the filesystem has no direct I/O).</summary>
    internal static int OpenDirectReader(SafeFileHandle file, out SafeFileHandle handle) =>
        Open($"/proc/self/fd/{file.DangerousGetHandle()}", O_RDONLY | O_DIRECT | O_CLOEXEC, 0, out handle);

    /// <summary>A read-only handle on a directory, for fsync after creating, renaming or
    /// removing an entry in it (File.OpenHandle refuses directories). Returns 0 or errno.</summary>
    internal static int OpenDirectory(string directory, out SafeFileHandle handle) =>
        Open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, out handle);

    /// <summary>Makes the entries of <paramref name="directory"/> durable (a new, renamed or
    /// removed name survives a crash only once its directory is synced). Returns 0 or errno.</summary>
    internal static int SyncDirectory(string directory)
    {
        int errno = OpenDirectory(directory, out SafeFileHandle dir);
        if (errno != 0)
        {
            return errno;
        }
        using (dir)
        {
            return FSync(dir);
        }
    }

    /// <summary>Creates <paramref name="path"/> read-write with <paramref name="mode"/> (less
    /// the umask), failing with EEXIST if it exists (or, with <paramref name="exclusive"/>
    /// false, opening it if it does). Returns 0 or errno.</summary>
    internal static int CreateExclusive(string path, int mode, out SafeFileHandle handle, bool exclusive = true) =>
        Open(path, O_CREAT | (exclusive ? O_EXCL : 0) | O_RDWR | O_CLOEXEC, mode, out handle);

    /// <summary>open(2), EINTR retried; the handle owns the descriptor. Returns 0 or errno.</summary>
    private static int Open(string path, int flags, int mode, out SafeFileHandle handle)
    {
        nint fd = Retrying(() => open(path, flags, mode), out int errno);
        handle = errno == 0 ? new SafeFileHandle(fd, ownsHandle: true) : new SafeFileHandle();
        return errno;
    }

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int link(string oldPath, string newPath);

    /// <summary>A second name for a file (link(2); .NET has no hard-link API). Returns 0 or errno.</summary>
    internal static int HardLink(string existing, string newPath) => link(existing, newPath) == 0 ? 0 : LastErrno;

    [LibraryImport("libc", EntryPoint = "mkdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mkdir(string path, int mode);

    /// <summary>mkdir(2) with <paramref name="mode"/> (less the umask). Returns 0 or errno.</summary>
    internal static int MakeDirectory(string path, int mode) => mkdir(path, mode) == 0 ? 0 : LastErrno;
}
