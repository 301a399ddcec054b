using Microsoft.Win32.SafeHandles;
using System.CommandLine;

namespace MovData.Cli.Commands;

/// <summary>movdata clone: FICLONERANGE, the seed's enhancement 1.</summary>
internal static class CloneCommand
{
    internal static Command Create(Io io)
    {
        Argument<string> source = Shared.File("SOURCE", "the file whose blocks are shared");
        Argument<string> destination = Shared.File("DESTINATION", "the file that receives them");
        Option<long> sourceOffset = Sizes.Option("--source-offset", "block-aligned start in SOURCE");
        Option<long> destinationOffset = Sizes.Option("--destination-offset", "block-aligned start in DESTINATION");
        Option<long> length = Sizes.Option("--length", "block-aligned number of bytes");
        Option<bool> json = Shared.Json();
        Option<bool> verbose = Shared.Verbose();
        var command = new Command("clone", Shared.Describe(
            "Share a range of SOURCE into DESTINATION without copying (XFS reflink, btrfs).",
            "movdata clone a.mp4 b.mp4 --source-offset 0 --destination-offset 32k --length 1M"))
        {
            source, destination, sourceOffset, destinationOffset, length, json, verbose,
        };
        command.SetAction(p => Shared.Guard(io, p.GetValue(verbose), p.GetValue(json), () =>
        {
            using SafeFileHandle s = File.OpenHandle(p.GetValue(source)!, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using SafeFileHandle d = FileRange.OpenForEdit(p.GetValue(destination)!);
            RangeResult r = FileRange.Clone(s, p.GetValue(sourceOffset), d, p.GetValue(destinationOffset), p.GetValue(length));
            Shared.WriteRangeResult(io, p.GetValue(json), "clone", r);
            return 0;
        }));
        return command;
    }
}
