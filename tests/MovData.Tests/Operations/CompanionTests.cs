using Microsoft.Win32.SafeHandles;
using MovData.Tests.Harness;

namespace MovData.Tests.Operations;

/// <summary>Clone, Exchange, PunchHole, ZeroRange, Preallocate, Collapse and Insert on every
/// scratch filesystem: native where the kernel has them, a clear refusal and no change where not
/// (Collapse and Insert: emulated by clones or done by copying instead).</summary>
public sealed class CompanionTests
{
    private const int B = Files.Block;

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Clone_SharesBlocksOrRefuses(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string src = dir.File("src"), dst = dir.File("dst");
        byte[] content = Files.Pattern(40, 32 * B);
        Files.Create(src, content.Length, (0, content));
        Files.Create(dst, 32 * B, (0, Files.Pattern(41, 32 * B)));
        Snapshot before = Files.Take(dst);
        using SafeFileHandle s = Files.OpenRw(src), d = Files.OpenRw(dst);

        if (dir.Kind.Reflink)
        {
            RangeResult result = FileRange.Clone(s, 8 * B, d, 16 * B, 8 * B);
            Assert.Equal(new RangeResult(8 * B, RangeMethod.Native, 0), result);
            Files.AssertBytes(content.AsSpan(8 * B, 8 * B).ToArray(), dst, 16 * B);
            Files.AssertBytes(content, src, 0);
            Assert.Equal(Files.PhysicalBlocks(src, 8 * B, 8 * B), Files.PhysicalBlocks(dst, 16 * B, 8 * B));
            Assert.All(FileRange.Map(d).Where(x => x.Offset >= 16 * B && x.End <= 24 * B), x => Assert.True(x.Shared));
        }
        else
        {
            var e = Assert.Throws<FileSystemNotSupportedException>(() => FileRange.Clone(s, 8 * B, d, 16 * B, 8 * B));
            Assert.Contains("EOPNOTSUPP", e.Message, StringComparison.Ordinal);
            Assert.Equal(before, Files.Take(dst));
        }
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Clone_RefusesMisalignedAndPastEnd(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string src = dir.File("src"), dst = dir.File("dst");
        Files.Create(src, 8 * B, (0, Files.Pattern(42, 8 * B)));
        Files.Create(dst, 8 * B);
        using SafeFileHandle s = Files.OpenRw(src), d = Files.OpenRw(dst);
        Assert.Equal(ContractRule.Alignment, Assert.Throws<ContractViolationException>(() => FileRange.Clone(s, 100, d, 0, B)).Rule);
        Assert.Equal(ContractRule.Range, Assert.Throws<ContractViolationException>(() => FileRange.Clone(s, 4 * B, d, 0, 8 * B)).Rule);
        Assert.Equal(ContractRule.Overlap, Assert.Throws<ContractViolationException>(() => FileRange.Clone(s, 0, s, B, 2 * B)).Rule);
        Files.AssertHole(dst, 0, 8 * B);
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Exchange_SwapsRangesOrRefuses(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string a = dir.File("a"), b = dir.File("b");
        byte[] ca = Files.Pattern(43, 16 * B), cb = Files.Pattern(44, 16 * B);
        Files.Create(a, ca.Length, (0, ca));
        Files.Create(b, cb.Length, (0, cb));
        Snapshot sa = Files.Take(a), sb = Files.Take(b);
        using SafeFileHandle ha = Files.OpenRw(a), hb = Files.OpenRw(b);

        if (dir.Kind.Exchange)
        {
            long[] physA = Files.PhysicalBlocks(a, 0, 4 * B), physB = Files.PhysicalBlocks(b, 8 * B, 4 * B);
            FileRange.Exchange(ha, 0, hb, 8 * B, 4 * B);
            Files.AssertBytes(cb.AsSpan(8 * B, 4 * B).ToArray(), a, 0);
            Files.AssertBytes(ca.AsSpan(0, 4 * B).ToArray(), b, 8 * B);
            Files.AssertBytes(ca.AsSpan(4 * B).ToArray(), a, 4 * B);
            Assert.Equal(physB, Files.PhysicalBlocks(a, 0, 4 * B));
            Assert.Equal(physA, Files.PhysicalBlocks(b, 8 * B, 4 * B));
        }
        else
        {
            var e = Assert.Throws<FileSystemNotSupportedException>(() => FileRange.Exchange(ha, 0, hb, 8 * B, 4 * B));
            Assert.Contains("exchange-range", e.Message, StringComparison.Ordinal);
            Assert.Equal(sa, Files.Take(a));
            Assert.Equal(sb, Files.Take(b));
        }
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void PunchHole_DeallocatesAndKeepsSize(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string f = dir.File("f");
        byte[] content = Files.Pattern(45, 16 * B);
        Files.Create(f, content.Length, (0, content));
        using SafeFileHandle h = Files.OpenRw(f);

        FileRange.PunchHole(h, 4 * B, 4 * B);

        Files.AssertHole(f, 4 * B, 4 * B);
        Files.AssertBytes(content.AsSpan(0, 4 * B).ToArray(), f, 0);
        Files.AssertBytes(content.AsSpan(8 * B).ToArray(), f, 8 * B);
        Assert.Equal(16 * B, new FileInfo(f).Length);
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void ZeroRange_ReadsZerosOrRefuses(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string f = dir.File("f");
        byte[] content = Files.Pattern(46, 16 * B);
        Files.Create(f, content.Length, (0, content));
        Snapshot before = Files.Take(f);
        using SafeFileHandle h = Files.OpenRw(f);

        if (dir.Kind.ZeroRange)
        {
            FileRange.ZeroRange(h, 2 * B, 3 * B);
            Assert.All(Files.Read(f, 2 * B, 3 * B), x => Assert.Equal(0, x));
            Files.AssertBytes(content.AsSpan(5 * B).ToArray(), f, 5 * B);
            Assert.Equal(16 * B, new FileInfo(f).Length);
        }
        else
        {
            Assert.Throws<FileSystemNotSupportedException>(() => FileRange.ZeroRange(h, 2 * B, 3 * B));
            Assert.Equal(before, Files.Take(f));
        }
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Preallocate_AllocatesUnwrittenSpace(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string f = dir.File("f");
        Files.Create(f, 0);
        using SafeFileHandle h = Files.OpenRw(f);

        FileRange.Preallocate(h, 0, 16 * B);

        Assert.Equal(16 * B, new FileInfo(f).Length);
        Files.AssertHole(f, 0, 16 * B);
        IReadOnlyList<Segment> map = FileRange.Map(h);
        Assert.Equal(16 * B, map.Sum(s => s.Length));
        if (dir.Kind.Fiemap)
        {
            Assert.All(map, s => Assert.Equal(SegmentKind.Unwritten, s.Kind));
        }
        FileRange.Preallocate(h, 16 * B, 16 * B, keepSize: true);
        Assert.Equal(16 * B, new FileInfo(f).Length);
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Collapse_RemovesRangeAndShrinks_NativeEmulatedOrCopy(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string f = dir.File("f");
        byte[] content = Files.Pattern(47, 16 * B);
        Files.Create(f, content.Length, (0, content));
        long[] tail = dir.Kind.Fiemap ? Files.PhysicalBlocks(f, 8 * B, 8 * B) : [];
        using SafeFileHandle h = Files.OpenRw(f);

        RangeResult r = FileRange.Collapse(h, 4 * B, 4 * B);

        Assert.Equal(new RangeResult(4 * B, dir.Kind.ShiftMethod, dir.Kind.ShiftMethod == RangeMethod.Copy ? 2 * 8 * B : 0), r);
        Assert.Equal(12 * B, new FileInfo(f).Length);
        Files.AssertBytes([.. content.AsSpan(0, 4 * B), .. content.AsSpan(8 * B)], f, 0);
        if (dir.Kind.ShiftMethod != RangeMethod.Copy && dir.Kind.Fiemap)
        {
            // Native or by clones: the tail kept its blocks, nothing was rewritten.
            Assert.Equal(tail, Files.PhysicalBlocks(f, 4 * B, 8 * B));
        }
        Assert.False(Directory.Exists(Path.Combine(dir.Path, ".movdata-journal")), "the journal is left empty and removed");
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Insert_OpensHoleAndGrows_NativeEmulatedOrCopy(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string f = dir.File("f");
        byte[] content = Files.Pattern(48, 16 * B);
        Files.Create(f, content.Length, (0, content));
        long[] tail = dir.Kind.Fiemap ? Files.PhysicalBlocks(f, 4 * B, 12 * B) : [];
        using SafeFileHandle h = Files.OpenRw(f);

        RangeResult r = FileRange.Insert(h, 4 * B, 2 * B);

        Assert.Equal(new RangeResult(2 * B, dir.Kind.ShiftMethod, dir.Kind.ShiftMethod == RangeMethod.Copy ? 2 * 12 * B : 0), r);
        Assert.Equal(18 * B, new FileInfo(f).Length);
        Files.AssertBytes(content.AsSpan(0, 4 * B).ToArray(), f, 0);
        Files.AssertHole(f, 4 * B, 2 * B);
        Files.AssertBytes(content.AsSpan(4 * B).ToArray(), f, 6 * B);
        if (dir.Kind.ShiftMethod != RangeMethod.Copy && dir.Kind.Fiemap)
        {
            Assert.Equal(tail, Files.PhysicalBlocks(f, 6 * B, 12 * B));
        }
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void CollapseAndInsert_ZeroCopyOnly_RefusesCopyingAndChangesNothing(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string f = dir.File("f");
        Files.Create(f, 16 * B, (0, Files.Pattern(46, 16 * B)));
        Snapshot before = Files.Take(f);
        using SafeFileHandle h = Files.OpenRw(f);

        // A length that is not a block multiple rewrites the tail: refused everywhere, by
        // MovData before the kernel is asked, with the errno a caller can pass on.
        var refused = Assert.Throws<FileSystemNotSupportedException>(() => FileRange.Collapse(h, 4 * B, 100, MoveFlags.ZeroCopyOnly));
        Assert.Equal(95, refused.Errno); // EOPNOTSUPP
        Assert.Throws<FileSystemNotSupportedException>(() => FileRange.Insert(h, 4 * B, B + 1, MoveFlags.ZeroCopyOnly));
        if (dir.Kind.ShiftMethod == RangeMethod.Copy)
        {
            Assert.Throws<FileSystemNotSupportedException>(() => FileRange.Collapse(h, 4 * B, B, MoveFlags.ZeroCopyOnly));
            Assert.Throws<FileSystemNotSupportedException>(() => FileRange.Insert(h, 4 * B, B, MoveFlags.ZeroCopyOnly));
        }
        else
        {
            // An unaligned offset with a block-multiple length copies one block's head only: allowed.
            Assert.Equal(188, FileRange.Collapse(h, 4 * B + 188, B, MoveFlags.ZeroCopyOnly).BytesCopied);
            return;
        }
        Assert.Equal(before, Files.Take(f));
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void CollapseAndInsert_RefuseBadRanges_ChangingNothing(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string f = dir.File("f");
        Files.Create(f, 16 * B, (0, Files.Pattern(49, 16 * B)));
        Snapshot before = Files.Take(f);
        using SafeFileHandle h = Files.OpenRw(f);

        Assert.Equal(ContractRule.Range, Assert.Throws<ContractViolationException>(() => FileRange.Collapse(h, 12 * B, 4 * B)).Rule);
        Assert.Equal(ContractRule.Range, Assert.Throws<ContractViolationException>(() => FileRange.Collapse(h, B, long.MaxValue - (B - 1))).Rule);
        Assert.Equal(ContractRule.Negative, Assert.Throws<ContractViolationException>(() => FileRange.Insert(h, -188, B)).Rule);
        Assert.Equal(ContractRule.Range, Assert.Throws<ContractViolationException>(() => FileRange.Collapse(h, 188, 16 * B - 188)).Rule);
        Assert.Equal(ContractRule.Range, Assert.Throws<ContractViolationException>(() => FileRange.Insert(h, 16 * B, B)).Rule);
        Assert.Equal(ContractRule.Range, Assert.Throws<ContractViolationException>(() => FileRange.Insert(h, 0, long.MaxValue - (B - 1))).Rule);
        Assert.Equal(ContractRule.Negative, Assert.Throws<ContractViolationException>(() => FileRange.PunchHole(h, -1, B)).Rule);
        Assert.Equal(before, Files.Take(f));
    }

    /// <summary>Collapse and insert tell their progress what their plan transfers: nothing
    /// where one fallocate shifts the file, the tail twice (out to a sidecar and back) where
    /// clones or copies do, each report with the same total and the last one complete.</summary>
    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void CollapseAndInsert_ReportTheBytesTheirPlanTransfers(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string f = dir.File("f");
        byte[] content = Files.Pattern(50, 256 * B);
        Files.Create(f, content.Length, (0, content));
        var collapse = new Reports<EditProgress>();
        var insert = new Reports<EditProgress>();

        RangeResult c = FileRange.Collapse(f, 16 * B, 16 * B, progress: collapse);
        RangeResult i = FileRange.Insert(f, 16 * B, 16 * B, progress: insert);

        Files.AssertBytes(content.AsSpan(0, 16 * B).ToArray(), f, 0);
        Files.AssertHole(f, 16 * B, 16 * B);
        Files.AssertBytes(content.AsSpan(32 * B).ToArray(), f, 32 * B);
        foreach ((RangeResult r, Reports<EditProgress> reports, long tail) in new[] { (c, collapse, 224L * B), (i, insert, 224L * B) })
        {
            Assert.Equal(dir.Kind.ShiftMethod, r.Method);
            if (r.Method == RangeMethod.Native)
            {
                Assert.Empty(reports.All);
                continue;
            }
            Assert.NotEmpty(reports.All);
            Assert.All(reports.All, p => Assert.Equal(2 * tail, p.Total));
            Assert.Equal(reports.All.Select(p => p.Done).Order(), reports.All.Select(p => p.Done));
            Assert.Equal(2 * tail, reports.All[^1].Done);
            Assert.Equal(r.Method == RangeMethod.Copy ? 2 * tail : 0, r.BytesCopied);
        }
    }

    /// <summary>Every operation has a path form, which opens the file as the handle form needs
    /// it and does the same thing; a directory is refused by the file-kind rule.</summary>
    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void EveryOperation_TakesPaths(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string a = dir.File("a"), b = dir.File("b");
        byte[] ca = Files.Pattern(51, 32 * B), cb = Files.Pattern(52, 32 * B);
        Files.Create(a, ca.Length, (0, ca));
        Files.Create(b, cb.Length, (0, cb));

        Assert.Equal(new RangeResult(4 * B, RangeMethod.Native, 0), FileRange.PunchHole(a, 0, 4 * B));
        Files.AssertHole(a, 0, 4 * B);
        Assert.Equal(new RangeResult(4 * B, RangeMethod.Native, 0), FileRange.Preallocate(a, 32 * B, 4 * B));
        Assert.Equal(36 * B, new FileInfo(a).Length);
        Assert.Equal(4 * B, FileRange.Collapse(a, 32 * B - 4 * B, 4 * B).Length);
        Assert.Equal(32 * B, new FileInfo(a).Length);
        Files.AssertBytes(ca.AsSpan(4 * B, 24 * B).ToArray(), a, 4 * B);
        Assert.Equal(B, FileRange.Insert(a, 4 * B, B).Length);
        Files.AssertHole(a, 0, 5 * B);
        Files.AssertBytes(ca.AsSpan(4 * B, 24 * B).ToArray(), a, 5 * B);
        if (dir.Kind.ZeroRange)
        {
            FileRange.ZeroRange(b, 0, B);
            Files.AssertBytes(new byte[B], b, 0);
        }
        else
        {
            Assert.Throws<FileSystemNotSupportedException>(() => FileRange.ZeroRange(b, 0, B));
        }
        if (dir.Kind.Reflink)
        {
            FileRange.Clone(b, 8 * B, a, 8 * B, 4 * B);
            Files.AssertBytes(cb.AsSpan(8 * B, 4 * B).ToArray(), a, 8 * B);
        }
        else
        {
            Assert.Throws<FileSystemNotSupportedException>(() => FileRange.Clone(b, 8 * B, a, 8 * B, 4 * B));
        }
        if (dir.Kind.Exchange)
        {
            byte[] before = Files.Read(a, 16 * B, 4 * B);
            FileRange.Exchange(a, 16 * B, b, 16 * B, 4 * B);
            Files.AssertBytes(before, b, 16 * B);
            Files.AssertBytes(cb.AsSpan(16 * B, 4 * B).ToArray(), a, 16 * B);
        }
        else
        {
            Assert.Throws<FileSystemNotSupportedException>(() => FileRange.Exchange(a, 16 * B, b, 16 * B, 4 * B));
        }
        Assert.Equal(ContractRule.FileKind, Assert.Throws<ContractViolationException>(() => FileRange.PunchHole(dir.Path, 0, B)).Rule);
        Assert.Equal(ContractRule.FileKind, Assert.Throws<ContractViolationException>(() => FileRange.Clone(dir.Path, 0, b, 0, B)).Rule);
        Assert.Throws<FileNotFoundException>(() => FileRange.Collapse(dir.File("missing"), 0, B));
    }

    /// <summary>A length that is not a block multiple rewrites the whole tail by copying, here
    /// 72 MiB: more than one of the pieces an edit's copy is made in, so a piece that lands
    /// at the wrong offset shows in the bytes.</summary>
    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void CollapseAndInsert_OfAPartBlock_CopyTheTailInPieces_ByteForByte(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string f = dir.File("f");
        byte[] content = Files.Pattern(53, 72L << 20);
        Files.Create(f, content.Length, (0, content));

        RangeResult c = FileRange.Collapse(f, B, 100);
        Assert.True(c.BytesCopied >= content.Length - B - 100, $"copied {c.BytesCopied}");
        Assert.Equal(content.Length - 100, new FileInfo(f).Length);
        Assert.True(content.AsSpan(0, B).SequenceEqual(Files.Read(f, 0, B)), "the head changed");
        Assert.True(content.AsSpan(B + 100).SequenceEqual(Files.Read(f, B, content.Length - B - 100)), "the tail is not the old tail moved down by 100 bytes");

        FileRange.Insert(f, B, 100);
        Assert.Equal(content.Length, new FileInfo(f).Length);
        Assert.True(new byte[100].AsSpan().SequenceEqual(Files.Read(f, B, 100)), "the inserted bytes are not zeros");
        Assert.True(content.AsSpan(B + 100).SequenceEqual(Files.Read(f, B + 100, content.Length - B - 100)), "the tail is not back where it was");
    }
}
