using MovData.Tests.Harness;

namespace MovData.Tests.Edits;

/// <summary>
/// SIGKILL at every step boundary of every multi-step edit (after each step's change, before
/// it is synced and recorded; and after it is recorded), on every scratch filesystem; then
/// `movdata recover`, and the files must be exactly as after the edit (or, for a discarded
/// concat, as before), with nothing lost. Split in classes so the filesystems run in parallel.
/// </summary>
public abstract class KillTestsBase
{
    public static TheoryData<string, string> Rows(params string[] scenarios) => Scratch.EveryFileSystemWith(scenarios);

    protected static void Run(string fs, string scenario)
    {
        using ScratchDir dir = Scratch.On(fs);
        CrashScenario s = CrashScenario.All().Single(c => c.Name == scenario);
        int kills = s.CrashAtEveryStep(dir.Path, "kill", ["done", "ran"]);
        TestContext.Current.TestOutputHelper?.WriteLine($"{scenario} on {fs}: killed and recovered at {kills} points");
        // An exchange-range move is one logged kernel call and keeps no record: nothing to kill.
        bool atomic = scenario == "move" && dir.Kind.Exchange;
        Assert.True(atomic ? kills == 0 : kills >= 2, $"{scenario} on {fs}: {kills} kill points");
    }
}

public sealed class SpliceKillTests : KillTestsBase
{
    public static TheoryData<string, string> Cases => Rows("splice aligned", "splice MPEG-TS packets", "splice, length not a block multiple");

    [Theory, MemberData(nameof(Cases))]
    public void Splice_KilledAtEveryStep_RecoversToAfter(string fs, string scenario) => Run(fs, scenario);
}

public sealed class ShiftKillTests : KillTestsBase
{
    public static TheoryData<string, string> Cases => Rows("collapse at a packet boundary", "insert of a length not a block multiple");

    [Theory, MemberData(nameof(Cases))]
    public void CollapseInsert_KilledAtEveryStep_RecoversToAfter(string fs, string scenario) => Run(fs, scenario);
}

public sealed class ConcatMoveKillTests : KillTestsBase
{
    public static TheoryData<string, string> Cases => Rows("concat --move", "concat by cloning", "move");

    [Theory, MemberData(nameof(Cases))]
    public void ConcatAndMove_KilledAtEveryStep_RecoverToAfterOrDiscard(string fs, string scenario) => Run(fs, scenario);
}
