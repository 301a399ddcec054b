#!/usr/bin/env bash
# The benchmark harness, one command (as root: it loop-mounts its own scratch filesystems).
#
#   sudo bench/run.sh            full run: every contender, 4 KiB to 4 GiB, on xfs, xfs-exchange,
#                                btrfs, ext4 and tmpfs; fragmentation 1 to 100,000 extents;
#                                writes bench/results/latest/ and docs/benchmarks.md + plots
#   sudo bench/run.sh --smoke    tiny sizes, one run, results under artifacts/: what CI runs
#
# Extra arguments go to the scenario runner (bench/MovData.Bench), e.g. --fs xfs,ext4 --runs 9.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench/run.sh: run as root (it mounts loop images)" >&2; exit 1; }

bash eng/deps.sh

if [ "${1:-}" = "--smoke" ]; then
  shift
  root=/var/tmp/movdata-bench-smoke
  export MOVDATA_IMAGE_SIZE=1G MOVDATA_TMPFS_SIZE=1g
  runner_args=(--sizes 4k,1M --runs 1 --extents 1,100 --fragmented-size 4M --out artifacts/bench-smoke)
else
  root=/var/tmp/movdata-bench
  # Room for a 4 GiB range copied next to itself, on every filesystem.
  export MOVDATA_IMAGE_SIZE=12G MOVDATA_TMPFS_SIZE=10g
  runner_args=(--out bench/results/latest --docs docs)
fi

dotnet publish src/MovData.Cli -c Release -o artifacts/aot -nologo -v quiet
dotnet build bench/MovData.Bench -c Release -nologo -v quiet

trap 'bash eng/scratch-fs.sh down "$root"' EXIT
trap 'exit 130' INT TERM
line=$(bash eng/scratch-fs.sh up "$root")
export "${line?}"
dotnet run --project bench/MovData.Bench -c Release --no-build -- --tool artifacts/aot/movdata "${runner_args[@]}" "$@"

# Full runs also measure MovData's in-process overhead against its bare syscalls with
# BenchmarkDotNet, on the xfs scratch mount, into docs/benchmarks-overhead.md.
if [ "$root" = /var/tmp/movdata-bench ]; then
  MOVDATA_BENCH_DIR=$root/mnt/xfs dotnet run -c Release --project bench/MovData.Benchmarks -- \
    --filter '*' --job short --artifacts artifacts/bdn >/dev/null
  bash bench/overhead-report.sh artifacts/bdn/results/MovData.Benchmarks.MoveOverhead-report-github.md > docs/benchmarks-overhead.md
fi
