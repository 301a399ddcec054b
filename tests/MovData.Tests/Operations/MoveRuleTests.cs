using Microsoft.Win32.SafeHandles;
using MovData.Tests.Harness;

namespace MovData.Tests.Operations;

/// <summary>Every rule of the contract, broken on purpose: the right refusal, and neither file changed.</summary>
public sealed class MoveRuleTests
{
    private const int B = Files.Block;

    private sealed class Pair : IDisposable
    {
        public Pair(string fs)
        {
            Dir = Scratch.On(fs);
            Donor = Dir.File("donor");
            Receiver = Dir.File("receiver");
            Files.Create(Donor, 32 * B, (0, Files.Pattern(30, 32 * B)));
            Files.Create(Receiver, 32 * B);
            DonorBefore = Files.Take(Donor);
            ReceiverBefore = Files.Take(Receiver);
        }

        public ScratchDir Dir { get; }
        public string Donor { get; }
        public string Receiver { get; }
        public Snapshot DonorBefore { get; }
        public Snapshot ReceiverBefore { get; }

        public void AssertUnchanged()
        {
            Assert.Equal(DonorBefore, Files.Take(Donor));
            Assert.Equal(ReceiverBefore, Files.Take(Receiver));
        }

        public void Dispose() => Dir.Dispose();
    }

    public static TheoryData<string, long, long, long, ContractRule> BadRanges()
    {
        var data = new TheoryData<string, long, long, long, ContractRule>();
        foreach (string fs in Scratch.Names)
        {
            data.Add(fs, 1, 0, B, ContractRule.Alignment);               // donor offset misaligned
            data.Add(fs, 0, 512, B, ContractRule.Alignment);             // receiver offset misaligned
            data.Add(fs, 0, 0, B + 1, ContractRule.Alignment);           // length misaligned
            data.Add(fs, 0, 0, 0, ContractRule.Alignment);               // zero length
            data.Add(fs, -B, 0, B, ContractRule.Negative);
            data.Add(fs, 0, -B, B, ContractRule.Negative);
            data.Add(fs, 0, 0, -B, ContractRule.Alignment);
            data.Add(fs, 32 * B, 0, B, ContractRule.Range);              // donor range past end
            data.Add(fs, 0, 31 * B, 2 * B, ContractRule.Range);          // receiver range past end
            data.Add(fs, long.MaxValue - (B - 1) - B, 0, 2 * B, ContractRule.Range);   // offset + length overflows
            data.Add(fs, 0, 0, long.MaxValue - (B - 1), ContractRule.Range);
        }
        return data;
    }

    [Theory, MemberData(nameof(BadRanges))]
    public void Move_RefusesBadRange_ChangingNothing(string fs, long donorOffset, long receiverOffset, long length, ContractRule rule)
    {
        using var p = new Pair(fs);
        var e = Assert.Throws<ContractViolationException>(() => FileRange.Move(p.Donor, donorOffset, p.Receiver, receiverOffset, length));
        Assert.Equal(rule, e.Rule);
        if (rule == ContractRule.Alignment && length > 0)
        {
            Assert.Contains("block size 4096", e.Message, StringComparison.Ordinal);
        }
        p.AssertUnchanged();
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Move_RefusesUnknownFlags(string fs)
    {
        using var p = new Pair(fs);
        var e = Assert.Throws<ContractViolationException>(() => FileRange.Move(p.Donor, 0, p.Receiver, 0, B, (MoveFlags)0x10));
        Assert.Equal(ContractRule.Flags, e.Rule);
        p.AssertUnchanged();
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Move_RefusesReadOnlyDonorHandle(string fs)
    {
        using var p = new Pair(fs);
        using SafeFileHandle d = File.OpenHandle(p.Donor, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using SafeFileHandle r = Files.OpenRw(p.Receiver);
        var e = Assert.Throws<ContractViolationException>(() => FileRange.Move(d, 0, r, 0, B));
        Assert.Equal(ContractRule.OpenMode, e.Rule);
        Assert.Contains("donor", e.Message, StringComparison.Ordinal);
        p.AssertUnchanged();
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Move_RefusesAppendModeReceiverHandle(string fs)
    {
        using var p = new Pair(fs);
        using SafeFileHandle d = Files.OpenRw(p.Donor);
        using var stream = new FileStream(p.Receiver, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        var e = Assert.Throws<ContractViolationException>(() => FileRange.Move(d, 0, stream.SafeFileHandle, 0, B));
        Assert.Equal(ContractRule.OpenMode, e.Rule);
        p.AssertUnchanged();
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Move_RefusesImmutableAndAppendOnlyDonor(string fs)
    {
        using var p = new Pair(fs);
        foreach (string attribute in new[] { "+i", "+a" })
        {
            Tools.MustRun("chattr", attribute, p.Donor);
            try
            {
                // The handle was opened before the attribute was set, so only MovData's own
                // check stands between the call and the file.
                var e = Assert.Throws<UnauthorizedAccessException>(() => FileRange.Move(p.Donor, 0, p.Receiver, 0, B));
                Assert.Contains(attribute == "+i" ? "immutable" : "append-only", e.Message, StringComparison.Ordinal);
            }
            finally
            {
                Tools.MustRun("chattr", "-i", "-a", p.Donor);
            }
            p.AssertUnchanged();
        }
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Move_RefusesImmutableDonorOpenedBeforeChattr(string fs)
    {
        using var p = new Pair(fs);
        using SafeFileHandle d = Files.OpenRw(p.Donor), r = Files.OpenRw(p.Receiver);
        Tools.MustRun("chattr", "+i", p.Donor);
        try
        {
            Assert.Throws<UnauthorizedAccessException>(() => FileRange.Move(d, 0, r, 0, B));
        }
        finally
        {
            Tools.MustRun("chattr", "-i", p.Donor);
        }
        p.AssertUnchanged();
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Move_RefusesDirectory(string fs)
    {
        using var p = new Pair(fs);
        string directory = p.Dir.File("subdir");
        Directory.CreateDirectory(directory);
        var e = Assert.Throws<ContractViolationException>(() => FileRange.Move(directory, 0, p.Receiver, 0, B));
        Assert.Equal(ContractRule.FileKind, e.Rule);
        Assert.Contains("directory", e.Message, StringComparison.Ordinal);
        p.AssertUnchanged();
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Move_RefusesFifo(string fs)
    {
        using var p = new Pair(fs);
        string fifo = p.Dir.File("fifo");
        Tools.MustRun("mkfifo", fifo);
        var e = Assert.Throws<ContractViolationException>(() => FileRange.Move(p.Donor, 0, fifo, 0, B));
        Assert.Equal(ContractRule.FileKind, e.Rule);
        p.AssertUnchanged();
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Move_RefusesMissingFile(string fs)
    {
        using var p = new Pair(fs);
        Assert.Throws<FileNotFoundException>(() => FileRange.Move(p.Dir.File("nope"), 0, p.Receiver, 0, B));
        p.AssertUnchanged();
    }
}
