using BenchmarkDotNet.Running;

// In-process micro-benchmarks: FileRange.Move against the bare syscalls of its mechanism.
//   MOVDATA_BENCH_DIR=/var/tmp/movdata-scratch/mnt/xfs dotnet run -c Release --project bench/MovData.Benchmarks
BenchmarkSwitcher.FromAssembly(typeof(MovData.Benchmarks.MoveOverhead).Assembly).Run(args);
