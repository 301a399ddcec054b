using System.CommandLine;

namespace MovData.Cli.Commands;

/// <summary>movdata recover: finish or undo interrupted edits.</summary>
internal static class RecoverCommand
{
    internal static Command Create(Io io)
    {
        Argument<string> path = new("PATH") { Description = "a directory (all its edits) or a file (its edits); default: the current directory", Arity = ArgumentArity.ZeroOrOne };
        Option<bool> json = Shared.Json();
        Option<bool> verbose = Shared.Verbose();
        var command = new Command("recover", Shared.Describe(
            "Finish or undo the edits a crash interrupted, from the journal next to PATH, so every file is as before or as after its edit.",
            "movdata recover /srv/recordings"))
        {
            path, json, verbose,
        };
        command.SetAction(p => Shared.Guard(io, p.GetValue(verbose), p.GetValue(json), () =>
        {
            IReadOnlyList<RecoveredEdit> edits = FileRange.Recover(p.GetValue(path) ?? ".");
            if (p.GetValue(json))
            {
                Shared.WriteJson(io, w =>
                {
                    w.WriteStartArray();
                    foreach (RecoveredEdit e in edits)
                    {
                        Shared.WriteRecoveredEdit(w, e);
                    }
                    w.WriteEndArray();
                });
            }
            else if (edits.Count == 0)
            {
                io.Out.WriteLine("recover: no interrupted edits");
            }
            else
            {
                foreach (RecoveredEdit e in edits)
                {
                    io.Out.WriteLine($"recover: {e.Edit} {e.Outcome.ToContractName()}: {e.Detail}");
                }
            }
            return edits.Any(e => e.Outcome == RecoveryOutcome.Failed) ? (int)ExitCode.Failed : 0;
        }));
        return command;
    }
}
