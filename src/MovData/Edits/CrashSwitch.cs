using Microsoft.Win32.SafeHandles;
using MovData.Native;

namespace MovData.Edits;

/// <summary>
/// The test-only switch behind the crash tests (docs/journal.md): with
/// <c>MOVDATA_TEST_CRASH=ACTION:POINT:K</c> an edit dies at one step boundary.
/// ACTION is <c>kill</c> (SIGKILL this process) or <c>shutdown</c> (shut the filesystem down
/// without flushing its log, as xfstests' godown does, then SIGKILL). POINT is <c>ran</c>
/// (step K changed the files, nothing of it is synced or recorded yet) or <c>done</c> (step
/// K is durable and recorded; <c>done:-1</c> is just after the intent record). Unset, it
/// costs one comparison per step.
/// </summary>
internal static class CrashSwitch
{
    internal const string Variable = "MOVDATA_TEST_CRASH";

    private static readonly (bool Shutdown, string Point, int Step)? Armed = Parse(Environment.GetEnvironmentVariable(Variable));

    private static (bool, string, int)? Parse(string? value)
    {
        string[] w = value?.Split(':') ?? [];
        return w.Length == 3 && w[0] is "kill" or "shutdown" && w[1] is "ran" or "done" && int.TryParse(w[2], out int k)
            ? (w[0] == "shutdown", w[1], k)
            : null;
    }

    internal static void At(string point, int step, SafeFileHandle? onFileSystem)
    {
        if (Armed is not { } a || a.Point != point || a.Step != step)
        {
            return;
        }
        if (a.Shutdown && onFileSystem is not null)
        {
            _ = Interop.ShutdownFileSystem(onFileSystem);
        }
        Interop.KillSelf();
        Thread.Sleep(Timeout.Infinite);
    }
}
