using System.CommandLine;

namespace MovData.Cli.Commands;

/// <summary>movdata splice: the seed's whole edit (insert, move, collapse) as one.</summary>
internal static class SpliceCommand
{
    internal static Command Create(Io io)
    {
        Argument<string> donor = Shared.File("DONOR", "the file the range is cut out of (it shrinks)");
        Argument<string> receiver = Shared.File("RECEIVER", "the file the range is pasted into (it grows)");
        Option<long> donorOffset = Sizes.Option("--donor-offset", "start of the range in the donor");
        Option<long> receiverOffset = Sizes.Option("--receiver-offset", "where the range goes in the receiver");
        Option<long> length = Sizes.Option("--length", "number of bytes");
        Option<bool> zeroCopyOnly = Shared.ZeroCopyOnly();
        Option<bool> json = Shared.Json();
        Option<bool> verbose = Shared.Verbose();
        var command = new Command("splice", Shared.Describe(
            "Cut a range out of DONOR and paste it into RECEIVER at an offset: insert a hole, move the range in, collapse it out of DONOR. Crash-safe (see movdata recover).",
            "movdata splice take1.ts edit.ts --donor-offset 1G --receiver-offset 256M --length 64M --json"))
        {
            donor, receiver, donorOffset, receiverOffset, length, zeroCopyOnly, json, verbose,
        };
        command.SetAction(p => Shared.Guard(io, p.GetValue(verbose), p.GetValue(json), () =>
        {
            long total = p.GetValue(length);
            EditResult r = ProgressLine.Around(io, p.GetValue(json), 0, "splice", progress =>
                FileRange.Splice(p.GetValue(donor)!, p.GetValue(donorOffset), p.GetValue(receiver)!, p.GetValue(receiverOffset), total,
                    p.GetValue(zeroCopyOnly) ? MoveFlags.ZeroCopyOnly : MoveFlags.None, progress, io.Cancel));
            Shared.WriteEditResult(io, p.GetValue(json), "splice", total, r);
            return 0;
        }));
        return command;
    }
}
