using System.CommandLine;

namespace MovData.Cli.Commands;

/// <summary>movdata concat: one new file from ranges of others.</summary>
internal static class ConcatCommand
{
    internal static Command Create(Io io)
    {
        Argument<string> output = Shared.File("OUTPUT", "the file to create (it must not exist)");
        Argument<string[]> parts = new("PART") { Description = "PATH, or PATH:OFFSET:LENGTH (sizes take units), in order", Arity = ArgumentArity.OneOrMore };
        Option<bool> move = new("--move") { Description = "move the parts' ranges instead of cloning them: the parts are left empty" };
        Option<bool> zeroCopyOnly = Shared.ZeroCopyOnly();
        Option<bool> json = Shared.Json();
        Option<bool> verbose = Shared.Verbose();
        var command = new Command("concat", Shared.Describe(
            "Build OUTPUT from ranges of other files, in order: aligned parts by clone (or --move), the rest by copying. OUTPUT appears whole or not at all.",
            "movdata concat movie.mp4 part1:0:64M part2 part3:4k:1M --move"))
        {
            output, parts, move, zeroCopyOnly, json, verbose,
        };
        command.SetAction(p => Shared.Guard(io, p.GetValue(verbose), p.GetValue(json), () =>
        {
            List<ConcatPart> list = [.. p.GetValue(parts)!.Select(Parse)];
            EditResult r = ProgressLine.Around(io, p.GetValue(json), 0, "concat", progress =>
                FileRange.Concat(p.GetValue(output)!, list, p.GetValue(move), p.GetValue(zeroCopyOnly) ? MoveFlags.ZeroCopyOnly : MoveFlags.None, progress, io.Cancel));
            long length = new FileInfo(p.GetValue(output)!).Length;
            Shared.WriteEditResult(io, p.GetValue(json), "concat", length, r);
            return 0;
        }));
        return command;
    }

    /// <summary>PATH or PATH:OFFSET:LENGTH; a path may itself hold colons, so the two numbers
    /// are taken from the right, and only if both parse.</summary>
    internal static ConcatPart Parse(string spec)
    {
        string[] w = spec.Split(':');
        if (w.Length >= 3 && Sizes.Parse(w[^2]) is { } offset && Sizes.Parse(w[^1]) is { } length)
        {
            return new ConcatPart(string.Join(':', w[..^2]), offset, length);
        }
        return new ConcatPart(spec);
    }
}
