using System.CommandLine;
using System.CommandLine.Help;
using MovData.Cli.Commands;

namespace MovData.Cli;

/// <summary>The movdata command line: one verb per file under Commands/, output through the
/// writers given, so tests read exactly what a user sees.</summary>
internal static class MovDataCli
{
    /// <param name="terminalWidth">The width of the terminal <paramref name="error"/> writes
    /// to; null when it is not a terminal (no progress is drawn then).</param>
    /// <param name="outputWidth">The width of the terminal <paramref name="output"/> writes
    /// to, which help wraps to; null when it is not a terminal.</param>
    internal static int Run(string[] args, TextWriter output, TextWriter error, Func<int>? terminalWidth = null, Func<int>? outputWidth = null, CancellationToken cancel = default)
    {
        var io = new Io(output, error, terminalWidth, cancel);
        var root = new RootCommand($"movdata: move, clone, exchange, collapse, insert and punch byte ranges of files at the extent level.\n\nSizes (--offset, --length, ...) are {Sizes.Forms}: 64M is 67108864, 64MB is 64000000.")
        {
            MoveCommand.Create(io),
            CloneCommand.Create(io),
            ExchangeCommand.Create(io),
            FileRangeCommands.Punch(io),
            FileRangeCommands.Zero(io),
            FileRangeCommands.Prealloc(io),
            FileRangeCommands.Collapse(io),
            FileRangeCommands.Insert(io),
            SpliceCommand.Create(io),
            ConcatCommand.Create(io),
            RecoverCommand.Create(io),
            MapCommand.Create(io),
            ProbeCommand.Create(io),
            DefragCommand.Create(io),
            InfoCommand.Create(io),
            CutCommand.Create(io),
            RestoreCommand.Create(io),
            DemoCommand.Create(io),
        };
        // Help is as wide as the terminal standard output is, and unwrapped into a pipe; told
        // here, System.CommandLine does not ask System.Console (see StandardStreams).
        foreach (HelpAction help in root.Options.OfType<HelpOption>().Select(o => o.Action).OfType<HelpAction>())
        {
            help.MaxWidth = outputWidth?.Invoke() ?? int.MaxValue;
        }
        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var e in parsed.Errors)
            {
                error.WriteLine($"movdata: {e.Message}");
            }
            error.WriteLine("Try 'movdata --help' or 'movdata VERB --help'.");
            if (args.Contains("--json"))
            {
                Shared.WriteUsageError(io, string.Join("; ", parsed.Errors.Select(e => e.Message)));
            }
            return (int)ExitCode.Usage;
        }
        return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
    }
}

/// <summary>Where a verb writes (standard output for results, standard error for the rest),
/// whether standard error is a terminal (and how wide), and the token SIGINT and SIGTERM cancel.</summary>
internal sealed class Io(TextWriter output, TextWriter error, Func<int>? terminalWidth = null, CancellationToken cancel = default)
{
    /// <summary>The columns of the terminal <see cref="Err"/> is; null when it is not one.</summary>
    internal Func<int>? TerminalWidth { get; } = terminalWidth;

    private static volatile bool _interruptible;

    internal TextWriter Out { get; } = output;

    internal TextWriter Err { get; } = error;

    /// <summary>The token SIGINT and SIGTERM cancel. A verb that takes it stops at its next
    /// step boundary when signalled; only then does the process leave the first signal to it.</summary>
    internal CancellationToken Cancel
    {
        get
        {
            _interruptible = true;
            return cancel;
        }
    }

    /// <summary>Whether the running verb took <see cref="Cancel"/>: otherwise a signal ends
    /// the process as usual (a map or a probe has nothing to stop cleanly).</summary>
    internal static bool Interruptible => _interruptible;
}
