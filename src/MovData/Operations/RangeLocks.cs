using MovData.Native;

namespace MovData.Operations;

/// <summary>
/// Advisory write locks on the ranges an edit touches (OFD locks, fcntl F_OFD_SETLKW), taken
/// in one global order (device, inode, offset) so that two edits waiting on each other's
/// ranges cannot deadlock. Every MovData edit takes them, so MovData edits of the same
/// ranges, in any processes, run one after the other; a program that writes the files
/// without taking locks is not held back (the locks are advisory).
/// </summary>
internal sealed class RangeLocks : IDisposable
{
    private readonly List<(FileFacts File, long Start, long Length)> _held = [];

    private RangeLocks()
    {
    }

    internal static RangeLocks Take(params (FileFacts File, long Start, long Length)[] ranges)
    {
        var locks = new RangeLocks();
        try
        {
            foreach (var r in ranges.OrderBy(r => r.File.Device).ThenBy(r => r.File.Inode).ThenBy(r => r.Start))
            {
                int errno = Interop.LockRange(r.File.Handle, r.Start, r.Length, locked: true);
                Interop.ThrowIfFailed(errno, $"locking [{r.Start}, {r.Start + r.Length}) of the {r.File.Role}");
                locks._held.Add(r);
            }
            return locks;
        }
        catch
        {
            locks.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var r in _held)
        {
            _ = Interop.LockRange(r.File.Handle, r.Start, r.Length, locked: false);
        }
        _held.Clear();
    }
}
