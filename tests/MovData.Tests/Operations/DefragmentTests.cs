using Microsoft.Win32.SafeHandles;
using MovData.Native;
using MovData.Tests.Cli;
using MovData.Tests.Harness;

namespace MovData.Tests.Operations;

/// <summary>
/// Defragment on each filesystem through its own primitive, on files fragmented as a busy
/// filesystem fragments them (<see cref="Fragmented"/>), each on a filesystem of its own:
/// bytes (SHA-256), holes, extents (FIEMAP) and physical addresses are the judges.
/// </summary>
public sealed class DefragmentTests
{
    private const int B = Files.Block;
    private const int Size = 16 << 20;

    public static TheoryData<string> Kinds => new("xfs", "btrfs", "ext4");

    private static DefragmentMethod Expected(string kind) => kind switch
    {
        "xfs" => DefragmentMethod.CopyClone,
        "btrfs" => DefragmentMethod.DefragRange,
        _ => DefragmentMethod.MoveExtents,
    };

    [Theory, MemberData(nameof(Kinds))]
    public void Defragment_RewritesAFragmentedFileOntoFewExtents_SameBytesHolesKept(string kind)
    {
        using var fs = new LoopFileSystem(kind);
        byte[] content = Files.Pattern(61, Size);
        string path = Fragmented.Make(fs.Mount, "rec.ts", content);
        // A hole in the middle must stay a hole.
        using (SafeFileHandle h = Files.OpenRw(path))
        {
            FileRange.PunchHole(h, 1 << 20, 16 * B);
        }
        Array.Clear(content, 1 << 20, 16 * B);
        FragmentationReport before = FileRange.Fragmentation(path);
        Assert.True(before.Extents >= 64, $"the test file should be fragmented: {before}");
        Assert.Equal(2, before.IdealExtents); // two runs of data around the hole
        Assert.Equal(Size - (16 * B), before.DataBytes);
        long[] oldBlocks = Files.PhysicalBlocks(path, 0, Size);
        long free = Fragmented.FreeBytes(fs.Mount);

        DefragmentResult r = FileRange.Defragment(path);

        Assert.Equal(Expected(kind), r.Method);
        Assert.Equal(before.Extents, r.ExtentsBefore);
        Assert.True(r.ExtentsAfter <= 4, $"after defragment: {r}");
        Assert.Equal(FileRange.Fragmentation(path).Extents, r.ExtentsAfter);
        Assert.Equal(before.DataBytes, r.BytesCopied);
        Assert.Equal(0, r.SharedBytesUnshared);
        Files.AssertBytes(content, path, 0);
        Files.AssertHole(path, 1 << 20, 16 * B);
        Assert.Equal(Size, new FileInfo(path).Length);
        // Every block of data now lives somewhere else: it was rewritten, not reported so.
        long[] newBlocks = Files.PhysicalBlocks(path, 0, Size);
        var old = oldBlocks.Where(p => p >= 0).ToHashSet();
        Assert.DoesNotContain(newBlocks.Where(p => p >= 0), old.Contains);
        // The old blocks went back to the free space (the donor or copy was not leaked).
        Tools.MustRun("sync", "-f", fs.Mount);
        Assert.True(Fragmented.FreeBytes(fs.Mount) >= free - (4L << 20), $"free space before {free}, after {Fragmented.FreeBytes(fs.Mount)}");
        Assert.Equal(["rec.ts"], Directory.GetFileSystemEntries(fs.Mount).Select(Path.GetFileName).Where(n => n is not ".ballast" and not "lost+found"));

        // Once at its ideal, a second run leaves it alone.
        if (r.ExtentsAfter <= r.IdealExtents)
        {
            DefragmentResult again = FileRange.Defragment(path);
            Assert.True(again.Skipped && again.AtIdeal, again.ToString());
            Assert.Equal(newBlocks, Files.PhysicalBlocks(path, 0, Size));
        }
    }

