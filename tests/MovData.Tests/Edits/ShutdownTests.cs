using MovData.Tests.Harness;

namespace MovData.Tests.Edits;

/// <summary>
/// Crashes the filesystem itself in the middle of each edit: after a step has changed the
/// files and before it is synced or recorded, the edit shuts the filesystem down without
/// flushing its log (XFS_IOC_GOINGDOWN / EXT4_IOC_SHUTDOWN with NOLOGFLUSH, as xfstests'
/// godown), so whatever was not yet durable is lost as in a power cut. The test then unmounts,
/// mounts again (the filesystem replays its log), runs `movdata recover` and checks the files
/// are exactly as after the edit. Each filesystem is a loop image of its own, since it is
/// unmounted and mounted again for every crash.
/// </summary>
public abstract class ShutdownTestsBase
{
    private static readonly string[] Scenarios =
        ["splice aligned", "splice MPEG-TS packets", "collapse at a packet boundary", "concat --move", "move"];

    public static TheoryData<string> Rows() => new(Scenarios);

    protected static void Run(string fs, string scenario)
    {
        if (!Tools.IsRoot)
        {
            string why = "crashing a filesystem needs a loop mount of its own: run as root";
            if (Scratch.Required)
            {
                Assert.Fail(why);
            }
            Assert.Skip(why);
        }
        using var image = new LoopFileSystem(fs);
        CrashScenario s = CrashScenario.All().Single(c => c.Name == scenario);
        int crashes = s.CrashAtEveryStep(image.Mount, "shutdown", ["ran"], afterCrash: image.Remount);
        TestContext.Current.TestOutputHelper?.WriteLine($"{scenario} on {fs}: shut down, remounted and recovered at {crashes} points");
        Assert.True(crashes >= 1, $"{scenario} on {fs}: the switch never fired");
    }
}

public sealed class XfsShutdownTests : ShutdownTestsBase
{
    public static TheoryData<string> Cases => Rows();

    [Theory, MemberData(nameof(Cases))]
    public void Edit_XfsShutDownMidStep_RecoversAfterRemount(string scenario) => Run("xfs", scenario);
}

public sealed class Ext4ShutdownTests : ShutdownTestsBase
{
    public static TheoryData<string> Cases => Rows();

    [Theory, MemberData(nameof(Cases))]
    public void Edit_Ext4ShutDownMidStep_RecoversAfterRemount(string scenario) => Run("ext4", scenario);
}

/// <summary>A fresh sparse image with one filesystem, loop-mounted, removed on dispose.</summary>
internal sealed class LoopFileSystem : IDisposable
{
    private readonly string _image;

    internal LoopFileSystem(string kind)
    {
        string root = Path.Combine("/var/tmp", $"movdata-crash-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        _image = Path.Combine(root, $"{kind}.img");
        Mount = Path.Combine(root, "mnt");
        Directory.CreateDirectory(Mount);
        using (FileStream f = File.Create(_image))
        {
            f.SetLength(512L << 20);
        }
        if (kind == "xfs")
        {
            Tools.MustRun("mkfs.xfs", "-q", "-f", "-m", "reflink=1", _image);
        }
        else
        {
            Tools.MustRun("mkfs.ext4", "-q", "-F", _image);
        }
        Tools.MustRun("mount", "-o", "loop", _image, Mount);
    }

    internal string Mount { get; }

    /// <summary>After a shutdown: check the filesystem really is down (every write fails),
    /// unmount, and mount again so the filesystem replays its log.</summary>
    internal void Remount()
    {
        Assert.ThrowsAny<IOException>(() => File.WriteAllText(Path.Combine(Mount, "after-shutdown"), "x"));
        Tools.MustRun("umount", Mount);
        Tools.MustRun("mount", "-o", "loop", _image, Mount);
    }

    public void Dispose()
    {
        Tools.Run("umount", Mount);
        Directory.Delete(Path.GetDirectoryName(_image)!, recursive: true);
    }
}
