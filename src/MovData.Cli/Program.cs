using System.Runtime.InteropServices;

namespace MovData.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        // The first SIGINT or SIGTERM asks the running edit to stop at its next step boundary
        // (it then says how far it got and exits 130); a second one, or one while a verb runs
        // that has nothing to stop cleanly, ends the process at once.
        using var cancel = new CancellationTokenSource();
        void Stop(PosixSignalContext context)
        {
            if (Io.Interruptible && !cancel.IsCancellationRequested)
            {
                context.Cancel = true;
                cancel.Cancel();
            }
        }
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        return MovDataCli.Run(args, Console.Out, Console.Error, cancel.Token);
    }
}
