using MovData.Cli.Commands;
using System.Diagnostics;

namespace MovData.Cli.Demo;

/// <summary>
/// The seed's use case end to end: two recordings; open a hole in the second (insert), move a
/// segment of the first into it (FS_IOC_MOV_DATA), close the hole left in the first
/// (collapse); then check every block. Each step prints its method, its time and the maps.
/// </summary>
internal sealed class DemoScenario(Io io, string directory, long size)
{
    private const int B = Recording.Block;

    internal int Run()
    {
        FileSystemProbe probe = FileRange.Probe(directory);
        string take1 = Path.Combine(directory, "take1.ts"), take2 = Path.Combine(directory, "take2.ts");
        long length = Align(size / 4), from = Align(size * 3 / 8), at = Align(size / 2);
        io.Out.WriteLine($"MovData demo in {directory}");
        io.Out.WriteLine($"filesystem {probe.FsType}, block size {probe.BlockSize}; move here is {Describe(probe.Operations[RangeOperation.Move])}");
        io.Out.WriteLine();

        Step($"1. record take1.ts and take2.ts, {Sizes.Human(size)} each", () =>
        {
            Recording.Write(take1, 1, size);
            Recording.Write(take2, 2, size);
            return "written";
        });
        Maps(take1, take2);

        Step($"2. insert a {Sizes.Human(length)} hole into take2.ts at {Sizes.Human(at)}", () =>
        {
            using var h = FileRange.OpenForEdit(take2);
            return Describe(FileRange.Insert(h, at, length));
        });
        Maps(take2);

        MoveResult? moved = null;
        Step($"3. move take1.ts [{Sizes.Human(from)}, +{Sizes.Human(length)}) into the hole of take2.ts at {Sizes.Human(at)}", () =>
        {
            moved = FileRange.Move(take1, from, take2, at, length);
            return moved.BytesCopied == 0
                ? $"{moved.Method.ToContractName()}, no data copied"
                : $"{moved.Method.ToContractName()}: {probe.FsType} can only copy, {Sizes.Human(moved.BytesCopied)} copied";
        });
        Maps(take1, take2);

        Step($"4. collapse the hole out of take1.ts", () =>
        {
            using var h = FileRange.OpenForEdit(take1);
            return Describe(FileRange.Collapse(h, from, length));
        });
        Maps(take1);

        // What each file must hold now, block by block.
        long n = size / B, f = from / B, l = length / B, a = at / B;
        IEnumerable<(int, long)?> want1 = Recording.Blocks(1, 0, f).Concat(Recording.Blocks(1, f + l, n));
        IEnumerable<(int, long)?> want2 = Recording.Blocks(2, 0, a).Concat(Recording.Blocks(1, f, f + l)).Concat(Recording.Blocks(2, a, n));
        string? wrong = Recording.Check(take1, want1, n - l) ?? Recording.Check(take2, want2, n + l);
        if (wrong is not null)
        {
            io.Out.WriteLine($"check FAILED: {wrong}");
            return (int)ExitCode.Failed;
        }
        io.Out.WriteLine($"check: OK, every block of take1.ts and take2.ts is where it should be ({n - l + n + l} blocks read)");
        return 0;
    }

    private static long Align(long value) => value / B * B;

    private static string Describe(RangeResult r) => r.BytesCopied == 0
        ? $"{r.Method.ToContractName()}, no data copied"
        : $"{r.Method.ToContractName()}, {Sizes.Human(r.BytesCopied)} copied";

    private static string Describe(Support s) => s switch
    {
        Support.Native => "native (XFS exchange-range: atomic, no copying)",
        Support.Emulated => "emulated without copying (clone, then punch)",
        _ => "done by copying (this filesystem has no way to share blocks)",
    };

    private void Step(string title, Func<string> work)
    {
        var clock = Stopwatch.StartNew();
        string how = work();
        io.Out.WriteLine($"{title}: {how} ({clock.Elapsed.TotalMilliseconds:0.0} ms)");
    }

    private void Maps(params string[] files)
    {
        foreach (string file in files)
        {
            IReadOnlyList<Segment> map = FileRange.Map(file);
            int extents = map.Count(s => s.Kind == SegmentKind.Data);
            io.Out.WriteLine($"   {Path.GetFileName(file),-9}{MapCommand.Picture(map)}, {extents} data segment{(extents == 1 ? "" : "s")}");
        }
    }
}
