using System.CommandLine;

namespace MovData.Cli.Commands;

/// <summary>movdata defrag: copy to fresh space, exchange in (XFS exchange-range).</summary>
internal static class DefragCommand
{
    internal static Command Create(Io io)
    {
        Argument<string> file = Shared.File("FILE", "the file to defragment (must not be written meanwhile)");
        Option<bool> json = Shared.Json();
        Option<bool> verbose = Shared.Verbose();
        var command = new Command("defrag", Shared.Describe(
            "Rewrite a file's data into fresh contiguous space and swap it in atomically (XFS with exchange-range).",
            "movdata defrag /mnt/xfs/db/table.dat --json"))
        {
            file, json, verbose,
        };
        command.SetAction(p => Shared.Guard(io, p.GetValue(verbose), p.GetValue(json), () =>
        {
            string path = p.GetValue(file)!;
            DefragmentResult r = ProgressLine.Around(io, p.GetValue(json), new FileInfo(path).Length, "defrag", progress =>
                FileRange.Defragment(path, progress, io.Cancel));
            if (p.GetValue(json))
            {
                Shared.WriteJson(io, w =>
                {
                    w.WriteStartObject();
                    w.WriteNumber("extentsBefore", r.ExtentsBefore);
                    w.WriteNumber("extentsAfter", r.ExtentsAfter);
                    w.WriteNumber("bytesCopied", r.BytesCopied);
                    w.WriteEndObject();
                });
            }
            else
            {
                io.Out.WriteLine($"defragmented: {r.ExtentsBefore} extents before, {r.ExtentsAfter} after, {r.BytesCopied} bytes copied");
            }
            return 0;
        }));
        return command;
    }
}
