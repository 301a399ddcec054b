using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using MovData.Tests.Cli;
using MovData.Tests.Harness;

namespace MovData.Tests.Edits;

/// <summary>
/// Splice on every scratch filesystem, checked byte for byte against what the files must hold
/// (the donor without the range, the receiver with it at the offset), plus sizes, holes, and
/// on filesystems that share blocks, that the range's whole blocks were not copied.
/// </summary>
public sealed class SpliceTests
{
    private const int B = Files.Block;
    private const int Packet = 188; // an MPEG-TS packet; 1024 of them are 47 blocks

    /// <summary>(filesystem, case, donor offset, receiver offset, length).</summary>
    public static TheoryData<string, string, long, long, long> Cases()
    {
        var data = new TheoryData<string, string, long, long, long>();
        foreach (string fs in Scratch.Names)
        {
            data.Add(fs, "aligned", 64 * B, 32 * B, 128 * B);
            // Packet boundaries 1024 packets apart sit equally far into their blocks.
            data.Add(fs, "packets, same place in the block", Packet * 50, Packet * (50 + 1024), Packet * 1024);
            data.Add(fs, "packets, different places in the block", Packet * 3, Packet * 7, Packet * 1024);
            data.Add(fs, "blocks, not packets: aligned offsets, length of 100 packets", 12 * B, 24 * B, Packet * 100);
            data.Add(fs, "to the donor's end, at the receiver's end", 256 * B, 192 * B, 64 * B);
        }
        return data;
    }

