using Microsoft.Win32.SafeHandles;
using MovData.Native;

namespace MovData.Operations;

/// <summary>
/// The test-only switch behind the crash tests (docs/journal.md): with
/// <c>MOVDATA_TEST_CRASH=ACTION:POINT:K[:N]</c> an edit dies (or stops) at one step boundary,
/// the Nth time it reaches it (first by default).
/// ACTION is <c>kill</c> (SIGKILL this process), <c>shutdown</c> (shut the filesystem down
/// without flushing its log, as xfstests' godown does, then SIGKILL), <c>shutdown-logflush</c>
/// (the same after committing the log, so metadata survives and unwritten data does not) or <c>stop</c> (SIGSTOP
/// this process: the fault tests fill the disk under it, then let it go on into real
/// I/O errors). POINT is <c>ran</c> (step K changed the files, nothing of it is synced or
/// recorded yet), <c>done</c> (step K is durable and recorded; <c>done:-1</c> is just after
/// the intent record), <c>stage</c> (a Move is about to begin <see cref="MoveStage"/> K) or
/// <c>defrag</c> (a Defragment: 0 the fresh copy written, not yet durable; 1 the fresh copy or
/// donor ready, nothing swapped; 2 the first piece swapped; 3 all swapped, the file not yet synced).
/// Unset, it costs one comparison per step.
/// </summary>
internal static class CrashSwitch
{
    internal const string Variable = "MOVDATA_TEST_CRASH";

    private static readonly (string Action, string Point, int Step, int Time)? Armed = Parse(Environment.GetEnvironmentVariable(Variable));

    private static int _hits;

    private static (string, string, int, int)? Parse(string? value)
    {
        // An optional fourth field N fires at the Nth time the point is reached (a Move's
        // stages recur once per chunk).
        string[] w = value?.Split(':') ?? [];
        int n = 1;
        return w.Length is 3 or 4 && w[0] is "kill" or "shutdown" or "shutdown-logflush" or "stop" && w[1] is "ran" or "done" or "stage" or "defrag" && int.TryParse(w[2], out int k)
            && (w.Length == 3 || int.TryParse(w[3], out n))
            ? (w[0], w[1], k, n)
            : null;
    }

    internal static void At(string point, int step, SafeFileHandle? onFileSystem)
    {
        if (Armed is not { } a || a.Point != point || a.Step != step || Interlocked.Increment(ref _hits) != a.Time)
        {
            return;
        }
        if (a.Action == "stop")
        {
            Interop.StopSelf();
            return;
        }
        if (a.Action is "shutdown" or "shutdown-logflush" && onFileSystem is not null)
        {
            _ = Interop.ShutdownFileSystem(onFileSystem, logFlush: a.Action == "shutdown-logflush");
        }
        Interop.KillSelf();
        Thread.Sleep(Timeout.Infinite);
    }
}
