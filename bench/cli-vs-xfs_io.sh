#!/usr/bin/env bash
# Whole-process time of one small Move: the movdata binary (Native AOT) against xfs_io
# issuing the same syscalls as movdata's clone-punch (FICLONERANGE, fsync, punch, fdatasync).
# Each contender moves the range back and forth between two files; every figure is the
# median of N runs after 5 warm-up runs, with the 10th and 90th percentiles.
#
#   bench/cli-vs-xfs_io.sh DIR [N] [SIZE]
#
# DIR must be on XFS with reflink (e.g. the scratch xfs mount); SIZE is an xfs_io size (4m).
# Build the binary first: dotnet publish src/MovData.Cli -c Release -o artifacts/publish
set -euo pipefail
dir=${1:?usage: bench/cli-vs-xfs_io.sh DIR [N] [SIZE]}
n=${2:-100}
size=${3:-4m}
movdata=$(realpath "${MOVDATA:-artifacts/publish/movdata}")
[ -x "$movdata" ] || { echo "no movdata at $movdata: publish it first" >&2; exit 1; }
command -v xfs_io >/dev/null || { echo "xfs_io not found (apt-get install xfsprogs)" >&2; exit 1; }

work=$(mktemp -d "$dir/bench-cli.XXXXXX")
trap 'rm -rf "$work"' EXIT
bytes=$(numfmt --from=iec "${size^^}")

setup() {
  xfs_io -f -c "pwrite -q -S 0x5a 0 $size" -c fsync "$work/a" >/dev/null
  rm -f "$work/b"; truncate -s "$bytes" "$work/b"
}

# time_runs NAME COMMAND...: runs the command N+5 times, swapping a and b each time.
time_runs() {
  local name=$1; shift
  setup
  local src=$work/a dst=$work/b t0 t1 i samples=()
  for ((i = 0; i < n + 5; i++)); do
    t0=$(date +%s%N)
    "$@" "$src" "$dst" >/dev/null
    t1=$(date +%s%N)
    ((i >= 5)) && samples+=($(( (t1 - t0) / 1000 )))
    local tmp=$src; src=$dst; dst=$tmp
  done
  printf '%s\n' "${samples[@]}" | sort -n | awk -v name="$name" '
    { v[NR] = $1 }
    END { printf "%-8s median %6d us   p10 %6d us   p90 %6d us   (%d runs)\n", name, v[int(NR/2)+1], v[int(NR/10)+1], v[int(NR*9/10)], NR }'
}

run_movdata() { "$movdata" move "$1" "$2" --donor-offset 0 --receiver-offset 0 --length "$bytes" --zero-copy-only; }
run_xfs_io() { xfs_io -c "reflink $1 0 0 $bytes" -c fsync -c "open $1" -c "fpunch 0 $bytes" -c fdatasync "$2"; }

echo "small move of $size on $(stat -f -c %T "$dir"), $(uname -r), $(nproc) cores"
m=$(time_runs movdata run_movdata); echo "$m"
x=$(time_runs xfs_io run_xfs_io); echo "$x"
awk -v m="$m" -v x="$x" 'BEGIN { split(m, a, " +"); split(x, b, " +"); printf "ratio movdata / xfs_io (medians): %.2f\n", a[3] / b[3] }'
