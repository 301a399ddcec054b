using System.CommandLine;

namespace MovData.Cli.Commands;

/// <summary>movdata move: the seed's FS_IOC_MOV_DATA.</summary>
internal static class MoveCommand
{
    internal static Command Create(Io io)
    {
        Argument<string> donor = Shared.File("DONOR", "the file the data leaves (a hole is left behind)");
        Argument<string> receiver = Shared.File("RECEIVER", "the file the data arrives in, into a hole");
        Option<long> donorOffset = Sizes.Option("--donor-offset", "block-aligned start in the donor");
        Option<long> receiverOffset = Sizes.Option("--receiver-offset", "block-aligned start of the hole in the receiver");
        Option<long> length = Sizes.Option("--length", "block-aligned number of bytes");
        Option<bool> zeroCopyOnly = Shared.ZeroCopyOnly();
        Option<bool> json = Shared.Json();
        Option<bool> verbose = Shared.Verbose();
        var command = new Command("move", Shared.Describe(
            "Move a block-aligned range of DONOR into a hole of RECEIVER, leaving a hole in DONOR; sizes unchanged.",
            "movdata move take1.ts edit.ts --donor-offset 1G --receiver-offset 256M --length 64M --json"))
        {
            donor, receiver, donorOffset, receiverOffset, length, zeroCopyOnly, json, verbose,
        };
        command.SetAction(p => Shared.Guard(io, p.GetValue(verbose), p.GetValue(json), () =>
        {
            long total = p.GetValue(length);
            MoveResult r = ProgressLine.Around(io, p.GetValue(json), total, "move", progress =>
                FileRange.Move(p.GetValue(donor)!, p.GetValue(donorOffset), p.GetValue(receiver)!, p.GetValue(receiverOffset), total,
                    p.GetValue(zeroCopyOnly) ? MoveFlags.ZeroCopyOnly : MoveFlags.None, progress, io.Cancel));
            Shared.ReportRecovered(io, r.Recovered);
            if (p.GetValue(json))
            {
                Shared.WriteJson(io, w =>
                {
                    w.WriteStartObject();
                    w.WriteNumber("movedLength", r.MovedLength);
                    w.WriteString("method", r.Method.ToContractName());
                    w.WriteNumber("bytesCopied", r.BytesCopied);
                    Shared.WriteRecovered(w, r.Recovered);
                    w.WriteEndObject();
                });
            }
            else
            {
                io.Out.WriteLine($"moved {r.MovedLength} bytes ({Sizes.Human(r.MovedLength)}) by {r.Method.ToContractName()}, {r.BytesCopied} bytes copied");
            }
            return 0;
        }));
        return command;
    }
}
