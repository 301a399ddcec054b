using System.Runtime.InteropServices;

namespace MovData.Native;

internal static partial class Interop
{
    internal const int SIGKILL = 9;
    internal const int SIGSTOP = 19;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    /// <summary>SIGKILL to this process: no handler, finalizer or flush runs, as when a machine
    /// dies (used only by the journal's test switch, MOVDATA_TEST_CRASH).</summary>
    internal static void KillSelf() => _ = kill(Environment.ProcessId, SIGKILL);

    /// <summary>SIGSTOP to this process; it goes on when someone sends SIGCONT (the fault
    /// tests fill the disk meanwhile).</summary>
    internal static void StopSelf() => _ = kill(Environment.ProcessId, SIGSTOP);
}
