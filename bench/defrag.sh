#!/usr/bin/env bash
# Defragment against each filesystem's own tool (as root: it loop-mounts its own images).
#
#   sudo bench/defrag.sh           a 1 GiB file in 256 KiB pieces (4096+ extents) on xfs,
#                                  xfs with exchange-range, ext4 and btrfs; `movdata defrag`
#                                  on a copy of the image, the filesystem's tool on another
#                                  identical copy (xfs_fsr, e4defrag, btrfs filesystem
#                                  defragment), cache dropped before each, seven times,
#                                  each side first every other time (the median time is
#                                  reported); writes docs/benchmarks-defrag.md
#                                  and bench/results/defrag/results.tsv
#   sudo bench/defrag.sh --smoke   a 64 MiB file on xfs only, into artifacts/
#
# Extents are counted the same way for both (FIEMAP records of data, as `movdata defrag
# --check` counts them); filefrag's count (physically contiguous runs) is given beside.
# Both files must hold the same bytes after as before (SHA-256).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench/defrag.sh: run as root (it mounts loop images)" >&2; exit 1; }

bash eng/deps.sh
command -v e4defrag >/dev/null && command -v xfs_fsr >/dev/null && command -v btrfs >/dev/null || {
  echo "bench/defrag.sh: needs e4defrag (e2fsprogs), xfs_fsr (xfsprogs) and btrfs (btrfs-progs)" >&2; exit 1; }

if [ "${1:-}" = "--smoke" ]; then
  size_mib=64 piece_kib=64 image=1G fss=(xfs) runs=1 out=artifacts/bench-defrag docs=
else
  size_mib=1024 piece_kib=256 image=4G fss=(xfs xfs-exchange ext4 btrfs) runs=7 out=bench/results/defrag docs=docs/benchmarks-defrag.md
fi
root=/var/tmp/movdata-bench-defrag
mkdir -p "$out" "$root"
dotnet publish src/MovData.Cli -c Release -o artifacts/aot -nologo -v quiet
tool=$PWD/artifacts/aot/movdata

cleanup() {
  local m
  for m in "$root"/mnt-*; do
    [ -d "$m" ] || continue
    if mountpoint -q "$m"; then umount "$m" || umount -l "$m"; fi
  done
  rm -rf "$root"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ns() { date +%s%N; }
seconds() { python3 -c "print(f'{($2 - $1) / 1e9:.2f}')" "$@"; }
extents() { "$tool" defrag --check --json "$1" | python3 -c 'import json, sys; print(json.load(sys.stdin)["files"][0]["extents"])'; }
contiguous_runs() { filefrag "$1" | sed -n 's/.*: \([0-9]*\) extents\? found/\1/p'; }
cold() { sync; echo 3 > /proc/sys/vm/drop_caches; }

peer_of() {
  case $1 in
    xfs|xfs-exchange) echo "xfs_fsr" ;;
    ext4) echo "e4defrag" ;;
    btrfs) echo "btrfs filesystem defragment" ;;
  esac
}
run_peer() {
  case $1 in
    xfs|xfs-exchange) xfs_fsr "$2" ;;
    ext4) e4defrag "$2" ;;
    btrfs) btrfs filesystem defragment "$2" ;;
  esac
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# The loop device's counters (/sys/block/DEV/stat): read requests, sectors read, sectors written.
device_io() { awk '{print $1, $3, $7}' "/sys/block/$(basename "$(findmnt -n -o SOURCE "$1")")/stat"; }

# One contender on a fresh copy of the pristine image: prints "seconds extents runs method
# read-requests read-MiB written-MiB" (what reached the loop device between start and sync).
contend() { # FS SIDE(movdata|peer)
  local fs=$1 side=$2 copy=$root/$1-$2.img mnt=$root/mnt-$2 t0 t1 method= io0 io1
  cp --sparse=always "$root/$fs.img" "$copy"
  mkdir -p "$mnt"
  # One image is mounted at a time: XFS and btrfs refuse (or confuse) two with one UUID.
  mount -o loop "$copy" "$mnt"
  cold
  io0=$(device_io "$mnt")
  t0=$(now_ns)
  if [ "$side" = movdata ]; then
    method=$("$tool" defrag --json "$mnt/rec.ts" | python3 -c 'import json, sys; print(json.load(sys.stdin)["files"][0]["method"])')
  else
    run_peer "$fs" "$mnt/rec.ts" > "$root/$fs-peer.log" 2>&1 || { cat "$root/$fs-peer.log" >&2; exit 1; }
    method=-
  fi
  # Until it is on disk: btrfs filesystem defragment returns with the rewrite still in the
  # page cache (movdata's is durable when it returns; the others sync their copies).
  sync -f "$mnt"
  t1=$(now_ns)
  io1=$(device_io "$mnt")
  [ "$(sha256sum < "$mnt/rec.ts")" = "$sum" ] || { echo "bench/defrag.sh: $side changed the bytes on $fs" >&2; exit 1; }
  echo "$(seconds "$t0" "$t1") $(extents "$mnt/rec.ts") $(contiguous_runs "$mnt/rec.ts") $method $(python3 -c '
import sys
a, b = [list(map(int, x.split())) for x in sys.argv[1:]]
print(b[0] - a[0], round((b[1] - a[1]) * 512 / 2**20), round((b[2] - a[2]) * 512 / 2**20))' "$io0" "$io1")"
  umount "$mnt"
  rm -f "$copy"
}

