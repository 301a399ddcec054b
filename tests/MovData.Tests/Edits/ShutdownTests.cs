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
        using var image = new LoopFileSystem(fs);
        CrashScenario s = CrashScenario.All().Single(c => c.Name == scenario);
        int crashes = s.CrashAtEveryStep(image.Mount, "shutdown", ["ran"], afterCrash: image.RemountAfterShutdown);
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

/// <summary>A record names its files by inode and creation time, not by device number: a
/// filesystem that comes back on another device (a loop device, a disk renumbered at boot)
/// still has its interrupted edits finished.</summary>
public sealed class DeviceChangeTests
{
    [Fact]
    public void Recover_FinishesAnEditAfterTheFileSystemCameBackOnAnotherDevice()
    {
        using var image = new LoopFileSystem("ext4");
        CrashScenario s = CrashScenario.All().Single(c => c.Name == "splice aligned");
        s.Setup(image.Mount);
        (int code, _, string err) = Cli.CliProcess.MovdataWith(new Dictionary<string, string> { ["MOVDATA_TEST_CRASH"] = "kill:done:0" }, s.Command(image.Mount));
        Assert.True(code == 137, err);
        Assert.Equal(0, MovData.Native.Interop.StatxPath(image.Mount, out MovData.Native.Interop.Statx before));

        string placeholder = Path.Combine(Path.GetDirectoryName(image.Mount)!, "placeholder.img");
        using (FileStream f = File.Create(placeholder))
        {
            f.SetLength(1 << 20);
        }
        Tools.MustRun("umount", image.Mount);
        // Take a loop device first (the one just freed, or the lowest free), then attach the
        // image: it comes back on a device it was not on.
        (int p, string held) = Tools.Run("losetup", "--find", "--show", placeholder);
        (int i, string device) = Tools.Run("losetup", "--find", "--show", image.Image);
        try
        {
            Assert.True(p == 0 && i == 0, held + device);
            Tools.MustRun("mount", device.Trim(), image.Mount);
            Assert.Equal(0, MovData.Native.Interop.StatxPath(image.Mount, out MovData.Native.Interop.Statx after));
            Assert.NotEqual((before.DevMajor, before.DevMinor), (after.DevMajor, after.DevMinor));
            (int rc, string output, string rerr) = Cli.CliProcess.Movdata("recover", image.Mount);
            Assert.True(rc == 0, output + rerr);
            s.Check(image.Mount, "after a device change");
        }
        finally
        {
            Tools.Run("umount", image.Mount);
            Tools.Run("losetup", "-d", device.Trim());
            Tools.Run("losetup", "-d", held.Trim());
        }
    }
}
