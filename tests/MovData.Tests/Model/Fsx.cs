using Microsoft.Win32.SafeHandles;
using MovData.Tests.Harness;

namespace MovData.Tests.Model;

/// <summary>One random operation: files by index, offsets, a length, and the seed of any bytes it writes.</summary>
public sealed record Op(string Kind, int F, int G, long Off, long Off2, long Len, int Seed)
{
    public override string ToString() => Kind switch
    {
        "write" or "punch" or "zero" or "prealloc" or "collapse" or "insert" => $"{Kind} f{F} {Off} {Len}",
        "truncate" => $"truncate f{F} {Len}",
        _ => $"{Kind} f{F} {Off} -> f{G} {Off2} {Len}",
    };
}

/// <summary>
/// A model checker in the spirit of xfstests' fsx: random operations on a few files of one
/// filesystem, each mirrored on an in-memory model of every file's bytes and block states.
/// After each operation it compares sizes and the touched bytes, and whether a refusal was
/// predicted; every <see cref="FullCheckEvery"/> operations it compares every file whole and
/// the holes and data the model is sure of. Offsets and lengths are drawn to hit the edges:
/// block boundaries, end of file, one block past it, zero, negative and near-2^63 values.
/// A failure names the seed and the operation log, shrunk to a small failing sequence.
/// </summary>
public sealed class Fsx(ScratchDir dir, int files = 3)
{
    private const int B = FileModel.B;
    private const int MaxBlocks = 48;
    public const int FullCheckEvery = 20;

    // "move-hole" is a Move aimed, when it runs, at a hole the model knows of: random offsets
    // alone almost always land on data, and the checker must see Moves succeed as well as refused.
    private static readonly string[] Kinds = ["write", "write", "truncate", "punch", "zero", "prealloc", "collapse", "insert", "clone", "exchange", "move", "move-hole", "move-hole", "splice"];

    /// <summary>Per operation kind: how many succeeded, were refused as predicted, or were
    /// skipped because the model could not know the outcome (last <see cref="Run"/> only).</summary>
    public Dictionary<string, (int Done, int Refused, int Skipped)> Stats { get; } = [];

    private void Count(string kind, int done, int refused, int skipped)
    {
        (int d, int r, int s) = Stats.GetValueOrDefault(kind);
        Stats[kind] = (d + done, r + refused, s + skipped);
    }

    public static List<Op> Generate(int seed, int count)
    {
        var rng = new Random(seed);
        var ops = new List<Op>(count);
        for (int i = 0; i < count; i++)
        {
            string kind = Kinds[rng.Next(Kinds.Length)];
            int f = rng.Next(3), g = rng.Next(3);
            ops.Add(new Op(kind, f, g, Offset(rng, kind), Offset(rng, kind), Length(rng, kind), rng.Next()));
        }
        return ops;
    }

    private static long Offset(Random rng, string kind) => rng.Next(20) switch
    {
        0 => -B,
        1 => long.MaxValue - (B - 1),
        2 or 3 => rng.Next(MaxBlocks * B),                 // anywhere, unaligned
        4 => rng.Next(MaxBlocks) * (long)B + (kind == "write" ? 0 : 512),
        _ => rng.Next(MaxBlocks) * (long)B,                // block boundaries, most often
    };

    private static long Length(Random rng, string kind) => rng.Next(20) switch
    {
        0 => 0,
        1 => long.MaxValue - (B - 1),
        2 or 3 => 1 + rng.Next(8 * B),
        _ => (1 + rng.Next(kind == "write" ? 8 : 16)) * (long)B,
    };