    [Theory, MemberData(nameof(Kinds))]
    public void Defragment_DryRun_SaysWhatItWouldDo_AndChangesNothing(string kind)
    {
        using var fs = new LoopFileSystem(kind);
        string path = Fragmented.Make(fs.Mount, "f", Files.Pattern(62, Size));
        Snapshot before = Files.Take(path);
        long[] blocks = Files.PhysicalBlocks(path, 0, Size);

        DefragmentResult r = FileRange.Defragment(path, new DefragmentOptions { DryRun = true });

        Assert.True(r.DryRun);
        Assert.Equal(Expected(kind), r.Method);
        Assert.Equal(Size, r.BytesCopied);
        Assert.Equal(r.ExtentsBefore, r.ExtentsAfter);
        Assert.Equal(before, Files.Take(path));
        Assert.Equal(blocks, Files.PhysicalBlocks(path, 0, Size));
    }

    /// <summary>Room for the fresh copy is found out before anything is written.</summary>
    [Theory, MemberData(nameof(Kinds))]
    public void Defragment_WithoutRoomForTheCopy_IsENOSPC_AndChangesNothing(string kind)
    {
        using var fs = new LoopFileSystem(kind);
        string path = Fragmented.Make(fs.Mount, "f", Files.Pattern(63, Size), leaveFull: true);
        Snapshot before = Files.Take(path);
        long[] blocks = Files.PhysicalBlocks(path, 0, Size);

        var e = Assert.Throws<IOException>(() => FileRange.Defragment(path));

        Assert.Equal(Interop.ENOSPC, e.HResult);
        Assert.Contains("nothing was changed", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, Files.Take(path));
        Assert.Equal(blocks, Files.PhysicalBlocks(path, 0, Size));
    }

    /// <summary>A reflinked copy's blocks are shared: a defragment gives the file blocks of its
    /// own, says how many bytes that was before and after, and leaves the copy as it was.</summary>
    [Theory]
    [InlineData("xfs")]
    [InlineData("btrfs")]
    public void Defragment_OfASharedFile_SaysWhatBecameExclusive(string kind)
    {
        using var fs = new LoopFileSystem(kind);
        byte[] content = Files.Pattern(64, Size);
        string path = Fragmented.Make(fs.Mount, "f", content);
        string copy = Path.Combine(fs.Mount, "copy");
        using (SafeFileHandle s = File.OpenHandle(path, FileMode.Open, FileAccess.Read))
        using (SafeFileHandle d = File.OpenHandle(copy, FileMode.Create, FileAccess.ReadWrite))
        {
            RandomAccess.SetLength(d, Size);
            FileRange.Clone(s, 0, d, 0, Size);
        }
        Assert.Equal(Size, FileRange.Fragmentation(path).SharedBytes);
        Assert.Equal(Size, FileRange.Defragment(path, new DefragmentOptions { DryRun = true }).SharedBytesUnshared);

        DefragmentResult r = FileRange.Defragment(path);

        Assert.Equal(Size, r.SharedBytesUnshared);
        // XFS frees the closed unnamed copy in the background (inode inactivation): its blocks
        // stop counting as shared once it has.
        Assert.True(SpinWait.SpinUntil(() =>
        {
            Tools.MustRun("sync", "-f", fs.Mount);
            return FileRange.Fragmentation(path).SharedBytes == 0;
        }, TimeSpan.FromSeconds(30)), $"still shared: {FileRange.Fragmentation(path).SharedBytes} bytes");
        Files.AssertBytes(content, path, 0);
        Files.AssertBytes(content, copy, 0);
    }

