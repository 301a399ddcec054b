using Microsoft.Win32.SafeHandles;
using System.CommandLine;

namespace MovData.Cli.Commands;

/// <summary>
/// The five verbs that take one file, an offset and a length: punch, zero, prealloc, collapse,
/// insert. They differ only in words and the library call (collapse and insert also take
/// --zero-copy-only and draw progress when they copy), so they share one factory here rather
/// than five copies of it.
/// </summary>
internal static class FileRangeCommands
{
    internal static Command Punch(Io io) => Create(io, "punch",
        "Deallocate a range; it reads as zeros and the size is unchanged.",
        "movdata punch rec.ts --offset 1M --length 4M", (h, o, l, _, _, _) => FileRange.PunchHole(h, o, l));

    internal static Command Zero(Io io) => Create(io, "zero",
        "Make a range read as zeros, size unchanged (fallocate ZERO_RANGE).",
        "movdata zero rec.ts --offset 0 --length 64k", (h, o, l, _, _, _) => FileRange.ZeroRange(h, o, l));

    internal static Command Prealloc(Io io) => Create(io, "prealloc",
        "Allocate unwritten space for a range; past the end, the file grows.",
        "movdata prealloc rec.ts --offset 0 --length 1G", (h, o, l, _, _, _) => FileRange.Preallocate(h, o, l));

    internal static Command Collapse(Io io) => Create(io, "collapse",
        "Remove a range; the rest shifts down and the file shrinks (native on XFS and ext4, clones on btrfs, else copying).",
        "movdata collapse rec.ts --offset 4M --length 1M", (h, o, l, f, p, c) => FileRange.Collapse(h, o, l, f, p, c), zeroCopyOption: true);

    internal static Command Insert(Io io) => Create(io, "insert",
        "Insert a hole; the rest shifts up and the file grows (native on XFS and ext4, clones on btrfs, else copying).",
        "movdata insert rec.ts --offset 4M --length 1M", (h, o, l, f, p, c) => FileRange.Insert(h, o, l, f, p, c), zeroCopyOption: true);

    private static Command Create(Io io, string verb, string summary, string example, Func<SafeFileHandle, long, long, MoveFlags, IProgress<EditProgress>?, CancellationToken, RangeResult> operation, bool zeroCopyOption = false)
    {
        Argument<string> file = Shared.File("FILE", "the file to change");
        Option<long> offset = Sizes.Option("--offset", "start of the range");
        Option<long> length = Sizes.Option("--length", "length of the range");
        Option<bool> json = Shared.Json();
        Option<bool> verbose = Shared.Verbose();
        Option<bool> zeroCopyOnly = Shared.ZeroCopyOnly();
        var command = new Command(verb, Shared.Describe(summary, example)) { file, offset, length, json, verbose };
        if (zeroCopyOption)
        {
            command.Options.Add(zeroCopyOnly);
        }
        command.SetAction(p => Shared.Guard(io, p.GetValue(verbose), p.GetValue(json), () =>
        {
            using SafeFileHandle h = FileRange.OpenForEdit(p.GetValue(file)!);
            // Only collapse and insert can take long (copying a tail where the filesystem cannot shift it).
            RangeResult r = ProgressLine.Around(io, p.GetValue(json), 0, verb, progress =>
                operation(h, p.GetValue(offset), p.GetValue(length), p.GetValue(zeroCopyOnly) ? MoveFlags.ZeroCopyOnly : MoveFlags.None, progress, io.Cancel));
            Shared.WriteRangeResult(io, p.GetValue(json), verb, r);
            return 0;
        }));
        return command;
    }
}