    /// <summary>Runs <paramref name="ops"/> on fresh files; returns null, or what went wrong and at which step.</summary>
    public (int Step, string Problem)? Run(IReadOnlyList<Op> ops)
    {
        Stats.Clear();
        var models = new FileModel[files];
        for (int i = 0; i < files; i++)
        {
            models[i] = new FileModel(dir.File($"fsx{i}-{Guid.NewGuid():N}"));
            File.WriteAllBytes(models[i].Path, []);
        }
        try
        {
            for (int step = 0; step < ops.Count; step++)
            {
                string? problem = Step(ops[step], models);
                if (problem is null && (step + 1) % FullCheckEvery == 0)
                {
                    problem = FullCheck(models);
                }
                if (problem is not null)
                {
                    return (step, problem);
                }
            }
            return FullCheck(models) is string last ? (ops.Count - 1, last) : null;
        }
        finally
        {
            foreach (FileModel m in models)
            {
                File.Delete(m.Path);
            }
        }
    }

    /// <summary>Removes operations while the failure stays, largest chunks first (delta debugging).</summary>
    public List<Op> Shrink(List<Op> ops)
    {
        (int step, _) = Run(ops) ?? throw new InvalidOperationException("nothing to shrink: the sequence passes");
        ops = ops.Take(step + 1).ToList();
        for (int chunk = Math.Max(1, ops.Count / 2); chunk >= 1; chunk /= 2)
        {
            for (int start = 0; start < ops.Count;)
            {
                var candidate = ops.Take(start).Concat(ops.Skip(start + chunk)).ToList();
                if (candidate.Count > 0 && Run(candidate) is (int s, _))
                {
                    ops = candidate.Take(s + 1).ToList();
                }
                else
                {
                    start += chunk;
                }
            }
        }
        return ops;
    }

    private string? Step(Op op, FileModel[] models)
    {
        if (op.Kind == "move-hole")
        {
            op = AimAtHole(op, models) ?? op;
            if (op.Kind == "move-hole")
            {
                Count("move", 0, 0, 1);
                return null;
            }
        }
        FileModel f = models[op.F], g = models[op.G];
        Snapshot[] before = [.. models.Select(m => Files.Take(m.Path))];
        Type? expected;
        try
        {
            expected = Predict(op, f, g);
        }
        catch (SkipOp)
        {
            Count(op.Kind, 0, 0, 1);
            return null;
        }
        Type? actual = null;
        try
        {
            Execute(op, f, g);
        }
        catch (Exception e) when (e is ContractViolationException or FileSystemNotSupportedException or UnauthorizedAccessException or IOException)
        {
            actual = e.GetType();
            if (expected != actual)
            {
                return $"{op}: expected {(expected?.Name ?? "success")}, got {e.GetType().Name}: {e.Message}";
            }
        }
        Count(op.Kind, expected is null ? 1 : 0, expected is null ? 0 : 1, 0);
        if (expected is not null)
        {
            if (actual is null)
            {
                return $"{op}: expected {expected.Name}, but it succeeded";
            }
            // A refusal changes nothing.
            for (int i = 0; i < models.Length; i++)
            {
                if (Files.Take(models[i].Path) != before[i])
                {
                    return $"{op}: refused, yet file {i} changed";
                }
            }
            return null;
        }
        foreach (FileModel m in new[] { f, g }.Distinct())
        {
            long size = new FileInfo(m.Path).Length;
            if (size != m.Size)
            {
                return $"{op}: f{Array.IndexOf(models, m)} size {size}, model {m.Size}";
            }
            if (!Files.ReadAll(m.Path).AsSpan().SequenceEqual(m.Bytes))
            {
                return $"{op}: f{Array.IndexOf(models, m)} bytes differ from the model";
            }
        }
        return null;
    }

