using Microsoft.Win32.SafeHandles;
using MovData.Tests.Harness;

namespace MovData.Tests.Operations;

/// <summary>Map against a layout built on purpose, and Probe against what each filesystem is known to do.</summary>
public sealed class MapProbeTests
{
    private const int B = Files.Block;

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Map_ListsDataHolesAndUnwritten(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string f = dir.File("f");
        // data [0,4) hole [4,8) data [8,12) hole [12,16) unwritten [16,20) hole [20,24) + 100 bytes
        Files.Create(f, (24 * B) + 100, (0, Files.Pattern(50, 4 * B)), (8 * B, Files.Pattern(51, 4 * B)));
        using SafeFileHandle h = Files.OpenRw(f);
        FileRange.Preallocate(h, 16 * B, 4 * B, keepSize: true);

        IReadOnlyList<Segment> map = FileRange.Map(h);

        Assert.Equal(0, map[0].Offset);
        Assert.Equal((24 * B) + 100, map[^1].End);
        for (int i = 1; i < map.Count; i++)
        {
            Assert.Equal(map[i - 1].End, map[i].Offset);
        }
        SegmentKind At(long offset) => map.Single(s => s.Offset <= offset && offset < s.End).Kind;
        Assert.Equal(SegmentKind.Data, At(0));
        Assert.Equal(SegmentKind.Hole, At(5 * B));
        Assert.Equal(SegmentKind.Data, At(9 * B));
        Assert.Equal(SegmentKind.Hole, At(13 * B));
        Assert.Equal(dir.Kind.Fiemap ? SegmentKind.Unwritten : SegmentKind.Hole, At(17 * B));
        Assert.Equal(SegmentKind.Hole, At(22 * B));
        Segment data = map.First(s => s.Kind == SegmentKind.Data);
        if (dir.Kind.Fiemap)
        {
            Assert.NotNull(data.Physical);
            Assert.Equal(Files.PhysicalBlocks(f, 0, B)[0], data.Physical);
        }
        else
        {
            Assert.Null(data.Physical);
        }
        Assert.All(map.Where(s => s.Kind == SegmentKind.Hole), s => Assert.Null(s.Physical));
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Probe_ReportsWhatTheFileSystemDoes(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        FileSystemProbe probe = FileRange.Probe(dir.Path);
        FsKind k = dir.Kind;

        Assert.Equal(fs.StartsWith("xfs", StringComparison.Ordinal) ? "xfs" : fs, probe.FsType);
        Assert.Equal(B, probe.BlockSize);
        Support Native(bool yes) => yes ? Support.Native : Support.Unsupported;
        Assert.Equal(k.Exchange ? Support.Native : k.Reflink ? Support.Emulated : Support.Copy, probe.Operations[RangeOperation.Move]);
        Assert.Equal(Native(k.Reflink), probe.Operations[RangeOperation.Clone]);
        Assert.Equal(Native(k.Exchange), probe.Operations[RangeOperation.Exchange]);
        Support shift = k.ShiftMethod switch { RangeMethod.Native => Support.Native, RangeMethod.Emulated => Support.Emulated, _ => Support.Copy };
        Assert.Equal(shift, probe.Operations[RangeOperation.Collapse]);
        Assert.Equal(shift, probe.Operations[RangeOperation.Insert]);
        Assert.Equal(Native(k.ZeroRange), probe.Operations[RangeOperation.Zero]);
        Assert.Equal(Support.Native, probe.Operations[RangeOperation.Punch]);
        Assert.Equal(Support.Native, probe.Operations[RangeOperation.Preallocate]);
        // ext4 and btrfs defragment with their own primitive; XFS by a copy swapped in.
        Assert.Equal(k.Magic switch
        {
            MovData.Operations.FileFacts.XFS_SUPER_MAGIC => Support.Copy,
            MovData.Operations.FileFacts.EXT4_SUPER_MAGIC or MovData.Operations.FileFacts.BTRFS_SUPER_MAGIC => Support.Native,
            _ => Support.Unsupported,
        }, probe.Operations[RangeOperation.Defragment]);
        // A file answers for its filesystem as its directory does.
        string f = dir.File("f");
        Files.Create(f, B);
        Assert.Equal(probe.Operations.OrderBy(p => p.Key), FileRange.Probe(f).Operations.OrderBy(p => p.Key));
    }

    [Fact]
    public void Probe_RefusesMissingPath() =>
        Assert.Throws<FileNotFoundException>(() => FileRange.Probe("/nonexistent/movdata/probe"));
}
