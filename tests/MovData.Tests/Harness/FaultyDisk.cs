using MovData.Native;
using Microsoft.Win32.SafeHandles;

namespace MovData.Tests.Harness;

/// <summary>
/// A filesystem whose disk fails for real: a loop-mounted image (sparse) on a small tmpfs of
/// its own. While that tmpfs has room the disk works; <see cref="Fill"/> takes the room, so
/// every write the filesystem sends to a block it has not written before fails (ENOSPC from
/// the loop device, EIO above it): data writeback first, and after <see cref="BreakLog"/> the
/// filesystem's own log, which shuts XFS down, aborts ext4's journal and btrfs's transaction. The XFS log of the
/// fresh image is deallocated before the first mount (a zeroed log is a clean one), so it too
/// lives on blocks not yet written. <see cref="Crash"/> then stops the filesystem without
/// flushing anything, as a power cut would, and <see cref="Remount"/> gives the room back
/// and mounts it again (log replay).
/// </summary>
public sealed class FaultyDisk : IDisposable
{
    private readonly string _root, _backing, _filler;
    private readonly LoopFileSystem _fs;

    public string Kind { get; }

    /// <summary>Where the filesystem is mounted.</summary>
    public string Mount => _fs.Mount;

    private FaultyDisk(string kind, string root, string backing, LoopFileSystem fs)
    {
        Kind = kind;
        _root = root;
        _backing = backing;
        _filler = Path.Combine(backing, "filler");
        _fs = fs;
    }

    /// <summary>An XFS (reflink), btrfs or ext4 filesystem on a failing disk; skipped without root.</summary>
    public static FaultyDisk Create(string kind, long backingMiB = 448)
    {
        LoopFileSystem.RequireRoot("a faulty disk needs root (tmpfs and loop mounts)");
        string root = Path.Combine("/var/tmp/movdata-scratch", $"faulty-{Guid.NewGuid():N}");
        string backing = Path.Combine(root, "backing");
        Directory.CreateDirectory(backing);
        Tools.MustRun("mount", "-t", "tmpfs", "-o", $"size={backingMiB}m", "movdata-faulty", backing);
        var fs = new LoopFileSystem(kind, backing, Path.Combine(root, "mnt"), kind == "xfs" ? DeallocateXfsLog : null);
        return new FaultyDisk(kind, root, backing, fs);
    }

    /// <summary>Punches the fresh image's log so that its blocks are not on the tmpfs yet.</summary>
    private static void DeallocateXfsLog(string image)
    {
        (int code, string sb) = Tools.Run("xfs_db", "-r", "-c", "sb 0", "-c", "p logstart logblocks agblocks agblklog blocksize", image);
        Assert.True(code == 0, sb);
        Dictionary<string, long> f = sb.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(" = "))
            .ToDictionary(w => w[0].Trim(), w => long.Parse(w[1], System.Globalization.CultureInfo.InvariantCulture));
        long agno = f["logstart"] >> (int)f["agblklog"], agbno = f["logstart"] & ((1L << (int)f["agblklog"]) - 1);
        long offset = (agno * f["agblocks"] + agbno) * f["blocksize"];
        Tools.MustRun("fallocate", "--punch-hole", "--offset", $"{offset}", "--length", $"{f["logblocks"] * f["blocksize"]}", image);
    }

    /// <summary>Takes all the room the disk has left.</summary>
    public void Fill()
    {
        using FileStream filler = File.Create(_filler);
        byte[] chunk = new byte[1 << 20];
        Array.Fill(chunk, (byte)0xa5);
        try
        {
            while (true)
            {
                filler.Write(chunk);
            }
        }
        catch (IOException)
        {
            // ENOSPC: full.
        }
    }

    /// <summary>With the disk full, makes the filesystem write its log until that fails: XFS
    /// shuts down, ext4 aborts its journal, btrfs its transaction. Returns whether it failed. (After a remount XFS
    /// has rewritten the log blocks just ahead of its head, so it may take a while to reach
    /// blocks the disk never had.)</summary>
    public bool BreakLog()
    {
        string dir = Path.Combine(Mount, ".fault");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int round = 0; clock.Elapsed < TimeSpan.FromSeconds(30); round++)
        {
            try
            {
                Directory.CreateDirectory(dir);
                for (int i = 0; i < 32; i++)
                {
                    File.WriteAllBytes(Path.Combine(dir, $"{round}-{i}"), []);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return true; // shut down, or read-only after the journal abort
            }
            if (Interop.SyncDirectory(dir) != 0)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Stops the filesystem without flushing its log (a power cut); harmless on one
    /// that is already down (btrfs, whose aborted transaction writes nothing more, has no
    /// such call here).</summary>
    public void Crash()
    {
        SafeFileHandle h;
        try
        {
            h = File.OpenHandle(Path.Combine(Mount, ".anchor"), FileMode.OpenOrCreate, FileAccess.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return; // down already
        }
        using (h)
        {
            _ = Interop.ShutdownFileSystem(h);
        }
    }

    /// <summary>Gives the room back, unmounts and mounts again (the log is replayed).</summary>
    public void Remount()
    {
        File.Delete(_filler);
        _fs.Remount();
        string dir = Path.Combine(Mount, ".fault");
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    public void Dispose()
    {
        if (LoopFileSystem.Unmount(Mount) & LoopFileSystem.Unmount(_backing))
        {
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
