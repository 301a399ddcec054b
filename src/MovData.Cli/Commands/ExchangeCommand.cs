using Microsoft.Win32.SafeHandles;
using System.CommandLine;

namespace MovData.Cli.Commands;

/// <summary>movdata exchange: XFS_IOC_EXCHANGE_RANGE, the seed's enhancement 3.</summary>
internal static class ExchangeCommand
{
    internal static Command Create(Io io)
    {
        Argument<string> file1 = Shared.File("FILE1", "one file");
        Argument<string> file2 = Shared.File("FILE2", "the other file (may be FILE1)");
        Option<long> offset1 = Sizes.Option("--offset1", "block-aligned start in FILE1");
        Option<long> offset2 = Sizes.Option("--offset2", "block-aligned start in FILE2");
        Option<long> length = Sizes.Option("--length", "block-aligned number of bytes");
        Option<bool> json = Shared.Json();
        Option<bool> verbose = Shared.Verbose();
        var command = new Command("exchange", Shared.Describe(
            "Swap two ranges atomically (XFS with exchange-range only).",
            "movdata exchange a.db b.db --offset1 0 --offset2 0 --length 8M"))
        {
            file1, file2, offset1, offset2, length, json, verbose,
        };
        command.SetAction(p => Shared.Guard(io, p.GetValue(verbose), p.GetValue(json), () =>
        {
            using SafeFileHandle a = FileRange.OpenForEdit(p.GetValue(file1)!);
            using SafeFileHandle b = FileRange.OpenForEdit(p.GetValue(file2)!);
            RangeResult r = FileRange.Exchange(a, p.GetValue(offset1), b, p.GetValue(offset2), p.GetValue(length));
            Shared.WriteRangeResult(io, p.GetValue(json), "exchange", r);
            return 0;
        }));
        return command;
    }
}
