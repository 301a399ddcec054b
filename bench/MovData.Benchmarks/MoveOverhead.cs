using BenchmarkDotNet.Attributes;
using Microsoft.Win32.SafeHandles;
using MovData.Native;

namespace MovData.Benchmarks;

/// <summary>
/// What MovData's own work costs on top of the kernel's: FileRange.Move (validation, the
/// receiver-hole check, the segment walk, the cached capability lookup) against the bare
/// syscalls its clone-punch mechanism makes (FICLONERANGE, fsync, punch, fdatasync), on the
/// filesystem in MOVDATA_BENCH_DIR (XFS with reflink). Each invocation moves the range the
/// other way, so the files are always ready for the next.
/// </summary>
[MemoryDiagnoser]
public class MoveOverhead
{
    private SafeFileHandle _a = null!, _b = null!;
    private bool _forward = true;
    private string _dir = null!;

    [Params(4096, 1 << 20)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string root = Environment.GetEnvironmentVariable("MOVDATA_BENCH_DIR")
            ?? throw new InvalidOperationException("set MOVDATA_BENCH_DIR to a directory on XFS with reflink");
        _dir = Path.Combine(root, $"bdn-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_dir);
        _a = File.OpenHandle(Path.Combine(_dir, "a"), FileMode.CreateNew, FileAccess.ReadWrite);
        _b = File.OpenHandle(Path.Combine(_dir, "b"), FileMode.CreateNew, FileAccess.ReadWrite);
        byte[] data = new byte[Size];
        new Random(1).NextBytes(data);
        RandomAccess.Write(_a, data, 0);
        RandomAccess.FlushToDisk(_a);
        RandomAccess.SetLength(_b, Size);
        if (FileRange.Move(_a, 0, _b, 0, Size).Method != MoveMethod.ClonePunch)
        {
            throw new InvalidOperationException("MOVDATA_BENCH_DIR must be XFS with reflink (no exchange-range): this compares clone-punch");
        }
        _forward = false;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _a.Dispose();
        _b.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public void BareSyscalls()
    {
        (SafeFileHandle from, SafeFileHandle to) = _forward ? (_a, _b) : (_b, _a);
        _forward = !_forward;
        Check(Interop.CloneRange(from, 0, to, 0, Size));
        Check(Interop.FSync(to));
        Check(Interop.Fallocate(from, Interop.FALLOC_FL_PUNCH_HOLE | Interop.FALLOC_FL_KEEP_SIZE, 0, Size));
        Check(Interop.FDataSync(from));
    }

    [Benchmark]
    public MoveResult FileRangeMove()
    {
        (SafeFileHandle from, SafeFileHandle to) = _forward ? (_a, _b) : (_b, _a);
        _forward = !_forward;
        return FileRange.Move(from, 0, to, 0, Size);
    }

    private static void Check(int errno)
    {
        if (errno != 0)
        {
            throw new IOException($"errno {errno}");
        }
    }
}