tsv=$out/results.tsv
load=$(cut -d" " -f1-3 /proc/loadavg) # a busy machine spreads the times (say so beside them)
printf 'fs\tsize_mib\textents_before\tmovdata_method\tmovdata_extents\tmovdata_runs\tmovdata_s\tpeer\tpeer_extents\tpeer_runs\tpeer_s\tmovdata_all_s\tpeer_all_s\tmovdata_io\tpeer_io\n' > "$tsv"
for fs in "${fss[@]}"; do
  img=$root/$fs.img
  rm -f "$img"
  truncate -s "$image" "$img"
  bash eng/scratch-fs.sh mkfs "$fs" "$img"
  mkdir -p "$root/mnt-a"
  mount -o loop "$img" "$root/mnt-a"
  file=$(python3 bench/fragment.py "$root/mnt-a" rec.ts "$size_mib" "$piece_kib")
  sum=$(sha256sum < "$file")
  before=$(extents "$file")
  umount "$root/mnt-a"
  ours_all=() peer_all=()
  for run in $(seq "$runs"); do
    # Each goes first every other run: whatever the one before left the disk doing (its
    # image's removal, the next copy's writeback) falls on both alike.
    order="movdata peer"
    [ $((run % 2)) = 0 ] && order="peer movdata"
    for side in $order; do
      r=$(contend "$fs" "$side")
      if [ "$side" = movdata ]; then
        read -r s ours ours_runs method ours_io <<< "$r"
        ours_all+=("$s")
      else
        read -r s theirs their_runs _ their_io <<< "$r"
        peer_all+=("$s")
      fi
    done
  done
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$fs" "$size_mib" "$before" "$method" "$ours" "$ours_runs" "$(median "${ours_all[@]}")" \
    "$(peer_of "$fs")" "$theirs" "$their_runs" "$(median "${peer_all[@]}")" "${ours_all[*]}" "${peer_all[*]}" "$ours_io" "$their_io" | tee -a "$tsv"
  rm -f "$img"
done

[ -n "$docs" ] || exit 0
{
  echo "# Defragment against each filesystem's own tool"
  echo
  echo "Written by \`sudo bench/defrag.sh\`; do not edit by hand. $(nproc) CPUs, $(uname -r), $(date -u +%Y-%m-%d)."
  echo
  echo "A ${size_mib} MiB file written into ${piece_kib} KiB holes of a full ${image} loop image (\`bench/fragment.py\`: a"
  echo "reserve set aside, the rest filled with small files, every other one deleted, the file"
  echo "written, the rest deleted). \`movdata defrag\` and the filesystem's own tool each run on a fresh"
  echo "copy of that image, the page cache dropped first, $runs times, each side first every other"
  echo "time; both keep the file's SHA-256. Load average when the run began: $load."
  echo "Extents are FIEMAP's data records (what \`movdata defrag --check\` counts; ext4 and btrfs cap"
  echo "one at 128 MiB, XFS at an allocation group, 1 GiB here); runs are filefrag's physically"
  echo "contiguous runs. Time is the whole command, as a person would run it, and then \`sync -f\` of"
  echo "the filesystem, so that a tool that returns before its writes reach the disk is not counted faster."
  echo
  echo "| filesystem | extents before | movdata (method) | extents after | runs | time (median) | peer | extents after | runs | time (median) |"
  echo "|---|---:|---|---:|---:|---:|---|---:|---:|---:|"
  tail -n +2 "$tsv" | while IFS=$'\t' read -r fs _ before method ours ours_runs ours_s peer theirs their_runs peer_s _; do
    echo "| $fs | $before | \`movdata defrag\` ($method) | $ours | $ours_runs | ${ours_s} s | \`$peer\` | $theirs | $their_runs | ${peer_s} s |"
  done
  echo
  echo "Every run's time, in seconds (movdata; peer):"
  echo
  tail -n +2 "$tsv" | while IFS=$'\t' read -r fs _ _ _ _ _ _ _ _ _ _ ours_all peer_all _; do
    echo "- $fs: $ours_all; $peer_all"
  done
  echo
  echo "What reached the loop device in the last run, from the command's start to \`sync -f\` (its /sys/block stat):"
  echo "read requests, MiB read, MiB written. The same kernel call shows the same work; fewer read"
  echo "requests for the same bytes means larger reads."
  echo
  echo "| filesystem | movdata: read requests | MiB read | MiB written | peer: read requests | MiB read | MiB written |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  tail -n +2 "$tsv" | while IFS=$'\t' read -r fs _ _ _ _ _ _ _ _ _ _ _ _ ours_io peer_io; do
    read -r a b c <<< "$ours_io"
    read -r d e f <<< "$peer_io"
    echo "| $fs | $a | $b | $c | $d | $e | $f |"
  done
} > "$docs"
echo "wrote $docs"
