using System.Text.Json;
using MovData.Tests.Cli;
using MovData.Tests.Harness;

namespace MovData.Tests.Edits;

/// <summary>Concat on every scratch filesystem: the output holds the parts in order, byte for
/// byte; aligned parts go without copying where the filesystem shares blocks; --move leaves
/// the parts' ranges empty; from an unaligned boundary on, copying is reported.</summary>
public sealed class ConcatTests
{
    private const int B = Files.Block;

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Concat_ByClone_BuildsTheOutputAndLeavesThePartsAlone(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string a = dir.File("part1"), b = dir.File("part2"), c = dir.File("part3"), output = dir.File("whole");
        byte[] ca = Files.Pattern(601, 16 * B), cb = Files.Pattern(602, 32 * B), cc = Files.Pattern(603, 10_000);
        Files.Create(a, ca.Length, (0, ca));
        Files.Create(b, cb.Length, (0, cb));
        Files.Create(c, cc.Length, (0, cc));
        Snapshot sa = Files.Take(a), sb = Files.Take(b), sc = Files.Take(c);
        long[] blocksOfB = dir.Kind.Fiemap ? Files.PhysicalBlocks(b, 4 * B, 8 * B) : [];

        EditResult r = FileRange.Concat(output, [new ConcatPart(a), new ConcatPart(b, 4 * B, 8 * B), new ConcatPart(c)]);

        Assert.Equal([.. ca, .. cb.AsSpan(4 * B, 8 * B), .. cc], Files.ReadAll(output));
        Assert.Equal(["create", "part-1", "part-2", "part-3", "rename"], r.Steps.Select(s => s.Step));
        Assert.Equal(sa, Files.Take(a));
        Assert.Equal(sb, Files.Take(b));
        Assert.Equal(sc, Files.Take(c));
        StepMethod part = dir.Kind.Reflink ? StepMethod.Clone : StepMethod.Copy;
        Assert.Equal(part, r.Steps[1].Method);
        Assert.Equal(part, r.Steps[2].Method);
        // Part 3 is whole blocks and a partial last block: that block alone is copied.
        Assert.Equal(dir.Kind.Reflink ? 10_000 % B : 10_000, r.Steps[3].BytesCopied);
        if (dir.Kind.Reflink)
        {
            Assert.Equal(blocksOfB, Files.PhysicalBlocks(output, 16 * B, 8 * B));
        }
        Assert.Equal(["part1", "part2", "part3", "whole"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName).Order());
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Concat_Move_EmptiesTheParts(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string a = dir.File("p1"), b = dir.File("p2"), output = dir.File("out");
        byte[] ca = Files.Pattern(604, 24 * B), cb = Files.Pattern(605, 40 * B);
        Files.Create(a, ca.Length, (0, ca));
        Files.Create(b, cb.Length, (0, cb));
        long[] blocksOfA = dir.Kind.Fiemap ? Files.PhysicalBlocks(a, 0, 24 * B) : [];

        EditResult r = FileRange.Concat(output, [new ConcatPart(a), new ConcatPart(b, 8 * B, 16 * B)], move: true);

        Assert.Equal([.. ca, .. cb.AsSpan(8 * B, 16 * B)], Files.ReadAll(output));
        Assert.Equal(dir.Kind.MoveMethod.ToContractName(), r.Steps[1].Method.ToContractName());
        Assert.Equal(dir.Kind.ZeroCopy ? 0 : 40 * B, r.BytesCopied);
        Files.AssertHole(a, 0, 24 * B);
        Files.AssertHole(b, 8 * B, 16 * B);
        Files.AssertBytes(cb.AsSpan(0, 8 * B).ToArray(), b, 0);
        Files.AssertBytes(cb.AsSpan(24 * B).ToArray(), b, 24 * B);
        Assert.Equal(24 * B, new FileInfo(a).Length);
        if (dir.Kind.ZeroCopy && dir.Kind.Fiemap)
        {
            Assert.Equal(blocksOfA, Files.PhysicalBlocks(output, 0, 24 * B));
        }
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Concat_AfterAnUnalignedBoundary_CopiesAndSaysSo(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string a = dir.File("head"), b = dir.File("body"), output = dir.File("out");
        byte[] ca = Files.Pattern(606, 188 * 10), cb = Files.Pattern(607, 16 * B);
        Files.Create(a, ca.Length, (0, ca));
        Files.Create(b, cb.Length, (0, cb));

        EditResult r = FileRange.Concat(output, [new ConcatPart(a), new ConcatPart(b)]);

        Assert.Equal([.. ca, .. cb], Files.ReadAll(output));
        Assert.Equal((StepMethod.Copy, 16L * B), (r.Steps[2].Method, r.Steps[2].BytesCopied));
        Assert.Equal(0, FileRange.Concat(dir.File("out2"), [new ConcatPart(b), new ConcatPart(a)]).Steps[1].BytesCopied * (dir.Kind.Reflink ? 1 : 0));
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Concat_RefusesBadInput_ChangingNothing(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string a = dir.File("a"), exists = dir.File("exists");
        Files.Create(a, 8 * B, (0, Files.Pattern(608, 8 * B)));
        Files.Create(exists, B, (0, Files.Pattern(609, B)));
        Snapshot sa = Files.Take(a), se = Files.Take(exists);

        Assert.Equal(MovData.Native.Interop.EEXIST, Assert.Throws<IOException>(() => FileRange.Concat(exists, [new ConcatPart(a)])).HResult);
        Assert.Equal(ContractRule.Range, Assert.Throws<ContractViolationException>(() => FileRange.Concat(dir.File("o"), [new ConcatPart(a, 4 * B, 8 * B)])).Rule);
        Assert.Equal(ContractRule.Range, Assert.Throws<ContractViolationException>(() => FileRange.Concat(dir.File("o"), [])).Rule);
        Assert.Equal(ContractRule.Overlap, Assert.Throws<ContractViolationException>(() =>
            FileRange.Concat(dir.File("o"), [new ConcatPart(a, 0, 4 * B), new ConcatPart(a, 2 * B, 4 * B)], move: true)).Rule);
        Assert.Equal(ContractRule.FileKind, Assert.Throws<ContractViolationException>(() => FileRange.Concat(dir.File("o"), [new ConcatPart(dir.Path)])).Rule);
        Assert.Throws<FileNotFoundException>(() => FileRange.Concat(dir.File("o"), [new ConcatPart(dir.File("missing"))]));
        Assert.Equal(sa, Files.Take(a));
        Assert.Equal(se, Files.Take(exists));
        Assert.False(File.Exists(dir.File("o")));
        Assert.False(Directory.Exists(Path.Combine(dir.Path, ".movdata-journal")));
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Cli_Concat_TakesRangesAndPrintsSteps(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string a = dir.File("a"), b = dir.File("b:with:colons"), output = dir.File("o");
        byte[] ca = Files.Pattern(610, 8 * B), cb = Files.Pattern(611, 8 * B);
        Files.Create(a, ca.Length, (0, ca));
        Files.Create(b, cb.Length, (0, cb));

        (int code, string json, string err) = CliProcess.Movdata("concat", output, $"{a}:4k:8k", b, "--move", "--json");

        Assert.True(code == 0, err);
        JsonElement root = JsonDocument.Parse(json).RootElement;
        Assert.Equal(10 * B, root.GetProperty("length").GetInt64());
        Assert.Equal(["create", "part-1", "part-2", "rename"], root.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("step").GetString()));
        Assert.Equal([.. ca.AsSpan(B, 2 * B), .. cb], Files.ReadAll(output));
        Files.AssertHole(a, B, 2 * B);
        Assert.Equal(1, CliProcess.Movdata("concat", output, a).Code);
        Assert.Equal(3, CliProcess.Movdata("concat", dir.File("o2"), $"{a}:188:4k", "--zero-copy-only").Code);
        Assert.False(File.Exists(dir.File("o2")));
    }
}
