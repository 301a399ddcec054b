using MovData.Cli;
using MovData.Tests.Harness;
using System.Text.Json;

namespace MovData.Tests.Cli;

/// <summary>The built movdata tool, run as a process on every scratch filesystem.</summary>
public sealed class CliTests
{
    private const int B = Files.Block;
    private static readonly string[] Kinds = ["data", "hole", "unwritten"];
    private static readonly string[] Supports = ["native", "emulated", "copy", "unsupported"];

    private static (int Code, string Out, string Err) Movdata(params string[] args) => CliProcess.Movdata(args);

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Move_Json_ReportsMethodAndMovesBytes(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string donor = dir.File("donor"), receiver = dir.File("receiver");
        byte[] content = Files.Pattern(70, 64 * B);
        Files.Create(donor, content.Length, (0, content));
        Files.Create(receiver, 64 * B);

        (int code, string output, string err) = Movdata("move", donor, receiver, "--donor-offset", "16k", "--receiver-offset", "0x8000", "--length", "64KiB", "--json");

        Assert.True(code == 0, err);
        using JsonDocument json = JsonDocument.Parse(output);
        Assert.Equal(16 * B, json.RootElement.GetProperty("movedLength").GetInt64());
        Assert.Equal(dir.Kind.MoveMethod.ToContractName(), json.RootElement.GetProperty("method").GetString());
        Assert.Equal(dir.Kind.ZeroCopy ? 0 : 16 * B, json.RootElement.GetProperty("bytesCopied").GetInt64());
        Assert.Equal(3, json.RootElement.EnumerateObject().Count());
        Files.AssertBytes(content.AsSpan(4 * B, 16 * B).ToArray(), receiver, 8 * B);
        Files.AssertHole(donor, 4 * B, 16 * B);
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Move_ExitCodes_TwoForRules_ThreeForZeroCopyOnlyWhereImpossible(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string donor = dir.File("donor"), receiver = dir.File("receiver");
        Files.Create(donor, 16 * B, (0, Files.Pattern(71, 16 * B)));
        Files.Create(receiver, 16 * B, (15 * B, Files.Pattern(72, B)));
        Snapshot d = Files.Take(donor), r = Files.Take(receiver);

        (int code, _, string err) = Movdata("move", donor, receiver, "--donor-offset", "1", "--receiver-offset", "0", "--length", "4k");
        Assert.Equal(2, code);
        Assert.StartsWith("movdata: rule 1 (alignment)", err, StringComparison.Ordinal);
        (code, _, err) = Movdata("move", donor, receiver, "--donor-offset", "0", "--receiver-offset", "48k", "--length", "16k");
        Assert.Equal(2, code);
        Assert.Contains("rule 2", err, StringComparison.Ordinal);
        (code, _, err) = Movdata("move", donor, receiver, "--donor-offset", "0", "--receiver-offset", "0", "--length", "-1");
        Assert.Equal(2, code);
        Assert.Contains("--length", err, StringComparison.Ordinal);

        (code, string output, err) = Movdata("move", donor, receiver, "--donor-offset", "0", "--receiver-offset", "0", "--length", "8k", "--zero-copy-only", "--json");
        if (dir.Kind.ZeroCopy)
        {
            Assert.True(code == 0, err);
            Assert.Equal(0, JsonDocument.Parse(output).RootElement.GetProperty("bytesCopied").GetInt64());
        }
        else
        {
            Assert.Equal(3, code);
            // With --json a failure is one value on standard output too.
            JsonElement error = JsonDocument.Parse(output).RootElement.GetProperty("error");
            Assert.Equal(3, error.GetProperty("exit").GetInt32());
            Assert.Equal("EOPNOTSUPP", error.GetProperty("errno").GetString());
            Assert.Equal(JsonValueKind.Null, error.GetProperty("rule").ValueKind);
            Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Equal(d, Files.Take(donor));
            Assert.Equal(r, Files.Take(receiver));
        }
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Map_Json_CoversTheFileInOrder(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string f = dir.File("f");
        Files.Create(f, (12 * B) + 5, (4 * B, Files.Pattern(73, 4 * B)));

        (int code, string output, string err) = Movdata("map", f, "--json");

        Assert.True(code == 0, err);
        JsonElement[] segments = [.. JsonDocument.Parse(output).RootElement.EnumerateArray()];
        long pos = 0;
        foreach (JsonElement s in segments)
        {
            Assert.Equal(pos, s.GetProperty("offset").GetInt64());
            Assert.Contains(s.GetProperty("kind").GetString(), Kinds);
            Assert.Equal(JsonValueKind.False, s.GetProperty("shared").ValueKind);
            Assert.True(s.TryGetProperty("physical", out _));
            pos += s.GetProperty("length").GetInt64();
        }
        Assert.Equal((12 * B) + 5, pos);
        JsonElement data = segments.Single(s => s.GetProperty("kind").GetString() == "data");
        Assert.Equal(4 * B, data.GetProperty("offset").GetInt64());
        Assert.Equal(dir.Kind.Fiemap ? JsonValueKind.Number : JsonValueKind.Null, data.GetProperty("physical").ValueKind);

        (code, output, _) = Movdata("map", f);
        Assert.Equal(0, code);
        Assert.Contains("data", output, StringComparison.Ordinal);
        Assert.Contains("#", output, StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Probe_Json_HasEveryOperation(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        (int code, string output, string err) = Movdata("probe", dir.Path, "--json");
        Assert.True(code == 0, err);
        JsonElement root = JsonDocument.Parse(output).RootElement;
        Assert.Equal(fs.StartsWith("xfs", StringComparison.Ordinal) ? "xfs" : fs, root.GetProperty("fsType").GetString());
        Assert.Equal(B, root.GetProperty("blockSize").GetInt64());
        JsonElement ops = root.GetProperty("operations");
        foreach (string op in new[] { "move", "clone", "exchange", "collapse", "insert", "punch" })
        {
            Assert.Contains(ops.GetProperty(op).GetString(), Supports);
        }
        Assert.Equal(dir.Kind.Exchange ? "native" : dir.Kind.Reflink ? "emulated" : "copy", ops.GetProperty("move").GetString());
        Assert.Equal(dir.Kind.ShiftMethod.ToContractName(), ops.GetProperty("collapse").GetString());
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void CollapseAndInsert_ChangeTheFileOrExitThree(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string f = dir.File("f");
        byte[] content = Files.Pattern(74, 16 * B);
        Files.Create(f, content.Length, (0, content));
        Snapshot before = Files.Take(f);

        if (dir.Kind.ShiftMethod == RangeMethod.Copy)
        {
            // Only copying could do it here: refused, unchanged.
            Assert.Equal(3, Movdata("collapse", f, "--offset", "4k", "--length", "8k", "--zero-copy-only").Code);
            Assert.Equal(3, Movdata("insert", f, "--offset", "4k", "--length", "8k", "--zero-copy-only").Code);
            Assert.Equal(before, Files.Take(f));
        }
        (int collapse, string output, string err) = Movdata("collapse", f, "--offset", "4k", "--length", "8k", "--json");
        Assert.True(collapse == 0, err);
        JsonElement json = JsonDocument.Parse(output).RootElement;
        Assert.Equal(2 * B, json.GetProperty("length").GetInt64());
        Assert.Equal(dir.Kind.ShiftMethod.ToContractName(), json.GetProperty("method").GetString());
        Assert.Equal(14 * B, new FileInfo(f).Length);
        Files.AssertBytes([.. content.AsSpan(0, B), .. content.AsSpan(3 * B)], f, 0);
        (int insert, _, err) = Movdata("insert", f, "--offset", "4k", "--length", "8k");
        Assert.True(insert == 0, err);
        Assert.Equal(16 * B, new FileInfo(f).Length);
        Files.AssertHole(f, B, 2 * B);
        Files.AssertBytes(content.AsSpan(3 * B).ToArray(), f, 3 * B);
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Punch_Succeeds_AndMissingFileExitsOne(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string f = dir.File("f");
        Files.Create(f, 8 * B, (0, Files.Pattern(75, 8 * B)));
        Assert.Equal(0, Movdata("punch", f, "--offset", "0", "--length", "8k").Code);
        Files.AssertHole(f, 0, 2 * B);
        (int code, _, string err) = Movdata("punch", dir.File("missing"), "--offset", "0", "--length", "4k");
        Assert.Equal(1, code);
        Assert.StartsWith("movdata: ", err, StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void CloneExchangeZeroPrealloc_DoTheirWorkOrExitThree(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string a = dir.File("a"), b = dir.File("b");
        byte[] ca = Files.Pattern(76, 8 * B), cb = Files.Pattern(77, 8 * B);
        Files.Create(a, ca.Length, (0, ca));
        Files.Create(b, cb.Length, (0, cb));

        (int code, string output, string err) = Movdata("clone", a, b, "--source-offset", "0", "--destination-offset", "16k", "--length", "8k", "--json");
        Assert.Equal(dir.Kind.Reflink ? 0 : 3, code);
        cb = dir.Kind.Reflink ? [.. cb.AsSpan(0, 4 * B), .. ca.AsSpan(0, 2 * B), .. cb.AsSpan(6 * B)] : cb;
        Files.AssertBytes(cb, b, 0);
        if (code == 0)
        {
            Assert.Equal("native", JsonDocument.Parse(output).RootElement.GetProperty("method").GetString());
        }

        (code, _, err) = Movdata("exchange", a, b, "--offset1", "0", "--offset2", "0", "--length", "4k");
        Assert.True(code == (dir.Kind.Exchange ? 0 : 3), err);
        if (dir.Kind.Exchange)
        {
            (ca, cb) = ([.. cb.AsSpan(0, B), .. ca.AsSpan(B)], [.. ca.AsSpan(0, B), .. cb.AsSpan(B)]);
        }
        Files.AssertBytes(ca, a, 0);
        Files.AssertBytes(cb, b, 0);

        (code, _, _) = Movdata("zero", a, "--offset", "4k", "--length", "4k");
        Assert.Equal(dir.Kind.ZeroRange ? 0 : 3, code);
        if (dir.Kind.ZeroRange)
        {
            Array.Clear(ca, B, B);
        }
        Files.AssertBytes(ca, a, 0);

        (code, _, err) = Movdata("prealloc", a, "--offset", "8k", "--length", "64k");
        Assert.True(code == 0, err);
        Assert.Equal(18 * B, new FileInfo(a).Length);
        Files.AssertBytes(ca.AsSpan(0, 2 * B).ToArray(), a, 0);
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Defrag_OfAContiguousFile_SkipsIt_OrExitsThreeOnTmpfs(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string f = dir.File("f");
        byte[] content = Files.Pattern(78, 16 * B);
        Files.Create(f, content.Length, (0, content));
        Snapshot before = Files.Take(f);

        (int code, string output, string err) = Movdata("defrag", f, "--json");

        if (fs != "tmpfs")
        {
            Assert.True(code == 0, err);
            JsonElement r = JsonDocument.Parse(output).RootElement.GetProperty("files")[0];
            Assert.Equal("skipped", r.GetProperty("status").GetString());
            Assert.Equal("at-ideal", r.GetProperty("reason").GetString());
            Assert.Equal(1, r.GetProperty("extentsBefore").GetInt32());
            Assert.Equal(0, r.GetProperty("bytesCopied").GetInt64());
        }
        else
        {
            Assert.Equal(3, code);
            Assert.Contains("nothing to defragment", err, StringComparison.Ordinal);
        }
        Assert.Equal(before, Files.Take(f));
    }

    /// <summary>The directory form, as e4defrag and xfs_fsr are used: --check measures,
    /// --dry-run plans, -r defragments what needs it and says what it did in a summary.</summary>
    [Fact]
    public void Defrag_Recursive_CheckDryRunAndDefragment()
    {
        using var fs = new LoopFileSystem("xfs");
        byte[] content = Files.Pattern(79, 16 << 20);
        // Made first, then renamed into the tree (a rename keeps the extents): directories made
        // before the filling send XFS's allocations to other groups.
        string made = Fragmented.Make(fs.Mount, "rec.ts", content);
        string data = Path.Combine(fs.Mount, "data");
        Directory.CreateDirectory(Path.Combine(data, "sub"));
        string rec = Path.Combine(data, "sub", "rec.ts");
        File.Move(made, rec);
        string small = Path.Combine(data, "small");
        File.WriteAllBytes(small, Files.Pattern(80, 8 * B));
        Snapshot before = Files.Take(rec);
        long[] blocks = Files.PhysicalBlocks(rec, 0, content.Length);

        (int code, string output, string err) = Movdata("defrag", "--check", "-r", data, "--json");
        Assert.True(code == 0, err);
        JsonElement check = JsonDocument.Parse(output).RootElement;
        JsonElement[] files = [.. check.GetProperty("files").EnumerateArray()];
        Assert.Equal([small, rec], files.Select(f => f.GetProperty("path").GetString()));
        Assert.Equal("at-ideal", files[0].GetProperty("status").GetString());
        Assert.True(files[1].GetProperty("status").GetString() == "fragmented", output);
        Assert.True(files[1].GetProperty("score").GetInt32() > 90 && files[1].GetProperty("idealExtents").GetInt32() == 1, output);

        (code, output, err) = Movdata("defrag", "--dry-run", "-r", data);
        Assert.True(code == 0, err);
        Assert.Contains($"{rec}: would defragment by copy-clone: ", output, StringComparison.Ordinal);
        Assert.Contains("2 files: 1 to defragment", output, StringComparison.Ordinal);
        Assert.Equal(before, Files.Take(rec));
        Assert.Equal(blocks, Files.PhysicalBlocks(rec, 0, content.Length));

        (code, output, err) = Movdata("defrag", data);
        Assert.Equal(2, code);
        Assert.Contains("is a directory; defrag -r", err, StringComparison.Ordinal);

        (code, output, err) = Movdata("defrag", "-r", data);
        Assert.True(code == 0, err);
        Assert.Contains($"{small}: 1 extent, already at its ideal (1): skipped", output, StringComparison.Ordinal);
        Assert.Matches(@"rec\.ts: \d+ extents -> 1 \(ideal 1\), 16 MiB copied by copy-clone", output);
        Assert.Matches(@"2 files: 1 defragmented \(\d+ extents -> 1\), 1 skipped, 0 failed", output);
        Files.AssertBytes(content, rec, 0);
    }

    [Fact]
    public void Move_ExitsOneAndSaysHowFarItGot_WhenTheReceiverFillsUp()
    {
        using ScratchDir source = Scratch.On("tmpfs");
        using IDisposable alone = Scratch.FillingTiny();
        using ScratchDir tiny = Scratch.On("tiny");
        string donor = source.File("donor"), receiver = tiny.File("receiver");
        const long length = 192L << 20;
        Files.Create(donor, length, (0, Files.Pattern(79, length)));
        Files.Create(receiver, length);

        (int code, string output, string err) = Movdata("move", donor, receiver, "--donor-offset", "0", "--receiver-offset", "0", "--length", "192M", "--json");

        Assert.Equal(1, code);
        Assert.Matches(@"^movdata: move stopped after \d+ bytes \(copy-punch\) while (writing|syncing) the receiver: .*ENOSPC", err);
        JsonElement error = JsonDocument.Parse(output).RootElement.GetProperty("error");
        Assert.Equal(1, error.GetProperty("exit").GetInt32());
        Assert.Equal("ENOSPC", error.GetProperty("errno").GetString());
        long moved = error.GetProperty("movedLength").GetInt64();
        Assert.False(error.GetProperty("recoveryPending").GetBoolean());
        // What it reports is what the files hold: the first moved bytes in the receiver and
        // gone from the donor, the rest still in the donor.
        byte[] want = Files.Pattern(79, length);
        Assert.True(want.AsSpan(0, (int)moved).SequenceEqual(Files.Read(receiver, 0, moved)), "the receiver lacks what was reported moved");
        Assert.True(want.AsSpan((int)moved).SequenceEqual(Files.Read(donor, moved, length - moved)), "the donor lost what was not reported moved");
        Files.AssertHole(donor, 0, moved);
        Files.AssertHole(receiver, moved, length - moved);
    }

    [Fact]
    public void Help_EveryVerbHasAnExample()
    {
        foreach (string verb in new[] { "move", "clone", "exchange", "punch", "zero", "prealloc", "collapse", "insert", "map", "probe", "defrag", "demo" })
        {
            (int code, string output, _) = Movdata(verb, "--help");
            Assert.Equal(0, code);
            Assert.Contains($"movdata {verb} ", output, StringComparison.Ordinal);
        }
    }

    /// <summary>A length typed for coreutils means the same bytes to movdata: truncate is the
    /// judge of what 40KB and 40K are, and the punched file shows movdata read them alike.</summary>
    [Theory]
    [InlineData("40KB")]
    [InlineData("40K")]
    [InlineData("40KiB")]
    public void Punch_ReadsASizeAsCoreutilsDoes(string size)
    {
        using ScratchDir dir = Scratch.On("tmpfs");
        string f = dir.File("f"), judge = dir.File("judge");
        byte[] content = Files.Pattern(73, 16 * B);
        Files.Create(f, content.Length, (0, content));
        Tools.MustRun("truncate", "-s", size, judge);
        long length = new FileInfo(judge).Length;

        (int code, _, string err) = Movdata("punch", f, "--offset", "0", "--length", size);

        Assert.True(code == 0, err);
        Files.AssertBytes(new byte[length], f, 0);
        Files.AssertBytes(content.AsSpan((int)length).ToArray(), f, length);
    }

    /// <summary>Standard output as coreutils treat it: a reader that leaves early ends the
    /// output quietly; a full disk is one line and exit 1, never a stack trace.</summary>
    [Fact]
    public void Output_ToAClosedPipe_EndsQuietly_AndToAFullDisk_SaysWriteError()
    {
        using ScratchDir dir = Scratch.On("tmpfs");
        string f = dir.File("f");
        // 4000 data blocks between holes: a map far longer than a pipe holds.
        Files.Create(f, 8000L * B, [.. Enumerable.Range(0, 4000).Select(i => (2L * i * B, Files.Pattern(i, B)))]);
        (int code, string output) = Tools.Run("bash", "-c", $"'{CliProcess.Tool}' map '{f}' | head -c 10 >/dev/null; echo \"exit=${{PIPESTATUS[0]}}\"");
        Assert.Equal(0, code);
        Assert.Equal("exit=0\n", output);

        (code, output) = Tools.Run("bash", "-c", $"'{CliProcess.Tool}' probe '{dir.Path}' --json >/dev/full");
        Assert.Equal(1, code);
        Assert.Equal("movdata: write error: No space left on device\n", output);
    }

    /// <summary>Exit 2, the two ways: a rule the library refuses, and a command line the parser
    /// refuses; with --json each is one error value on standard output, in the tool's words.</summary>
    [Fact]
    public void Json_ExitTwo_ForABrokenRule_AndForABadCommandLine()
    {
        using ScratchDir dir = Scratch.On("tmpfs");
        string donor = dir.File("donor"), receiver = dir.File("receiver");
        Files.Create(donor, 16 * B, (0, Files.Pattern(74, 16 * B)));
        Files.Create(receiver, 16 * B);

        (int code, string output, string err) = Movdata("move", donor, receiver, "--donor-offset", "1", "--receiver-offset", "0", "--length", "4k", "--json");
        Assert.Equal(2, code);
        JsonElement error = JsonDocument.Parse(output).RootElement.GetProperty("error");
        Assert.Equal(2, error.GetProperty("exit").GetInt32());
        Assert.Equal("EINVAL", error.GetProperty("errno").GetString());
        Assert.Equal(1, error.GetProperty("rule").GetInt32());
        Assert.StartsWith("rule 1 (alignment): --donor-offset 1 is not a multiple of the block size", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal($"movdata: {error.GetProperty("message").GetString()}\n", err);

        (code, output, err) = Movdata("move", donor, receiver, "--donor-offset", "0", "--receiver-offset", "0", "--length", "64Mb", "--json");
        Assert.Equal(2, code);
        error = JsonDocument.Parse(output).RootElement.GetProperty("error");
        Assert.Equal(2, error.GetProperty("exit").GetInt32());
        Assert.Equal("EINVAL", error.GetProperty("errno").GetString());
        Assert.Contains("--length: '64Mb' is not a size", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("Try 'movdata --help'", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Sizes_ABitSuffixIsRefusedWithTheFormsInTheError()
    {
        (int code, _, string err) = Movdata("punch", "/nonexistent", "--offset", "0", "--length", "64Mb");
        Assert.Equal(2, code);
        Assert.Contains("--length: '64Mb' is not a size", err, StringComparison.Ordinal);
        Assert.Contains("KB, MB, GB, ... (powers of 1000)", err, StringComparison.Ordinal);
        (code, string help, _) = Movdata("--help");
        Assert.Equal(0, code);
        Assert.Contains("64MB is 64000000", help, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("4096", 4096L)]
    [InlineData("0x1000", 4096L)]
    [InlineData("0", 0L)]
    [InlineData("4k", 4L << 10)]
    [InlineData("4K", 4L << 10)]
    [InlineData("4KiB", 4L << 10)]
    [InlineData("4KB", 4_000L)]
    [InlineData("4kB", 4_000L)]
    [InlineData("64M", 64L << 20)]
    [InlineData("64m", 64L << 20)]
    [InlineData("64MiB", 64L << 20)]
    [InlineData("64MB", 64_000_000L)]
    [InlineData("1G", 1L << 30)]
    [InlineData("1GiB", 1L << 30)]
    [InlineData("1giB", 1L << 30)]
    [InlineData("1GB", 1_000_000_000L)]
    [InlineData("2T", 2L << 40)]
    [InlineData("2TiB", 2L << 40)]
    [InlineData("2TB", 2_000_000_000_000L)]
    [InlineData("3P", 3L << 50)]
    [InlineData("3PiB", 3L << 50)]
    [InlineData("3PB", 3_000_000_000_000_000L)]
    [InlineData("7E", 7L << 60)]
    [InlineData("7EiB", 7L << 60)]
    [InlineData("9EB", 9_000_000_000_000_000_000L)]
    public void Sizes_ParseAsCoreutils(string text, long expected) => Assert.Equal(expected, Sizes.Parse(text));

    [Theory]
    [InlineData("-1")]
    [InlineData("1e9")]
    [InlineData("99999999999T")]
    [InlineData("8E")]
    [InlineData("10EB")]
    [InlineData("4q")]
    [InlineData("64Mb")]
    [InlineData("64mb")]
    [InlineData("4KiBB")]
    [InlineData("64Mib")]
    [InlineData("1gib")]
    [InlineData("4KIB")]
    [InlineData("3p")]
    [InlineData("4096B")]
    [InlineData("")]
    [InlineData("0x")]
    [InlineData("9223372036854775808")]
    public void Sizes_RefuseNonsense(string text) => Assert.Null(Sizes.Parse(text));
}

/// <summary>The README's first command, on every scratch filesystem and on its own XFS image.</summary>
public sealed class DemoTests
{
    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Demo_RunsTheSeedsEditAndChecksEveryBlock(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        (int code, string output, string err) = CliProcess.Movdata("demo", dir.Path, "--size", "32M");

        Assert.True(code == 0, output + err);
        Assert.Contains("check: OK", output, StringComparison.Ordinal);
        Assert.Contains($"3. move take1.ts [12 MiB, +8 MiB) into the hole of take2.ts at 16 MiB: {dir.Kind.MoveMethod.ToContractName()}", output, StringComparison.Ordinal);
        Assert.Contains(dir.Kind.ZeroCopy ? "no data copied" : "can only copy, 8 MiB copied", output, StringComparison.Ordinal);
        string shift = dir.Kind.ShiftMethod.ToContractName();
        Assert.Contains($"4. collapse the hole out of take1.ts: {shift}", output, StringComparison.Ordinal);
        Assert.Contains($"2. insert a 8 MiB hole into take2.ts at 16 MiB: {shift}", output, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void Demo_OnXfs_UsesATemporaryXfsImage()
    {
        if (!Tools.IsRoot)
        {
            Assert.Skip("--on-xfs mounts a loop image: needs root");
        }
        (int code, string output, string err) = CliProcess.Movdata("demo", "--on-xfs", "--size", "16M");
        Assert.True(code == 0, output + err);
        Assert.Contains("filesystem xfs", output, StringComparison.Ordinal);
        Assert.Contains("no data copied", output, StringComparison.Ordinal);
        Assert.Contains("check: OK", output, StringComparison.Ordinal);
        Assert.DoesNotContain("movdata-demo-xfs-", Tools.Run("mount").Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Demo_RefusesASizeThatIsNotWholeMiB()
    {
        (int code, _, string err) = CliProcess.Movdata("demo", Path.GetTempPath(), "--size", "1000");
        Assert.Equal(2, code);
        Assert.Contains("--size", err, StringComparison.Ordinal);
    }
}

/// <summary>Runs the built movdata executable as a process.</summary>
internal static class CliProcess
{
    /// <summary>The movdata executable built beside this test assembly (same configuration).</summary>
    internal static readonly string Tool = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "MovData.Cli",
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Name, "movdata"));

    internal static (int Code, string Out, string Err) Movdata(params string[] args) => MovdataWith(null, args);

    /// <summary>The process that runs one internal edit for the crash tests (tests/MovData.EditHost), built beside movdata.</summary>
    internal static readonly string EditHost = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "MovData.EditHost",
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Name, "MovData.EditHost"));

    /// <summary>Starts movdata with its output redirected, for tests that signal or stop it.</summary>
    internal static System.Diagnostics.Process Start(IReadOnlyDictionary<string, string>? environment, params string[] args) => StartProgram(Tool, environment, args);

    /// <summary>Starts <paramref name="program"/> (movdata, or <see cref="EditHost"/>) with its output redirected.</summary>
    internal static System.Diagnostics.Process StartProgram(string program, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        Assert.True(File.Exists(program), $"{Path.GetFileName(program)} not built at {program}");
        var psi = new System.Diagnostics.ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[name] = value;
        }
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        return System.Diagnostics.Process.Start(psi)!;
    }

    /// <summary>Runs movdata with extra environment variables (the crash switch).</summary>
    internal static (int Code, string Out, string Err) MovdataWith(IReadOnlyDictionary<string, string>? environment, params string[] args) => RunWith(Tool, environment, args);

    /// <summary>Runs <paramref name="program"/> with extra environment variables, to its end.</summary>
    internal static (int Code, string Out, string Err) RunWith(string program, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        using System.Diagnostics.Process p = StartProgram(program, environment, args);
        Task<string> err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output, err.Result);
    }
}
