using System.CommandLine;

namespace MovData.Cli.Commands;

/// <summary>movdata probe: what the filesystem holding PATH can do.</summary>
internal static class ProbeCommand
{
    /// <summary>The operations, in the order and spelling the JSON uses.</summary>
    private static readonly (string Name, RangeOperation Operation)[] Operations =
    [
        ("move", RangeOperation.Move), ("clone", RangeOperation.Clone), ("exchange", RangeOperation.Exchange),
        ("collapse", RangeOperation.Collapse), ("insert", RangeOperation.Insert), ("punch", RangeOperation.Punch),
        ("zero", RangeOperation.Zero), ("prealloc", RangeOperation.Preallocate), ("defrag", RangeOperation.Defragment),
    ];

    internal static Command Create(Io io)
    {
        Argument<string> path = Shared.File("PATH", "a file or directory on the filesystem to probe");
        Option<bool> json = Shared.Json();
        Option<bool> verbose = Shared.Verbose();
        var command = new Command("probe", Shared.Describe(
            "Report the filesystem type, block size, and for each operation: native, emulated, copy or unsupported.",
            "movdata probe /mnt/media --json"))
        {
            path, json, verbose,
        };
        command.SetAction(p => Shared.Guard(io, p.GetValue(verbose), p.GetValue(json), () =>
        {
            FileSystemProbe probe = FileRange.Probe(p.GetValue(path)!);
            if (p.GetValue(json))
            {
                Shared.WriteJson(io, w =>
                {
                    w.WriteStartObject();
                    w.WriteString("fsType", probe.FsType);
                    w.WriteNumber("blockSize", probe.BlockSize);
                    w.WriteBoolean("readOnly", probe.ReadOnly);
                    w.WriteStartObject("operations");
                    foreach ((string name, RangeOperation op) in Operations)
                    {
                        w.WriteString(name, probe.Operations[op].ToContractName());
                    }
                    w.WriteEndObject();
                    w.WriteEndObject();
                });
                return 0;
            }
            io.Out.WriteLine($"filesystem {probe.FsType}, block size {probe.BlockSize}{(probe.ReadOnly ? ", mounted read-only: nothing can be edited" : "")}");
            foreach ((string name, RangeOperation op) in Operations)
            {
                io.Out.WriteLine($"  {name,-9} {probe.Operations[op].ToContractName()}");
            }
            return 0;
        }));
        return command;
    }
}
