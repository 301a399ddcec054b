namespace MovData.Tests.Harness;

/// <summary>A fresh sparse image with one filesystem, loop-mounted, removed on dispose.</summary>
internal sealed class LoopFileSystem : IDisposable
{
    private readonly string? _ownDirectory;

    internal string Image { get; }

    internal string Mount { get; }

    /// <summary>A fresh 512 MiB image of <paramref name="kind"/> (xfs with reflink,
    /// xfs-noreflink, btrfs or ext4), mounted; as root only (a test run that requires the scratch filesystems fails
    /// without it, others skip). The image goes into <paramref name="imageDirectory"/> (a
    /// directory of its own under /var/tmp by default); <paramref name="beforeMount"/> may
    /// change the fresh image first.</summary>
    internal LoopFileSystem(string kind, string? imageDirectory = null, string? mount = null, Action<string>? beforeMount = null)
    {
        RequireRoot("a filesystem of its own to crash or fail needs a loop mount: run as root");
        if (imageDirectory is null)
        {
            imageDirectory = _ownDirectory = Path.Combine("/var/tmp", $"movdata-crash-{Guid.NewGuid():N}");
            Directory.CreateDirectory(imageDirectory);
        }
        Image = Path.Combine(imageDirectory, $"{kind}.img");
        Mount = mount ?? Path.Combine(imageDirectory, "mnt");
        Directory.CreateDirectory(Mount);
        using (FileStream f = File.Create(Image))
        {
            f.SetLength(512L << 20);
        }
        switch (kind)
        {
            case "xfs":
                Tools.MustRun("mkfs.xfs", "-q", "-f", "-m", "reflink=1", Image);
                break;
            case "xfs-noreflink":
                Tools.MustRun("mkfs.xfs", "-q", "-f", "-m", "reflink=0", Image);
                break;
            case "btrfs":
                Tools.MustRun("mkfs.btrfs", "-q", "-f", Image);
                break;
            default:
                Tools.MustRun("mkfs.ext4", "-q", "-F", Image);
                break;
        }
        beforeMount?.Invoke(Image);
        Tools.MustRun("mount", "-o", "loop", Image, Mount);
    }

    /// <summary>Skips the test without root, or fails it where the scratch filesystems are required.</summary>
    internal static void RequireRoot(string why)
    {
        if (Tools.IsRoot)
        {
            return;
        }
        if (Scratch.Required)
        {
            Assert.Fail(why);
        }
        Assert.Skip(why);
    }

    /// <summary>After a shutdown: check the filesystem really is down (every write fails),
    /// unmount, and mount again so the filesystem replays its log.</summary>
    internal void RemountAfterShutdown()
    {
        Assert.ThrowsAny<IOException>(() => File.WriteAllText(Path.Combine(Mount, "after-shutdown"), "x"));
        Remount();
    }

    /// <summary>Unmount, and mount again (on the lowest free loop device).</summary>
    internal void Remount()
    {
        Tools.MustRun("umount", Mount);
        Tools.MustRun("mount", "-o", "loop", Image, Mount);
    }

    public void Dispose()
    {
        if (Unmount(Mount) && _ownDirectory is not null)
        {
            Directory.Delete(_ownDirectory, recursive: true);
        }
    }

    /// <summary>Unmounts, waiting out a filesystem still busy with a process that just
    /// ended; lazily as the last resort, so no test leaves a mount behind. True if it is
    /// unmounted now (not lazily).</summary>
    internal static bool Unmount(string path)
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            if (Tools.Run("mountpoint", "-q", path).Code != 0 || Tools.Run("umount", path).Code == 0)
            {
                return true;
            }
            Thread.Sleep(100);
        }
        Tools.Run("umount", "-l", path);
        return false;
    }
}