    /// <summary>
    /// A write that lands after the copy was made and before it is swapped in is never lost:
    /// movdata is stopped there (SIGSTOP by the test switch) and another process opens the
    /// file and writes. On ext4 and btrfs the write goes through at once, and the kernel's own
    /// primitive moves what is there now. On XFS the open waits for movdata's write lease
    /// (/proc/locks shows it breaking); movdata, let go on, drops the lease and swaps the rest
    /// by FIDEDUPERANGE, which shares only what is still the same: the write lands before a
    /// piece is compared (the defragment is abandoned, saying so) or after it is swapped.
    /// Either way the write is in the file.
    /// </summary>
    [Theory, MemberData(nameof(Kinds))]
    public async Task Defragment_AWriteBetweenCopyAndSwap_IsNeverLost(string kind)
    {
        using var fs = new LoopFileSystem(kind);
        byte[] content = Files.Pattern(65, Size);
        string path = Fragmented.Make(fs.Mount, "f", content);
        using System.Diagnostics.Process p = CliProcess.Start(new Dictionary<string, string> { ["MOVDATA_TEST_CRASH"] = "stop:defrag:1" }, "defrag", path);
        Task<string> err = p.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        Task<string> output = p.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        Assert.True(SpinWait.SpinUntil(() => p.HasExited || Tools.IsStopped(p.Id), TimeSpan.FromSeconds(60)), "movdata never stopped");
        Assert.False(p.HasExited, p.HasExited ? await err : "");
        byte[] written = Files.Pattern(66, 3 * B);
        File.WriteAllBytes(Path.Combine(fs.Mount, "patch"), written);
        using var dd = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("dd")
        {
            ArgumentList = { $"if={Path.Combine(fs.Mount, "patch")}", $"of={path}", "bs=4096", $"seek={(5 << 20) / B}", "conv=notrunc,fsync", "status=none" },
            RedirectStandardError = true,
        })!;
        written.CopyTo(content, 5 << 20);
        if (kind == "xfs")
        {
            Assert.True(SpinWait.SpinUntil(() => File.ReadAllText("/proc/locks").Contains("BREAKING", StringComparison.Ordinal), TimeSpan.FromSeconds(10)),
                "the writer's open should wait for movdata's lease: " + File.ReadAllText("/proc/locks"));
            Assert.False(dd.HasExited, "the writer should be waiting for the lease");
        }
        else
        {
            await dd.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
        Tools.MustRun("kill", "-CONT", $"{p.Id}");
        await p.WaitForExitAsync(TestContext.Current.CancellationToken);
        await dd.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(dd.ExitCode == 0, await dd.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken));
        string said = await output + await err;

