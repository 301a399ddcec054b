using MovData.Tests.Cli;
using MovData.Tests.Harness;

namespace MovData.Tests.Operations;

/// <summary>
/// XFS and ext4 shut down (without flushing their logs, as in a power cut; and, where swaps
/// have begun, after committing the log but writing no data) at each point of a defragment: the fresh copy written but not durable, durable but nothing swapped, the first
/// piece swapped, everything swapped but the file not synced. After a remount the file holds
/// the same bytes, the filesystem checks clean (xfs_repair -n, e2fsck -fn), the unnamed copy
/// or donor left no file and no space behind, and movdata recover finds nothing to do.
/// </summary>
public sealed class DefragmentCrashTests
{
    private const int Size = 16 << 20;

    public static TheoryData<string, string, int> Points()
    {
        var data = new TheoryData<string, string, int>();
        foreach (string kind in new[] { "xfs", "ext4" })
        {
            for (int point = 0; point <= 3; point++)
            {
                data.Add(kind, "shutdown", point);
                if (point >= 2)
                {
                    // Swaps already committed to the log, the data of the fresh blocks maybe not.
                    data.Add(kind, "shutdown-logflush", point);
                }
            }
        }
        return data;
    }

    [Theory, MemberData(nameof(Points))]
    public void Defragment_FileSystemShutDownMidway_LosesNothingAndLeavesNothing(string kind, string how, int point)
    {
        using var fs = new LoopFileSystem(kind);
        byte[] content = Files.Pattern(80 + point, Size);
        string path = Fragmented.Make(fs.Mount, "rec.ts", content);
        long free = Fragmented.FreeBytes(fs.Mount);
        long[] blocks = Files.PhysicalBlocks(path, 0, Size);
        string[] entries = Directory.GetFileSystemEntries(fs.Mount);

        (int code, string output, string err) = CliProcess.MovdataWith(
            new Dictionary<string, string> { ["MOVDATA_TEST_CRASH"] = $"{how}:defrag:{point}" }, "defrag", path);
        if (kind == "ext4" && point == 0)
        {
            // ext4's mechanism makes no copy of its own: point 0 is never reached.
            Assert.True(code == 0, output + err);
            Files.AssertBytes(content, path, 0);
            return;
        }
        Assert.True(code == 137, $"exit {code}: {output}{err}");
        fs.RemountAfterShutdown();

        Files.AssertBytes(content, path, 0);
        if (how == "shutdown-logflush")
        {
            // The committed swaps survived: the crash really came after blocks changed hands.
            long[] now = Files.PhysicalBlocks(path, 0, Size);
            int moved = Enumerable.Range(0, now.Length).Count(i => now[i] != blocks[i]);
            Assert.True(moved >= (point == 3 ? now.Length : 1), $"{moved} of {now.Length} blocks on fresh blocks after the crash at point {point}");
        }
        Assert.Equal(entries.Order(), Directory.GetFileSystemEntries(fs.Mount).Order());
        Tools.MustRun("sync", "-f", fs.Mount);
        Assert.True(Fragmented.FreeBytes(fs.Mount) >= free - (4L << 20), $"free space before {free}, after {Fragmented.FreeBytes(fs.Mount)}: the copy's blocks were not given back");
        (int rc, string recovered, string rerr) = CliProcess.Movdata("recover", fs.Mount);
        Assert.True(rc == 0, recovered + rerr);

        Tools.MustRun("umount", fs.Mount);
        (int check, string said) = kind == "xfs" ? Tools.Run("xfs_repair", "-n", fs.Image) : Tools.Run("e2fsck", "-fn", fs.Image);
        Assert.True(check == 0, $"the filesystem does not check clean after the crash at point {point}:\n{said}");
        Tools.MustRun("mount", "-o", "loop", fs.Image, fs.Mount);

        // And it still defragments.
        DefragmentResult again = FileRange.Defragment(path);
        Assert.True(again.ExtentsAfter <= 4, again.ToString());
        Files.AssertBytes(content, path, 0);
    }
}