    /// <summary>Every file whole, and every block whose state the model is sure of.</summary>
    private static string? FullCheck(FileModel[] models)
    {
        for (int i = 0; i < models.Length; i++)
        {
            FileModel m = models[i];
            if (new FileInfo(m.Path).Length != m.Size || !Files.ReadAll(m.Path).AsSpan().SequenceEqual(m.Bytes))
            {
                return $"full check: f{i} bytes or size differ from the model";
            }
            // The filesystem's own extent map where it has one: SEEK_DATA also calls data what
            // XFS holds in its copy-on-write fork over a hole once pages are cached, which is
            // not the file's layout.
            using SafeFileHandle h = File.OpenHandle(m.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            List<(long Offset, long Length)> data = [.. FileRange.Map(h).Where(x => x.Kind == SegmentKind.Data).Select(x => (x.Offset, x.Length))];
            for (int b = 0; b < m.States.Count; b++)
            {
                long start = (long)b * B, end = Math.Min(start + B, m.Size);
                bool isData = data.Any(d => d.Offset < end && d.Offset + d.Length > start);
                if (m.States[b] == BlockState.Data && !isData)
                {
                    return $"full check: f{i} block {b} should hold data but is a hole";
                }
                if (m.States[b] == BlockState.Hole && isData)
                {
                    return $"full check: f{i} block {b} should be a hole but holds data";
                }
            }
        }
        return null;
    }

    private sealed class SkipOp : Exception;

    /// <summary>A valid Move of whole blocks from f into a run of known holes in g, chosen from
    /// the op's numbers and the model's state (so a replay chooses the same), or null.</summary>
    private static Op? AimAtHole(Op op, FileModel[] models)
    {
        FileModel f = models[op.F], g = models[op.G];
        int donorBlocks = (int)(f.Size / B), receiverBlocks = (int)(g.Size / B);
        if (donorBlocks == 0 || receiverBlocks == 0)
        {
            return null;
        }
        int length = 1 + (int)(Math.Abs(op.Len % 8));
        if (length > donorBlocks)
        {
            length = donorBlocks;
        }
        int donorAt = (int)(Math.Abs(op.Off / B) % (donorBlocks - length + 1));
        int from = (int)(Math.Abs(op.Off2 / B) % receiverBlocks);
        for (int i = 0; i < receiverBlocks; i++)
        {
            int at = (from + i) % receiverBlocks;
            if (at + length > receiverBlocks)
            {
                continue;
            }
            bool holes = Enumerable.Range(at, length).All(b => g.States[b] == BlockState.Hole);
            bool apart = op.F != op.G || at + length <= donorAt || donorAt + length <= at;
            if (holes && apart)
            {
                return op with { Kind = "move", Off = (long)donorAt * B, Off2 = (long)at * B, Len = (long)length * B };
            }
        }
        return null;
    }

    private static bool Aligned(params long[] values) => values.All(v => v % B == 0);

    private static bool Overflows(long offset, long length) => offset > long.MaxValue - length;

    /// <summary>offset + length, saturating at 2^63-1 instead of wrapping.</summary>
    private static long Sum(long offset, long length) => Overflows(offset, length) ? long.MaxValue : offset + length;

    /// <summary>
    /// What the contract says of <paramref name="op"/> on the model: null if it must succeed
    /// (and the model is updated), else the exception type it must be refused with (and the
    /// model is left alone). Operations whose outcome the model cannot know are skipped.
    /// </summary>
    private Type? Predict(Op op, FileModel f, FileModel g)
    {
        FsKind fs = dir.Kind;
        Type cv = typeof(ContractViolationException), ns = typeof(FileSystemNotSupportedException);
        long off = op.Off, off2 = op.Off2, len = op.Len;
        switch (op.Kind)
        {
            case "write":
                if (off < 0 || len <= 0 || Overflows(off, len) || off + len > MaxBlocks * B)
                {
                    throw new SkipOp();
                }
                f.Write(off, Data(op));
                return null;
            case "truncate":
                if (len < 0 || len > MaxBlocks * B)
                {
                    throw new SkipOp();
                }
                if (len < f.Size)
                {
                    // Whole blocks past the new end go. The block the new end falls in has its
                    // tail zeroed, which some filesystems (btrfs) do by writing it: a hole
                    // there may become data.
                    f.Resize(len, BlockState.Hole);
                    if (len % B != 0 && f.States[^1] == BlockState.Hole)
                    {
                        f.States[^1] = BlockState.Unknown;
                    }
                }
                else
                {
                    // Space some filesystems hold past end of file (speculative preallocation,
                    // KEEP_SIZE allocations) may come back into view: not knowable.
                    f.Resize(len, BlockState.Unknown);
                }
                return null;
            case "punch" or "zero" or "prealloc":
                if (off < 0 || len <= 0 || Overflows(off, len))
                {
                    return cv;
                }
                if (op.Kind == "zero" && !fs.ZeroRange)
                {
                    return ns;
                }
                if (off + len > MaxBlocks * B * 2)
                {
                    throw new SkipOp(); // valid, but too large for the model's arrays
                }
                if (op.Kind == "punch")
                {
                    // Whole blocks are freed. A partly covered block is zeroed in place, and
                    // btrfs does that by writing it, so a hole there may become data.
                    f.Clear(off, off + len, BlockState.Hole, BlockState.Unknown);
                }
                else if (op.Kind == "zero")
                {
                    f.Clear(off, off + len, BlockState.Unknown, BlockState.Unknown);
                }
                else
                {
                    // Preallocated space reads as zeros: bytes stay, states become unknowable.
                    if (off + len > f.Size)
                    {
                        f.Resize(off + len, BlockState.Unknown);
                    }
                    for (long b = off / B; b < FileModel.Blocks(off + len); b++)
                    {
                        if (f.States[(int)b] != BlockState.Data)
                        {
                            f.States[(int)b] = BlockState.Unknown;
                        }
                    }
                }
                return null;
            case "collapse":
                if (off < 0 || len <= 0 || Overflows(off, len) || off + len >= f.Size)
                {
                    return cv;
                }
                // Native on XFS and ext4 when aligned: extents shift exactly. Anything else
                // (byte-granular edges, btrfs clones, tmpfs copies) keeps the bytes exact.
                if (fs.CollapseInsert && Aligned(off, len))
                {
                    f.Remove(off, len);
                }
                else
                {
                    f.RemoveBytes(off, len);
                }
                return null;
            case "insert":
                if (off < 0 || len <= 0 || off >= f.Size || Overflows(f.Size, len))
                {
                    return cv;
                }
                if (f.Size + len > MaxBlocks * B * 2)
                {
                    throw new SkipOp();
                }
                if (fs.CollapseInsert && Aligned(off, len))
                {
                    f.InsertHole(off, len);
                }
                else
                {
                    f.InsertZeros(off, len);
                }
                return null;
            case "splice":
                return PredictSplice(op, f, g, cv);
            case "clone" or "exchange" or "move":
                return PredictPair(op, f, g, cv, ns);
            default:
                throw new InvalidOperationException(op.Kind);
        }
    }

    private Type? PredictPair(Op op, FileModel f, FileModel g, Type cv, Type ns)
    {
        FsKind fs = dir.Kind;
        long off = op.Off, off2 = op.Off2, len = op.Len;
        bool same = ReferenceEquals(f, g);
        if (off < 0 || off2 < 0)
        {
            return cv;
        }
        if (len <= 0 || !Aligned(off, off2, len))
        {
            return cv;
        }
        // The validator checks the ranges against sizes before overlap for Move, and overlap
        // first for Clone and Exchange; both are the contract's refusals, so either order is
        // one ContractViolationException.
        bool overlap = same && off < Sum(off2, len) && off2 < Sum(off, len);
        switch (op.Kind)
        {
            case "clone":
                if (overlap || Overflows(off, len) || off + len > f.Size)
                {
                    return cv;
                }
                if (!fs.Reflink)
                {
                    return ns;
                }
                if (off2 > g.Size)
                {
                    throw new SkipOp(); // cloning past a gap beyond end of file: not the contract's business
                }
                byte[] bytes = f.Slice(off, len);
                BlockState[] states = f.StateSlice(off, len).Select(s => s == BlockState.Data ? BlockState.Data : BlockState.Unknown).ToArray();
                if (off2 + len > g.Size)
                {
                    g.Resize(off2 + len, BlockState.Unknown);
                }
                g.Put(off2, bytes, states);
                return null;
            case "exchange":
                if (overlap || Overflows(off, len) || Overflows(off2, len) || off + len > f.Size || off2 + len > g.Size)
                {
                    return cv;
                }
                if (!fs.Exchange)
                {
                    return ns;
                }
                byte[] a = f.Slice(off, len), b = g.Slice(off2, len);
                BlockState[] sa = f.StateSlice(off, len), sb = g.StateSlice(off2, len);
                f.Put(off, b, sb);
                g.Put(off2, a, sa);
                return null;
            default: // move: f is the donor, g the receiver
                if (Overflows(off, len) || Overflows(off2, len) || off + len > f.Size || off2 + len > g.Size || overlap)
                {
                    return cv;
                }
                BlockState[] receiver = g.StateSlice(off2, len);
                if (receiver.Contains(BlockState.Data))
                {
                    return cv;
                }
                if (receiver.Contains(BlockState.Unknown))
                {
                    throw new SkipOp(); // preallocated or not: the model cannot say whether rule 2 holds
                }
                byte[] moved = f.Slice(off, len);
                BlockState[] movedStates = f.StateSlice(off, len).Select(s => s == BlockState.Hole ? BlockState.Hole : s == BlockState.Data ? BlockState.Data : BlockState.Unknown).ToArray();
                f.Put(off, new byte[len], [.. Enumerable.Repeat(BlockState.Hole, (int)(len / B))]);
                g.Put(off2, moved, movedStates);
                return null;
        }
    }

    /// <summary>Splice f [off, +len) into g at off2: byte-granular, on every filesystem; the
    /// bytes are exact, the block states from each edit on unknowable (copied edges, shifted
    /// tails written by copying or cloning).</summary>
    private static Type? PredictSplice(Op op, FileModel f, FileModel g, Type cv)
    {
        long off = op.Off, off2 = op.Off2, len = op.Len;
        if (ReferenceEquals(f, g) || off < 0 || off2 < 0 || len <= 0 || off > f.Size - len || off2 > g.Size || g.Size > long.MaxValue - len)
        {
            return cv;
        }
        if (g.Size + len > MaxBlocks * B * 2)
        {
            throw new SkipOp();
        }
        byte[] moved = f.Slice(off, len);
        f.RemoveBytes(off, len);
        g.InsertBytes(off2, moved);
        return null;
    }

    private static byte[] Data(Op op)
    {
        var bytes = new byte[op.Len];
        new Random(op.Seed).NextBytes(bytes);
        return bytes;
    }

    private static void Execute(Op op, FileModel f, FileModel g)
    {
        switch (op.Kind)
        {
            case "write":
                using (SafeFileHandle h = Files.OpenRw(f.Path))
                {
                    RandomAccess.Write(h, Data(op), op.Off);
                }
                return;
            case "truncate":
                using (SafeFileHandle h = Files.OpenRw(f.Path))
                {
                    RandomAccess.SetLength(h, op.Len);
                }
                return;
            case "punch" or "zero" or "prealloc" or "collapse" or "insert":
                using (SafeFileHandle h = Files.OpenRw(f.Path))
                {
                    _ = op.Kind switch
                    {
                        "punch" => FileRange.PunchHole(h, op.Off, op.Len),
                        "zero" => FileRange.ZeroRange(h, op.Off, op.Len),
                        "prealloc" => FileRange.Preallocate(h, op.Off, op.Len, keepSize: false),
                        "collapse" => FileRange.Collapse(h, op.Off, op.Len),
                        _ => FileRange.Insert(h, op.Off, op.Len),
                    };
                }
                return;
            default:
                using (SafeFileHandle a = Files.OpenRw(f.Path), b = Files.OpenRw(g.Path))
                {
                    _ = op.Kind switch
                    {
                        "clone" => FileRange.Clone(a, op.Off, b, op.Off2, op.Len),
                        "exchange" => FileRange.Exchange(a, op.Off, b, op.Off2, op.Len),
                        "splice" => FileRange.Splice(a, op.Off, b, op.Off2, op.Len),
                        _ => (object)FileRange.Move(a, op.Off, b, op.Off2, op.Len),
                    };
                }
                return;
        }
    }
}
