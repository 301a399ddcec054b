using MovData.Tests.Harness;

namespace MovData.Tests.Model;

/// <summary>
/// The model checker on every scratch filesystem. CI runs a bounded number of operations;
/// a soak run sets MOVDATA_FSX_OPS (and MOVDATA_FSX_SEED to replay one seed), e.g.
/// MOVDATA_FSX_OPS=1000000 sudo -E eng/test.sh -- --filter-class '*FsxTests'.
/// </summary>
public sealed class FsxTests
{
    private static int Ops => int.TryParse(Environment.GetEnvironmentVariable("MOVDATA_FSX_OPS"), out int n) ? n : 2000;

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void RandomOperations_MatchTheModel(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        int seed = int.TryParse(Environment.GetEnvironmentVariable("MOVDATA_FSX_SEED"), out int s) ? s : Environment.TickCount & 0xFFFF;
        var fsx = new Fsx(dir);
        List<Op> ops = Fsx.Generate(seed, Ops);
        (int Step, string Problem)? failure;
        try
        {
            failure = fsx.Run(ops);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"fsx on {fs}, seed {seed}: the checker itself failed", e);
        }
        if (failure is (int step, string problem))
        {
            List<Op> shrunk = fsx.Shrink(ops);
            Assert.Fail($"fsx on {fs}, seed {seed} (replay: MOVDATA_FSX_SEED={seed} MOVDATA_FSX_OPS={Ops}): step {step}: {problem}\n" +
                $"shrunk to {shrunk.Count} operations:\n  {string.Join("\n  ", shrunk)}\n" +
                $"which fails with: {fsx.Run(shrunk)?.Problem}");
        }
        // The run must have exercised every operation, both ways where the filesystem has it.
        FsKind k = dir.Kind;
        foreach ((string kind, (int done, int refused, int _)) in fsx.Stats)
        {
            bool supported = kind switch
            {
                "clone" => k.Reflink,
                "exchange" => k.Exchange,
                "zero" => k.ZeroRange,
                _ => true,
            };
            Assert.True(!supported || done > 0, $"fsx on {fs}: no {kind} succeeded in {ops.Count} operations");
            Assert.True(kind is "write" or "truncate" || refused > 0, $"fsx on {fs}: no {kind} was refused in {ops.Count} operations");
        }
        Assert.Equal(11, fsx.Stats.Count);
        TestContext.Current.SendDiagnosticMessage($"fsx on {fs}: seed {seed}, {ops.Count} operations, no mismatch: " +
            string.Join(", ", fsx.Stats.OrderBy(x => x.Key).Select(x => $"{x.Key} {x.Value.Done}/{x.Value.Refused}/{x.Value.Skipped}")));
    }

    /// <summary>
    /// The sequence the checker shrank its first real finding to (seed 19870 on xfs): after a
    /// reflinked file was written near a hole and read, XFS's SEEK_DATA called that hole data
    /// (copy-on-write space over it), and Move's rule-2 check refused a true hole. Rule 2 now
    /// asks the extent map.
    /// </summary>
    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Regression_MoveIntoHoleNearCopyOnWriteWrite(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        Op[] ops =
        [
            new("write", 2, 0, 135168, 0, 12288, 1),
            new("write", 2, 0, 94208, 0, 24576, 2),
            new("prealloc", 1, 0, 191550, 0, 26562, 3),
            new("insert", 2, 0, 32768, 0, 65536, 4),
            new("punch", 1, 0, 69632, 0, 28672, 5),
            new("prealloc", 2, 0, 57344, 0, 53248, 6),
            new("move-hole", 2, 1, 160256, 159109, 20480, 7),
            new("write", 0, 0, 154315, 0, 28672, 8),
            new("clone", 2, 0, 151552, 135168, 40960, 9),
            new("write", 2, 0, 163840, 0, 24576, 10),
            new("move-hole", 0, 2, 53248, 91627, 57344, 11),
        ];
        var fsx = new Fsx(dir);
        Assert.Null(fsx.Run(ops));
        Assert.Equal(2, fsx.Stats["move"].Done);
    }

    /// <summary>
    /// The model's own mistake that a 1,000,000-operation soak found on btrfs (seed 777, step
    /// 149,979), shrunk to four operations: punching part of a block that is a hole makes
    /// btrfs write zeros there, so the block holds data. The model no longer promises a hole
    /// for partly punched blocks.
    /// </summary>
    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Regression_PartialPunchOfAHoleMayAllocate(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        Op[] ops =
        [
            new("truncate", 0, 0, 0, 0, 36864, 1),
            new("truncate", 0, 0, 0, 0, 49152, 2),
            new("punch", 0, 0, 32768, 0, 65536, 3),
            new("punch", 0, 0, 15824, 0, 24576, 4),
        ];
        Assert.Null(new Fsx(dir).Run(ops));
    }
}
