using System.CommandLine;

namespace MovData.Cli.Commands;

/// <summary>movdata probe: what the filesystem holding PATH can do.</summary>
internal static class ProbeCommand
{
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
                    foreach (RangeOperation op in Enum.GetValues<RangeOperation>())
                    {
                        w.WriteString(op.ToContractName(), probe.Operations[op].ToContractName());
                    }
                    w.WriteEndObject();
                    w.WriteEndObject();
                });
                return 0;
            }
            io.Out.WriteLine($"filesystem {probe.FsType}, block size {probe.BlockSize}{(probe.ReadOnly ? ", mounted read-only: nothing can be edited" : "")}");
            foreach (RangeOperation op in Enum.GetValues<RangeOperation>())
            {
                io.Out.WriteLine($"  {op.ToContractName(),-9} {probe.Operations[op].ToContractName()}");
            }
            return 0;
        }));
        return command;
    }
}