    [Theory, MemberData(nameof(Cases))]
    public void Splice_MovesTheRangeAndShiftsBothFiles(string fs, string name, long donorOffset, long receiverOffset, long length)
    {
        using ScratchDir dir = Scratch.On(fs);
        string donor = dir.File("take1.ts"), receiver = dir.File("edit.ts");
        byte[] d = Files.Pattern(501, 320 * B), r = Files.Pattern(502, 192 * B);
        // A hole inside the donor range (rule 6: it stays a hole where nothing is copied).
        long holeAt = donorOffset + 8 * B - donorOffset % B;
        Array.Clear(d, (int)holeAt, 4 * B);
        Files.Create(donor, d.Length, (0, d[..(int)holeAt]), (holeAt + 4 * B, d[(int)(holeAt + 4 * B)..]));
        Files.Create(receiver, r.Length, (0, r));
        long[] interior = dir.Kind.Fiemap ? Files.PhysicalBlocks(donor, donorOffset + 16 * B - donorOffset % B, 8 * B) : [];
        using SafeFileHandle hd = Files.OpenRw(donor), hr = Files.OpenRw(receiver);

        EditResult result = FileRange.Splice(hd, donorOffset, hr, receiverOffset, length);

        byte[] wantDonor = [.. d.AsSpan(0, (int)donorOffset), .. d.AsSpan((int)(donorOffset + length))];
        byte[] wantReceiver = [.. r.AsSpan(0, (int)receiverOffset), .. d.AsSpan((int)donorOffset, (int)length), .. r.AsSpan((int)receiverOffset)];
        Assert.Equal(wantDonor.Length, new FileInfo(donor).Length);
        Assert.Equal(wantReceiver.Length, new FileInfo(receiver).Length);
        Assert.True(wantDonor.AsSpan().SequenceEqual(Files.ReadAll(donor)), $"{name}: the donor's bytes differ from the model");
        Assert.True(wantReceiver.AsSpan().SequenceEqual(Files.ReadAll(receiver)), $"{name}: the receiver's bytes differ from the model");
        Assert.Equal(["insert", "move", "collapse"], result.Steps.Select(s => s.Step));
        Assert.False(Directory.Exists(Path.Combine(dir.Path, ".movdata-journal")), "the journal is left empty and removed");

        bool sameInBlock = donorOffset % B == receiverOffset % B;
        bool wholeBlocks = length % B == 0 && sameInBlock;
        EditStepResult move = result.Steps[1];
        if (wholeBlocks)
        {
            Assert.Equal(dir.Kind.MoveMethod.ToContractName(), move.Method.ToContractName());
            long edges = donorOffset % B == 0 ? 0 : B; // the two partial blocks, head and tail
            Assert.Equal(dir.Kind.ZeroCopy ? edges : length - 4 * B, move.BytesCopied); // the hole is not copied
            long at = receiverOffset + (holeAt - donorOffset);
            Files.AssertHole(receiver, at, 4 * B);
            if (dir.Kind.ZeroCopy && dir.Kind.Fiemap)
            {
                // The receiver now holds the donor's very blocks.
                Assert.Equal(interior, Files.PhysicalBlocks(receiver, receiverOffset + 16 * B - receiverOffset % B, 8 * B));
            }
        }
        else if (!sameInBlock)
        {
            Assert.Equal((StepMethod.Copy, length), (move.Method, move.BytesCopied));
        }
        if (length % B != 0 && receiverOffset < r.Length)
        {
            // The receiver's tail moves by a part of a block: it is rewritten by copying.
            Assert.Equal(StepMethod.Copy, result.Steps[0].Method);
            Assert.True(result.Steps[0].BytesCopied >= r.Length - receiverOffset);
        }
        else if (receiverOffset < r.Length)
        {
            Assert.Equal(dir.Kind.ShiftMethod.ToContractName(), result.Steps[0].Method.ToContractName());
            long edge = receiverOffset % B; // the head of the block the hole opens in
            Assert.Equal((dir.Kind.ShiftMethod == RangeMethod.Copy ? 2 * (r.Length - receiverOffset + edge) : 0) + edge, result.Steps[0].BytesCopied);
        }
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Splice_ZeroCopyOnly_RefusesWhereDataWouldBeCopied_ChangingNothing(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string donor = dir.File("d"), receiver = dir.File("r");
        Files.Create(donor, 64 * B, (0, Files.Pattern(503, 64 * B)));
        Files.Create(receiver, 64 * B, (0, Files.Pattern(504, 64 * B)));
        Snapshot sd = Files.Take(donor), sr = Files.Take(receiver);
        using SafeFileHandle hd = Files.OpenRw(donor), hr = Files.OpenRw(receiver);

        // Offsets at different places in their blocks: nothing lines up, all would be copied.
        Assert.Throws<FileSystemNotSupportedException>(() => FileRange.Splice(hd, Packet, hr, 2 * Packet, 8 * B, MoveFlags.ZeroCopyOnly));
        if (!dir.Kind.ZeroCopy || dir.Kind.ShiftMethod == RangeMethod.Copy)
        {
            Assert.Throws<FileSystemNotSupportedException>(() => FileRange.Splice(hd, 8 * B, hr, 8 * B, 8 * B, MoveFlags.ZeroCopyOnly));
        }
        else
        {
            EditResult ok = FileRange.Splice(hd, 8 * B, hr, 8 * B, 8 * B, MoveFlags.ZeroCopyOnly);
            Assert.Equal(0, ok.BytesCopied);
            return;
        }
        Assert.Equal(sd, Files.Take(donor));
        Assert.Equal(sr, Files.Take(receiver));
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Splice_RefusesBadInput_ChangingNothing(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string donor = dir.File("d"), receiver = dir.File("r");
        Files.Create(donor, 16 * B, (0, Files.Pattern(505, 16 * B)));
        Files.Create(receiver, 16 * B, (0, Files.Pattern(506, 16 * B)));
        Snapshot sd = Files.Take(donor), sr = Files.Take(receiver);
        using SafeFileHandle hd = Files.OpenRw(donor), hr = Files.OpenRw(receiver), again = Files.OpenRw(donor);

        Assert.Equal(ContractRule.Overlap, Assert.Throws<ContractViolationException>(() => FileRange.Splice(hd, 0, again, 8 * B, B)).Rule);
        Assert.Equal(ContractRule.Range, Assert.Throws<ContractViolationException>(() => FileRange.Splice(hd, 12 * B, hr, 0, 8 * B)).Rule);
        Assert.Equal(ContractRule.Range, Assert.Throws<ContractViolationException>(() => FileRange.Splice(hd, 0, hr, 16 * B + 1, B)).Rule);
        Assert.Equal(ContractRule.Range, Assert.Throws<ContractViolationException>(() => FileRange.Splice(hd, 1, hr, 0, long.MaxValue)).Rule);
        Assert.Equal(ContractRule.Negative, Assert.Throws<ContractViolationException>(() => FileRange.Splice(hd, -1, hr, 0, B)).Rule);
        Assert.Equal(ContractRule.Alignment, Assert.Throws<ContractViolationException>(() => FileRange.Splice(hd, 0, hr, 0, 0)).Rule);
        Assert.Equal(ContractRule.Flags, Assert.Throws<ContractViolationException>(() => FileRange.Splice(hd, 0, hr, 0, B, (MoveFlags)8)).Rule);
        Assert.Equal(sd, Files.Take(donor));
        Assert.Equal(sr, Files.Take(receiver));
        Assert.False(Directory.Exists(Path.Combine(dir.Path, ".movdata-journal")));
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Cli_Splice_PrintsTheStepsAsJson_AndMapsErrorsToExitCodes(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string donor = dir.File("d"), receiver = dir.File("r");
        byte[] d = Files.Pattern(507, 32 * B), r = Files.Pattern(508, 32 * B);
        Files.Create(donor, d.Length, (0, d));
        Files.Create(receiver, r.Length, (0, r));

        (int code, string output, string err) = CliProcess.Movdata("splice", donor, receiver, "--donor-offset", "16k", "--receiver-offset", "8k", "--length", "32k", "--json");

        Assert.True(code == 0, err);
        JsonElement json = JsonDocument.Parse(output).RootElement;
        Assert.Equal(8 * B, json.GetProperty("length").GetInt64());
        string[] steps = [.. json.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("step").GetString()!)];
        Assert.Equal(["insert", "move", "collapse"], steps);
        Assert.Equal(dir.Kind.MoveMethod.ToContractName(), json.GetProperty("steps")[1].GetProperty("method").GetString());
        Assert.All(json.GetProperty("steps").EnumerateArray(), s => Assert.True(s.GetProperty("bytesCopied").GetInt64() >= 0));
        Assert.Equal([.. r.AsSpan(0, 2 * B), .. d.AsSpan(4 * B, 8 * B), .. r.AsSpan(2 * B)], Files.ReadAll(receiver));
        Assert.Equal([.. d.AsSpan(0, 4 * B), .. d.AsSpan(12 * B)], Files.ReadAll(donor));

        Assert.Equal(2, CliProcess.Movdata("splice", donor, donor, "--donor-offset", "0", "--receiver-offset", "8k", "--length", "4k").Code);
        Assert.Equal(2, CliProcess.Movdata("splice", donor, receiver, "--donor-offset", "1G", "--receiver-offset", "0", "--length", "4k").Code);
        Assert.Equal(1, CliProcess.Movdata("splice", dir.File("missing"), receiver, "--donor-offset", "0", "--receiver-offset", "0", "--length", "4k").Code);
        Assert.Equal(3, CliProcess.Movdata("splice", donor, receiver, "--donor-offset", "188", "--receiver-offset", "376", "--length", "4k", "--zero-copy-only").Code);
    }

    [Fact]
    public void EditResult_PrintsItsSteps()
    {
        var r = new EditResult([new("insert", StepMethod.Native, 0), new("move", StepMethod.CopyPunch, 8192), new("collapse", StepMethod.Emulated, 0)]);
        Assert.Equal("insert: native, 0 bytes copied; move: copy-punch, 8192 bytes copied; collapse: emulated, 0 bytes copied", r.ToString());
        Assert.Equal(8192, r.BytesCopied);
        Assert.Equal("moved 67108864 bytes by clone-punch, 0 bytes copied", new MoveResult(64L << 20, MoveMethod.ClonePunch, 0).ToString());
        Assert.Equal("4096 bytes, copy, 8192 bytes copied; before it, from the journal: move finished, splice failed",
            new RangeResult(4096, RangeMethod.Copy, 8192)
            {
                Recovered = [new("a.edit", "move", RecoveryOutcome.Finished, ""), new("b.edit", "splice", RecoveryOutcome.Failed, "damaged")],
            }.ToString());
        Assert.Equal("copy-dedupe: 12 extents -> 1 (ideal 1), 8388608 bytes copied", new DefragmentResult(DefragmentMethod.CopyDedupe, 12, 1, 1, 8L << 20, 0).ToString());
        Assert.Equal("would defragment by move-extents: 12 extents -> ? (ideal 1), 8388608 bytes to copy, 4096 shared bytes would become exclusive",
            new DefragmentResult(DefragmentMethod.MoveExtents, 12, 12, 1, 8L << 20, 4096) { DryRun = true }.ToString());
        Assert.Equal("skipped: 1 extent (already at its ideal, ideal 1)", new DefragmentResult(DefragmentMethod.None, 1, 1, 1, 0, 0).ToString());
        Assert.Equal("xfs, block size 4096: move emulated, clone native",
            new FileSystemProbe("xfs", 4096, new Dictionary<RangeOperation, Support> { [RangeOperation.Clone] = Support.Native, [RangeOperation.Move] = Support.Emulated }).ToString());
    }
}
