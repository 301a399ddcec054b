using Microsoft.Win32.SafeHandles;
using MovData.Tests.Harness;

namespace MovData.Tests.Operations;

/// <summary>The seed's Move on every scratch filesystem: bytes, holes, sizes, physical blocks.</summary>
public sealed class MoveTests
{
    private const int B = Files.Block;

    private static MoveResult Move(string donor, long donorOffset, string receiver, long receiverOffset, long length, MoveFlags flags = MoveFlags.None) =>
        FileRange.Move(donor, donorOffset, receiver, receiverOffset, length, flags);

    private static void AssertMethod(ScratchDir dir, MoveResult result, long dataBytes)
    {
        Assert.Equal(dir.Kind.MoveMethod, result.Method);
        Assert.Equal(dir.Kind.ZeroCopy ? 0 : dataBytes, result.BytesCopied);
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Move_TransfersBytesAndLeavesHoleInDonor(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string donor = dir.File("donor"), receiver = dir.File("receiver");
        byte[] content = Files.Pattern(10, 256 * B);
        Files.Create(donor, content.Length, (0, content));
        Files.Create(receiver, 300 * B);
        byte[] moved = content.AsSpan(32 * B, 64 * B).ToArray();

        MoveResult result = Move(donor, 32 * B, receiver, 100 * B, 64 * B);

        Assert.Equal(64 * B, result.MovedLength);
        AssertMethod(dir, result, 64 * B);
        Files.AssertBytes(moved, receiver, 100 * B);
        Files.AssertHole(donor, 32 * B, 64 * B);
        Files.AssertBytes(content.AsSpan(0, 32 * B).ToArray(), donor, 0);
        Files.AssertBytes(content.AsSpan(96 * B).ToArray(), donor, 96 * B);
        Files.AssertHole(receiver, 0, 100 * B);
        Files.AssertHole(receiver, 164 * B, 136 * B);
        Assert.Equal(256 * B, new FileInfo(donor).Length);
        Assert.Equal(300 * B, new FileInfo(receiver).Length);
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Move_HandsOverPhysicalBlocksWhereZeroCopy(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string donor = dir.File("donor"), receiver = dir.File("receiver");
        byte[] content = Files.Pattern(11, 128 * B);
        Files.Create(donor, content.Length, (0, content));
        Files.Create(receiver, 128 * B);
        long[] before = dir.Kind.Fiemap ? Files.PhysicalBlocks(donor, 0, 128 * B) : [];

        MoveResult result = Move(donor, 0, receiver, 0, 128 * B);

        Files.AssertBytes(content, receiver, 0);
        Files.AssertHole(donor, 0, 128 * B);
        if (dir.Kind.ZeroCopy)
        {
            // The receiver now owns the very blocks the donor had: nothing was copied.
            Assert.Equal(0, result.BytesCopied);
            Assert.DoesNotContain(-1L, before);
            Assert.Equal(before, Files.PhysicalBlocks(receiver, 0, 128 * B));
        }
        else
        {
            Assert.Equal(128 * B, result.BytesCopied);
            if (dir.Kind.Fiemap)
            {
                Assert.NotEqual(before, Files.PhysicalBlocks(receiver, 0, 128 * B));
            }
        }
    }

    public static TheoryData<string, string> HoleLayouts()
    {
        var data = new TheoryData<string, string>();
        foreach (string fs in Scratch.Names)
        {
            foreach (string layout in new[] { "hole-first", "hole-middle", "hole-last", "all-hole" })
            {
                data.Add(fs, layout);
            }
        }
        return data;
    }

    [Theory, MemberData(nameof(HoleLayouts))]
    public void Move_DonorHolesStayHolesInReceiver(string fs, string layout)
    {
        using ScratchDir dir = Scratch.On(fs);
        string donor = dir.File("donor"), receiver = dir.File("receiver");
        // The moved range is [16, 48) blocks; one stretch of it is a hole, the rest data.
        (long holeStart, long holeLength) = layout switch
        {
            "hole-first" => (16L * B, 8L * B),
            "hole-middle" => (24L * B, 8L * B),
            "hole-last" => (40L * B, 8L * B),
            _ => (16L * B, 32L * B),
        };
        byte[] content = Files.Pattern(12, 64 * B);
        Array.Clear(content, (int)holeStart, (int)holeLength);
        var parts = new List<(long, byte[])>();
        if (holeStart > 0)
        {
            parts.Add((0, content.AsSpan(0, (int)holeStart).ToArray()));
        }
        parts.Add((holeStart + holeLength, content.AsSpan((int)(holeStart + holeLength)).ToArray()));
        Files.Create(donor, content.Length, [.. parts]);
        Files.Create(receiver, 64 * B);
        Files.AssertHole(donor, holeStart, holeLength);

        MoveResult result = Move(donor, 16 * B, receiver, 8 * B, 32 * B);

        Assert.Equal(32 * B, result.MovedLength);
        Files.AssertBytes(content.AsSpan(16 * B, 32 * B).ToArray(), receiver, 8 * B);
        Files.AssertHole(receiver, holeStart - (8 * B), holeLength);
        Files.AssertHole(donor, 16 * B, 32 * B);
        if (!dir.Kind.ZeroCopy)
        {
            Assert.Equal((32 * B) - holeLength, result.BytesCopied);
        }
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Move_AcceptsPreallocatedReceiverRange(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string donor = dir.File("donor"), receiver = dir.File("receiver");
        byte[] content = Files.Pattern(13, 32 * B);
        Files.Create(donor, content.Length, (0, content));
        Files.Create(receiver, 64 * B);
        using (SafeFileHandle r = Files.OpenRw(receiver))
        {
            FileRange.Preallocate(r, 0, 64 * B, keepSize: true);
        }

        MoveResult result = Move(donor, 0, receiver, 16 * B, 32 * B);

        Assert.Equal(32 * B, result.MovedLength);
        Files.AssertBytes(content, receiver, 16 * B);
        Files.AssertHole(donor, 0, 32 * B);
        Assert.Equal(64 * B, new FileInfo(receiver).Length);
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Move_RefusesReceiverRangeHoldingWrittenZeros(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string donor = dir.File("donor"), receiver = dir.File("receiver");
        Files.Create(donor, 32 * B, (0, Files.Pattern(14, 32 * B)));
        Files.Create(receiver, 64 * B, (40 * B, new byte[B]));
        Snapshot d = Files.Take(donor), r = Files.Take(receiver);

        var e = Assert.Throws<ContractViolationException>(() => Move(donor, 0, receiver, 16 * B, 32 * B));

        Assert.Equal(ContractRule.ReceiverNotHole, e.Rule);
        Assert.Contains("rule 2", e.Message, StringComparison.Ordinal);
        Assert.Contains($"{40 * B}", e.Message, StringComparison.Ordinal);
        Assert.Equal(d, Files.Take(donor));
        Assert.Equal(r, Files.Take(receiver));
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Move_WithinOneFile_RangesApart(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string file = dir.File("file");
        byte[] content = Files.Pattern(15, 32 * B);
        Files.Create(file, 96 * B, (0, content));

        using SafeFileHandle a = Files.OpenRw(file);
        MoveResult result = FileRange.Move(a, 0, a, 64 * B, 32 * B);

        Assert.Equal(32 * B, result.MovedLength);
        Files.AssertBytes(content, file, 64 * B);
        Files.AssertHole(file, 0, 64 * B);
        Assert.Equal(96 * B, new FileInfo(file).Length);
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Move_WithinOneFile_RefusesOverlap(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string file = dir.File("file");
        Files.Create(file, 96 * B, (0, Files.Pattern(16, 32 * B)));
        Snapshot before = Files.Take(file);

        // Two handles on one file: overlap is judged by inode, not by handle.
        using SafeFileHandle a = Files.OpenRw(file), b = Files.OpenRw(file);
        var e = Assert.Throws<ContractViolationException>(() => FileRange.Move(a, 0, b, 16 * B, 32 * B));

        Assert.Equal(ContractRule.Overlap, e.Rule);
        Assert.Equal(before, Files.Take(file));
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Move_RangeTouchingEndOfFile_IsAccepted_OneBlockPast_IsRefused(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string donor = dir.File("donor"), receiver = dir.File("receiver");
        byte[] content = Files.Pattern(17, 16 * B);
        Files.Create(donor, content.Length, (0, content));
        Files.Create(receiver, 16 * B);
        Snapshot d = Files.Take(donor), r = Files.Take(receiver);

        var past = Assert.Throws<ContractViolationException>(() => Move(donor, 8 * B, receiver, 0, 9 * B));
        Assert.Equal(ContractRule.Range, past.Rule);
        Assert.Equal(d, Files.Take(donor));
        var pastReceiver = Assert.Throws<ContractViolationException>(() => Move(donor, 0, receiver, 8 * B, 9 * B));
        Assert.Equal(ContractRule.Range, pastReceiver.Rule);
        Assert.Equal(r, Files.Take(receiver));

        Move(donor, 8 * B, receiver, 8 * B, 8 * B);
        Files.AssertBytes(content.AsSpan(8 * B).ToArray(), receiver, 8 * B);
        Files.AssertHole(donor, 8 * B, 8 * B);
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Move_FileSizeNotMultipleOfBlock(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string donor = dir.File("donor"), receiver = dir.File("receiver");
        byte[] content = Files.Pattern(18, (16 * B) + 100);
        Files.Create(donor, content.Length, (0, content));
        Files.Create(receiver, (16 * B) + 7);

        // The last whole block moves; the partial tail block cannot (rule 5 keeps it in).
        Move(donor, 15 * B, receiver, 15 * B, B);
        Assert.Throws<ContractViolationException>(() => Move(donor, 16 * B, receiver, 0, B));

        Files.AssertBytes(content.AsSpan(15 * B, B).ToArray(), receiver, 15 * B);
        Files.AssertHole(donor, 15 * B, B);
        Files.AssertBytes(content.AsSpan(16 * B).ToArray(), donor, 16 * B);
        Assert.Equal((16 * B) + 100, new FileInfo(donor).Length);
        Assert.Equal((16 * B) + 7, new FileInfo(receiver).Length);
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Move_ZeroCopyOnly_MovesOrRefusesWithoutChange(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string donor = dir.File("donor"), receiver = dir.File("receiver");
        byte[] content = Files.Pattern(19, 16 * B);
        Files.Create(donor, content.Length, (0, content));
        Files.Create(receiver, 16 * B);
        Snapshot d = Files.Take(donor), r = Files.Take(receiver);

        if (dir.Kind.ZeroCopy)
        {
            MoveResult result = Move(donor, 0, receiver, 0, 16 * B, MoveFlags.ZeroCopyOnly);
            Assert.Equal(0, result.BytesCopied);
            Assert.Equal(dir.Kind.MoveMethod, result.Method);
            Files.AssertBytes(content, receiver, 0);
            Files.AssertHole(donor, 0, 16 * B);
        }
        else
        {
            var e = Assert.Throws<FileSystemNotSupportedException>(() => Move(donor, 0, receiver, 0, 16 * B, MoveFlags.ZeroCopyOnly));
            Assert.Contains("only copying", e.Message, StringComparison.Ordinal);
            Assert.Equal(d, Files.Take(donor));
            Assert.Equal(r, Files.Take(receiver));
        }
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Move_AcrossTwoFileSystems_CopiesAndSaysSo(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        using ScratchDir other = Scratch.On(fs == "tmpfs" ? "ext4" : "tmpfs");
        string donor = dir.File("donor"), receiver = other.File("receiver");
        byte[] content = Files.Pattern(20, 32 * B);
        Files.Create(donor, content.Length, (0, content));
        Files.Create(receiver, 32 * B);
        Snapshot d = Files.Take(donor), r = Files.Take(receiver);

        Assert.Throws<FileSystemNotSupportedException>(() => Move(donor, 0, receiver, 0, 32 * B, MoveFlags.ZeroCopyOnly));
        Assert.Equal(d, Files.Take(donor));
        Assert.Equal(r, Files.Take(receiver));

        MoveResult result = Move(donor, 0, receiver, 0, 32 * B);
        Assert.Equal(MoveMethod.CopyPunch, result.Method);
        Assert.Equal(32 * B, result.BytesCopied);
        Files.AssertBytes(content, receiver, 0);
        Files.AssertHole(donor, 0, 32 * B);
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Move_SeedStructPortsLineForLine(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string donor = dir.File("donor"), receiver = dir.File("receiver");
        byte[] content = Files.Pattern(21, 8 * B);
        Files.Create(donor, content.Length, (0, content));
        Files.Create(receiver, 8 * B);
        using SafeFileHandle d = Files.OpenRw(donor), r = Files.OpenRw(receiver);

        var md = new MoveDataRequest { DonorFd = d, ReceiverFd = r, DonorOffset = 0, ReceiverOffset = 4 * B, Length = 4 * B, Flags = 0 };
        FileRange.Move(md);

        Assert.Equal(4 * B, md.MovedLen);
        Files.AssertBytes(content.AsSpan(0, 4 * B).ToArray(), receiver, 4 * B);
        Files.AssertHole(donor, 0, 4 * B);
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Move_ReportsProgressUpToTheWholeLength(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string donor = dir.File("donor"), receiver = dir.File("receiver");
        Files.Create(donor, 64 * B, (0, Files.Pattern(22, 64 * B)));
        Files.Create(receiver, 64 * B);
        var progress = new Reports<long>();
        List<long> reports = progress.All;

        FileRange.Move(donor, 0, receiver, 0, 64 * B, MoveFlags.None, progress);

        Assert.NotEmpty(reports);
        Assert.Equal(64 * B, reports[^1]);
        Assert.Equal(reports.Order(), reports);
    }

    [Theory]
    [InlineData("ext4")]
    [InlineData("tmpfs")]
    public void Move_CopyPunch_AcrossManyChunks_KeepsTheHoleBetween(string fs)
    {
        // 100 MiB data, a 40 MiB hole, 116 MiB data: chunks of 64 MiB, then 36 (the segment's
        // end), then 116 (the next, grown chunk clipped to its segment).
        using ScratchDir dir = Scratch.On(fs);
        string donor = dir.File("donor"), receiver = dir.File("receiver");
        const long MiB = 1L << 20;
        byte[] first = Files.Pattern(24, 100 * MiB), second = Files.Pattern(25, 116 * MiB);
        Files.Create(donor, 256 * MiB, (0, first), (140 * MiB, second));
        Files.Create(receiver, 256 * MiB);
        var progress = new Reports<long>();
        List<long> reports = progress.All;

        MoveResult result = FileRange.Move(donor, 0, receiver, 0, 256 * MiB, MoveFlags.None, progress);

        Assert.Equal(new MoveResult(256 * MiB, MoveMethod.CopyPunch, 216 * MiB), result);
        Files.AssertBytes(first, receiver, 0);
        Files.AssertHole(receiver, 100 * MiB, 40 * MiB);
        Files.AssertBytes(second, receiver, 140 * MiB);
        Files.AssertHole(donor, 0, 256 * MiB);
        Assert.Equal(reports.Order(), reports);
        Assert.Contains(64 * MiB, reports);
        Assert.Equal(256 * MiB, reports[^1]);
    }

    [Fact]
    public void Move_ReceiverRunsOutOfSpace_ReportsMovedLength_LosesNothing()
    {
        // The receiver is on a 128 MiB ext4; 192 MiB cannot fit, so the copy fails part-way.
        using ScratchDir source = Scratch.On("tmpfs");
        using IDisposable alone = Scratch.FillingTiny();
        using ScratchDir tiny = Scratch.On("tiny");
        string donor = source.File("donor"), receiver = tiny.File("receiver");
        const long length = 192L << 20;
        byte[] content = Files.Pattern(23, length);
        Files.Create(donor, length, (0, content));
        Files.Create(receiver, length);

        var e = Assert.Throws<MoveIncompleteException>(() => FileRange.Move(donor, 0, receiver, 0, length));

        long moved = e.Result.MovedLength;
        Assert.Equal(28, e.HResult); // ENOSPC
        Assert.IsType<IOException>(e.InnerException);
        Assert.Equal(MoveMethod.CopyPunch, e.Result.Method);
        Assert.True(moved > 0 && moved < length, $"moved {moved} of {length}");
        // Every byte is somewhere: the moved part in the receiver, the rest in the donor.
        Files.AssertBytes(content.AsSpan(0, (int)moved).ToArray(), receiver, 0);
        Files.AssertHole(donor, 0, moved);
        Files.AssertBytes(content.AsSpan((int)moved).ToArray(), donor, moved);
        Files.AssertHole(receiver, moved, length - moved);
        Assert.Equal(length, new FileInfo(donor).Length);
        Assert.Equal(length, new FileInfo(receiver).Length);
    }
}
