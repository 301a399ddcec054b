using Microsoft.Win32.SafeHandles;
using MovData.Native;

namespace MovData.Operations;

/// <summary>
/// A write lease (fcntl F_SETLEASE) on a file: proof that no other open file description has
/// the file open, for as long as <see cref="Held"/> says so. The kernel grants it only to a
/// handle that is the file's only open; while it is held, another process that opens the
/// file (to read or to write) or truncates it by name waits in the kernel, so nothing else
/// can write the file. <see cref="Held"/> turns false the moment one starts waiting, and the
/// holder then drops it (<see cref="DropIfBroken"/>), so the other waits no longer than the
/// holder's step between two checks. The break is told by SIGURG, which is ignored unless
/// handled.
/// </summary>
internal sealed class WriteLease : IDisposable
{
    /// <summary>The kernel takes back a lease that is not dropped within
    /// /proc/sys/fs/lease-break-time seconds (45 by default) and lets the opener go on: below
    /// this many, a step begun just after a check might not end before an opener writes.</summary>
    private const int MinimumBreakSeconds = 10;

    private const string BreakTime = "/proc/sys/fs/lease-break-time";

    private readonly SafeFileHandle file;
    private bool dropped;

    private WriteLease(SafeFileHandle file) => this.file = file;

    /// <summary>The lease, or null where the kernel will not grant it: another open of the
    /// file (by this process too), not the file's owner and no CAP_LEASE, leases disabled,
    /// or a lease-break-time too short to rely on.</summary>
    internal static WriteLease? TryTake(SafeFileHandle file)
    {
        if (!int.TryParse(ReadBreakTime(), out int seconds) || seconds < MinimumBreakSeconds)
        {
            return null;
        }
        if (Interop.TakeWriteLease(file) != 0)
        {
            _ = Interop.DropLease(file); // puts F_SETSIG back
            return null;
        }
        return new WriteLease(file);
    }

    /// <summary>Whether <paramref name="file"/> is the file's only open right now: a write
    /// lease granted and dropped at once. False says nothing (another open, perhaps only to
    /// read; not the owner; leases disabled or not offered by the filesystem). An open
    /// elsewhere in that instant waits for the drop, and one with O_NONBLOCK gets EAGAIN.</summary>
    internal static bool OnlyOpen(SafeFileHandle file)
    {
        bool granted = Interop.TakeWriteLease(file) == 0;
        _ = Interop.DropLease(file); // puts F_SETSIG back either way
        return granted;
    }

    /// <summary>Whether the lease is still held with no one waiting for it.</summary>
    internal bool Held => !dropped && Interop.LeaseHeld(file) == Interop.F_WRLCK;

    /// <summary>Drops the lease if someone is waiting for it (or the kernel took it back),
    /// so they wait no longer; returns whether it is still held.</summary>
    internal bool DropIfBroken()
    {
        if (Held)
        {
            return true;
        }
        Dispose();
        return false;
    }

    public void Dispose()
    {
        if (!dropped)
        {
            dropped = true;
            _ = Interop.DropLease(file);
        }
    }

    private static string ReadBreakTime()
    {
        try
        {
            return File.ReadAllText(BreakTime).Trim();
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }
}
