using System.Globalization;
using Microsoft.Win32.SafeHandles;
using MovData;
using MovData.Edits;

// MovData.EditHost FILE [--remove OFFSET:LENGTH]... [--write OFFSET:LENGTH:BYTES]...
//
// Runs one padded cut of FILE, the edit a media format hands down, with the layout given:
// whole blocks removed at each OFFSET (in the file as it is), then the bytes of the file
// BYTES written at each OFFSET of the file as it is after the removals, repeated to fill
// LENGTH. No format writes more than a record's text should carry yet (an MP4 moov will), so
// the tests of large Write steps make one here, and kill it with MOVDATA_TEST_CRASH as they
// kill the movdata tool. Exit 0 done, 1 failed (the message on standard error).
if (args.Length < 1 || args.Length % 2 != 1)
{
    Console.Error.WriteLine("usage: MovData.EditHost FILE [--remove OFFSET:LENGTH]... [--write OFFSET:LENGTH:BYTES]...");
    return 2;
}
var removals = new List<BlockRemoval>();
var writes = new List<Patch>();
for (int i = 1; i < args.Length; i += 2)
{
    string[] w = args[i + 1].Split(':', 3);
    if (args[i] == "--remove")
    {
        removals.Add(new BlockRemoval(Number(w[0]), Number(w[1]), ToEnd: false));
    }
    else
    {
        writes.Add(new Patch(Number(w[0]), Number(w[1]), File.ReadAllBytes(w[2])));
    }
}
try
{
    using SafeFileHandle file = FileRange.OpenForEdit(args[0]);
    (EditResult result, _) = PaddedCut.Run(file, (_, _) => new CutLayout(removals, writes, Output: null), MoveFlags.None, progress: null, new EditTrace(), CancellationToken.None);
    Console.WriteLine(string.Join(", ", result.Steps.Select(s => $"{s.Step} {s.Method.ToContractName()}")));
    return 0;
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
{
    Console.Error.WriteLine($"MovData.EditHost: {e.Message}");
    return 1;
}

static long Number(string text) => long.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
