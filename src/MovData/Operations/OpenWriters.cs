using Microsoft.Win32.SafeHandles;
using MovData.Native;
using System.Globalization;

namespace MovData.Operations;

/// <summary>
/// The processes that have a file open for writing, found as fuser(1) finds them: every
/// /proc/PID/fd entry whose target is the file (same device and inode), opened O_WRONLY or
/// O_RDWR by its /proc/PID/fdinfo flags. Without root only this user's processes can be seen;
/// a writable shared mapping whose descriptor was closed is not a descriptor, and is not seen.
/// </summary>
internal static class OpenWriters
{
    private const int O_ACCMODE = 3;

    /// <summary>"pid 4242 (ffmpeg)" for each process other than this one's
    /// <paramref name="own"/> descriptor that has the file open for writing.</summary>
    internal static List<string> Of(FileFacts file, SafeFileHandle? own) =>
        Of(file.Inode, file.Device, own is null || own.IsInvalid ? -1 : own.DangerousGetHandle().ToInt64());

    /// <summary>The writers of the file at <paramref name="path"/>, found without opening it
    /// (a FIFO's open would wait for a writer); none for anything but a regular file.</summary>
    internal static List<string> OfPath(string path) =>
        Interop.StatxPath(path, out Interop.Statx st) == 0 && (st.Mode & Interop.S_IFMT) == Interop.S_IFREG
            ? Of(st.Ino, FileFacts.DeviceOf(st), -1)
            : [];

    private static List<string> Of(ulong inode, ulong device, long ownFd)
    {
        var writers = new List<string>();
        int self = Environment.ProcessId;
        IEnumerable<string> processes;
        try
        {
            processes = Directory.EnumerateDirectories("/proc");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return writers; // no /proc: nothing can be said
        }
        foreach (string process in processes)
        {
            if (!int.TryParse(Path.GetFileName(process), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }
            foreach (string fd in Descriptors(process))
            {
                if (!long.TryParse(Path.GetFileName(fd), NumberStyles.None, CultureInfo.InvariantCulture, out long number)
                    || (pid == self && number == ownFd)
                    || Interop.StatxPath(fd, out Interop.Statx st) != 0
                    || st.Ino != inode || (((ulong)st.DevMajor << 32) | st.DevMinor) != device
                    || !OpenForWriting($"{process}/fdinfo/{number}"))
                {
                    continue;
                }
                writers.Add($"pid {pid} ({Command(process)})");
                break;
            }
        }
        return writers;
    }

    /// <summary>Throws EBUSY naming the writers, if any process but this handle's has the file
    /// open for writing: an edit that copies the file could lose what they write. Where the
    /// handle is the file's only open (<see cref="WriteLease.OnlyOpen"/>, four fcntl calls)
    /// there is no writer to name, and /proc is not walked: that walk is a few syscalls for
    /// every descriptor of every process (10 to 20 ms of a defragment's start with 110 processes here).</summary>
    internal static void Refuse(FileFacts file, string operation)
    {
        if (WriteLease.OnlyOpen(file.Handle))
        {
            return;
        }
        List<string> writers = Of(file, file.Handle);
        if (writers.Count > 0)
        {
            throw new IOException(
                $"{operation} refused: the file is open for writing by {string.Join(", ", writers)}; nothing was changed, try again when it is closed",
                Interop.EBUSY);
        }
    }

    private static string[] Descriptors(string process)
    {
        try
        {
            return Directory.GetFileSystemEntries($"{process}/fd");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return []; // gone, or another user's process
        }
    }

    private static bool OpenForWriting(string fdinfo)
    {
        try
        {
            foreach (string line in File.ReadLines(fdinfo))
            {
                if (line.StartsWith("flags:", StringComparison.Ordinal))
                {
                    int flags = Convert.ToInt32(line["flags:".Length..].Trim(), 8);
                    return (flags & O_ACCMODE) != Interop.O_RDONLY;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
        }
        return false;
    }

    private static string Command(string process)
    {
        try
        {
            return File.ReadAllText($"{process}/comm").Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "?";
        }
    }
}