        if (kind == "xfs" && p.ExitCode == 1)
        {
            Assert.Contains("defragment abandoned: the file was written while it was being copied", said, StringComparison.Ordinal);
        }
        else
        {
            Assert.True(p.ExitCode == 0, said);
            Assert.Contains(kind == "xfs" ? "copied by copy-dedupe" : "copied by ", said, StringComparison.Ordinal);
        }
        Files.AssertBytes(content, path, 0);
    }

    /// <summary>On XFS a file open elsewhere, even only to read, gets no write lease: its
    /// copy is swapped in by FIDEDUPERANGE, comparing, and a dry run says so beforehand.</summary>
    [Fact]
    public void Defragment_OnXfs_OfAFileOpenElsewhereToRead_ComparesWhatItSwaps()
    {
        using var fs = new LoopFileSystem("xfs");
        byte[] content = Files.Pattern(68, Size);
        string path = Fragmented.Make(fs.Mount, "f", content);
        Assert.Equal(DefragmentMethod.CopyClone, FileRange.Defragment(path, new DefragmentOptions { DryRun = true }).Method);
        using var reader = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("python3")
        {
            ArgumentList = { "-c", "import sys, time; f = open(sys.argv[1], 'rb'); print('open', flush=True); time.sleep(60)", path },
            RedirectStandardOutput = true,
        })!;
        try
        {
            Assert.Equal("open", reader.StandardOutput.ReadLine());
            Assert.Equal(DefragmentMethod.CopyDedupe, FileRange.Defragment(path, new DefragmentOptions { DryRun = true }).Method);
            DefragmentResult r = FileRange.Defragment(path);
            Assert.Equal(DefragmentMethod.CopyDedupe, r.Method);
            Assert.True(r.ExtentsAfter < r.ExtentsBefore, r.ToString());
            Files.AssertBytes(content, path, 0);
        }
        finally
        {
            reader.Kill();
        }
    }

    /// <summary>A file another process has open for writing is refused, the writer named as
    /// fuser names it; nothing is changed.</summary>
    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Defragment_OfAFileOpenForWritingElsewhere_IsRefusedNamingTheWriter(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string path = dir.File("recording.ts");
        File.WriteAllBytes(path, Files.Pattern(67, 64 * B));
        Snapshot before = Files.Take(path);
        using var writer = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("python3")
        {
            ArgumentList = { "-c", "import sys, time; f = open(sys.argv[1], 'r+b'); print('open', flush=True); time.sleep(60)", path },
            RedirectStandardOutput = true,
        })!;
        try
        {
            Assert.Equal("open", writer.StandardOutput.ReadLine());
            if (fs == "tmpfs")
            {
                Assert.Throws<FileSystemNotSupportedException>(() => FileRange.Defragment(path));
                return;
            }
            var e = Assert.Throws<IOException>(() => FileRange.Defragment(path));
            Assert.Equal(Interop.EBUSY, e.HResult);
            Assert.Contains($"open for writing by pid {writer.Id} (python3)", e.Message, StringComparison.Ordinal);
            (int code, _, string err) = CliProcess.Movdata("defrag", path);
            Assert.Equal(1, code);
            Assert.Contains($"pid {writer.Id} (python3)", err, StringComparison.Ordinal);
            Assert.Equal(before, Files.Take(path));
        }
        finally
        {
            writer.Kill();
        }
    }

    [Fact]
    public void Defragment_OnTmpfs_IsUnsupported_SayingWhy()
    {
        using ScratchDir dir = Scratch.On("tmpfs");
        string path = dir.File("f");
        File.WriteAllBytes(path, Files.Pattern(68, 16 * B));
        var e = Assert.Throws<FileSystemNotSupportedException>(() => FileRange.Defragment(path));
        Assert.Contains("tmpfs keeps files in memory pages", e.Message, StringComparison.Ordinal);
        Assert.Throws<FileSystemNotSupportedException>(() => FileRange.Fragmentation(path));
        Assert.Equal(Support.Unsupported, FileRange.Probe(dir.Path).Operations[RangeOperation.Defragment]);
        (int code, _, string err) = CliProcess.Movdata("defrag", path);
        Assert.Equal(3, code);
        Assert.Contains("nothing to defragment", err, StringComparison.Ordinal);
    }

    /// <summary>XFS without reflink has only XFS_IOC_SWAPEXT, which a crash test here showed
    /// can leave the filesystem unmountable: refused, and the sentence says why.</summary>
    [Fact]
    public void Defragment_OnXfsWithoutReflink_IsUnsupported_NamingSwapext()
    {
        using var fs = new LoopFileSystem("xfs-noreflink");
        string path = Fragmented.Make(fs.Mount, "f", Files.Pattern(69, Size));
        Snapshot before = Files.Take(path);
        int extentsBefore = FileRange.Fragmentation(path).Extents;
        var e = Assert.Throws<FileSystemNotSupportedException>(() => FileRange.Defragment(path));
        Assert.Contains("XFS_IOC_SWAPEXT", e.Message, StringComparison.Ordinal);
        Assert.Equal(Support.Unsupported, FileRange.Probe(fs.Mount).Operations[RangeOperation.Defragment]);
        // Make has already checked that the file is fragmented (a quarter of its pieces at
        // least); the refusal leaves every one of those extents where it was.
        Assert.Equal(extentsBefore, FileRange.Fragmentation(path).Extents);
        Assert.Equal(before, Files.Take(path));
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Probe_SaysHowDefragmentIsDone(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        Support expected = fs switch
        {
            "xfs" or "xfs-exchange" => Support.Copy,
            "btrfs" or "ext4" => Support.Native,
            _ => Support.Unsupported,
        };
        Assert.Equal(expected, FileRange.Probe(dir.Path).Operations[RangeOperation.Defragment]);
    }

    /// <summary>XFS with exchange-range commits the copy only if the file is unchanged: on the
    /// scratch filesystem with the feature, a file fragmented by interleaved allocation.</summary>
    [Fact]
    public void Defragment_OnXfsWithExchangeRange_CommitsTheCopy()
    {
        using ScratchDir dir = Scratch.On("xfs-exchange");
        string path = dir.File("f"), spacer = dir.File("spacer");
        byte[] content = Files.Pattern(70, 256 * B);
        using (SafeFileHandle f = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite))
        using (SafeFileHandle s = File.OpenHandle(spacer, FileMode.Create, FileAccess.ReadWrite))
        {
            for (int i = 0; i < 256; i++)
            {
                FileRange.Preallocate(f, (long)i * B, B);
                FileRange.Preallocate(s, (long)i * B, B);
            }
            RandomAccess.Write(f, content, 0);
            Assert.Equal(0, Interop.FSync(f));
        }
        DefragmentResult r = FileRange.Defragment(path);
        Assert.Equal(DefragmentMethod.CopyExchange, r.Method);
        Assert.True(r.ExtentsBefore >= 128 && r.ExtentsAfter <= 2, r.ToString());
        Files.AssertBytes(content, path, 0);
    }
}
