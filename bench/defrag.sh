#!/usr/bin/env bash
# Defragment against each filesystem's own tool (as root: it loop-mounts its own images).
#
#   sudo bench/defrag.sh           a 1 GiB file in 256 KiB pieces (4096+ extents) on xfs,
#                                  xfs with exchange-range, ext4 and btrfs; `movdata defrag`
#                                  on one image, the filesystem's tool on an identical copy of
#                                  the image (xfs_fsr, e4defrag, btrfs filesystem defragment),
#                                  cache dropped before each; writes docs/benchmarks-defrag.md
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
  size_mib=64 piece_kib=64 image=1G fss=(xfs) out=artifacts/bench-defrag docs=
else
  size_mib=1024 piece_kib=256 image=4G fss=(xfs xfs-exchange ext4 btrfs) out=bench/results/defrag docs=docs/benchmarks-defrag.md
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

tsv=$out/results.tsv
printf 'fs\tsize_mib\textents_before\tmovdata_method\tmovdata_extents\tmovdata_runs\tmovdata_s\tpeer\tpeer_extents\tpeer_runs\tpeer_s\n' > "$tsv"
for fs in "${fss[@]}"; do
  img=$root/$fs.img
  rm -f "$img"
  truncate -s "$image" "$img"
  bash eng/scratch-fs.sh mkfs "$fs" "$img"
  mkdir -p "$root/mnt-a" "$root/mnt-b"
  mount -o loop "$img" "$root/mnt-a"
  file=$(python3 bench/fragment.py "$root/mnt-a" rec.ts "$size_mib" "$piece_kib")
  sum=$(sha256sum < "$file")
  before=$(extents "$file")
  umount "$root/mnt-a"
  # The peer works on an identical copy: same layout, same free space.
  cp --sparse=always "$img" "$root/$fs-copy.img"
  mount -o loop "$img" "$root/mnt-a"
  mount -o loop "$root/$fs-copy.img" "$root/mnt-b"
  a=$root/mnt-a/rec.ts b=$root/mnt-b/rec.ts

  cold
  t0=$(now_ns)
  json=$("$tool" defrag --json "$a")
  t1=$(now_ns)
  ours_s=$(seconds "$t0" "$t1")
  method=$(echo "$json" | python3 -c 'import json, sys; print(json.load(sys.stdin)["files"][0]["method"])')
  [ "$(sha256sum < "$a")" = "$sum" ] || { echo "bench/defrag.sh: movdata changed the bytes on $fs" >&2; exit 1; }

  cold
  t0=$(now_ns)
  run_peer "$fs" "$b" > "$out/$fs-peer.log" 2>&1 || { cat "$out/$fs-peer.log"; exit 1; }
  t1=$(now_ns)
  peer_s=$(seconds "$t0" "$t1")
  [ "$(sha256sum < "$b")" = "$sum" ] || { echo "bench/defrag.sh: $(peer_of "$fs") changed the bytes on $fs" >&2; exit 1; }

  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$fs" "$size_mib" "$before" "$method" "$(extents "$a")" "$(contiguous_runs "$a")" "$ours_s" \
    "$(peer_of "$fs")" "$(extents "$b")" "$(contiguous_runs "$b")" "$peer_s" | tee -a "$tsv"
  umount "$root/mnt-a" "$root/mnt-b"
  rm -f "$img" "$root/$fs-copy.img"
done

[ -n "$docs" ] || exit 0
{
  echo "# Defragment against each filesystem's own tool"
  echo
  echo "Written by \`sudo bench/defrag.sh\`; do not edit by hand. $(nproc) CPUs, $(uname -r), $(date -u +%Y-%m-%d)."
  echo
  echo "A ${size_mib} MiB file written into ${piece_kib} KiB holes of a full ${image} loop image (\`bench/fragment.py\`: a"
  echo "reserve set aside, the rest filled with small files, every other one deleted, the file"
  echo "written, the rest deleted). \`movdata defrag\` runs on the image, the filesystem's own tool on an"
  echo "identical copy of it, each with the page cache dropped first; both files keep their SHA-256."
  echo "Extents are FIEMAP's data records (what \`movdata defrag --check\` counts; ext4 and btrfs cap"
  echo "one at 128 MiB, XFS at an allocation group, 1 GiB here); runs are filefrag's physically"
  echo "contiguous runs. Time is the whole command, as a person would run it."
  echo
  echo "| filesystem | extents before | movdata (method) | extents after | runs | time | peer | extents after | runs | time |"
  echo "|---|---:|---|---:|---:|---:|---|---:|---:|---:|"
  tail -n +2 "$tsv" | while IFS=$'\t' read -r fs _ before method ours ours_runs ours_s peer theirs their_runs peer_s; do
    echo "| $fs | $before | \`movdata defrag\` ($method) | $ours | $ours_runs | ${ours_s} s | \`$peer\` | $theirs | $their_runs | ${peer_s} s |"
  done
} > "$docs"
echo "wrote $docs"
