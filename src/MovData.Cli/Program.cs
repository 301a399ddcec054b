using System.Runtime.InteropServices;

namespace MovData.Cli;

internal static class Program
{
    private static long s_started = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>Time since main began (since the first use, in a test that runs verbs in-process).</summary>
    internal static TimeSpan SinceStart => System.Diagnostics.Stopwatch.GetElapsedTime(s_started);

    private static int Main(string[] args)
    {
        s_started = System.Diagnostics.Stopwatch.GetTimestamp();
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
        using TextWriter output = StandardStreams.Open(1), error = StandardStreams.Open(2);
        try
        {
            return MovDataCli.Run(args, output, error, StandardStreams.TerminalWidth(2), StandardStreams.TerminalWidth(1), cancel.Token);
        }
        catch (IOException e) when (e.Source is "stdout")
        {
            // Standard output could not be written (a full disk, say), even to report that.
            error.WriteLine($"movdata: {e.Message}");
            return (int)ExitCode.Failed;
        }
    }
}
