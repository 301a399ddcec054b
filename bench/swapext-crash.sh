#!/usr/bin/env bash
# Does XFS come back from a crash right after XFS_IOC_SWAPEXT? The trial that keeps
# MovData's Defragment and Exchange off SWAPEXT (docs/contract.md). As root.
#
#   sudo bench/swapext-crash.sh [TRIALS]   (3 by default) writes docs/swapext-crash.md
#
# Each trial: a fresh 512 MiB XFS image (mkfs.xfs defaults, then with -m rmapbt=1), a 64 MiB
# file in 1024 extents (B-tree format; bench/fragment.py), xfs_fsr on it (which swaps the
# extents in with SWAPEXT), the filesystem shut down at once with its log flushed
# (xfs_io -x -c 'shutdown -f': the swap is in the log), unmounted and mounted again. A mount
# that fails is the answer; xfs_repair -n says what it found. A control trial shuts down
# without the swap. One trial with a file of a few extents (extent format) per variant.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench/swapext-crash.sh: run as root (it mounts loop images)" >&2; exit 1; }
bash eng/deps.sh
trials=${1:-3}
root=/var/tmp/movdata-swapext
mkdir -p "$root/mnt"
cleanup() {
  if mountpoint -q "$root/mnt"; then umount "$root/mnt" || umount -l "$root/mnt"; fi
  rm -rf "$root"
}
trap cleanup EXIT

rows=()
trial() { # VARIANT MKFS_OPTS SIZE_MIB PIECE_KIB SWAP(yes/no)
  local variant=$1 opts=$2 size=$3 piece=$4 swap=$5 img=$root/xfs.img
  rm -f "$img"
  truncate -s 512M "$img"
  # shellcheck disable=SC2086
  mkfs.xfs -q -f $opts "$img"
  mount -o loop "$img" "$root/mnt"
  local file sum extents mounted said
  file=$(python3 bench/fragment.py "$root/mnt" f "$size" "$piece")
  sum=$(sha256sum < "$file")
  extents=$(xfs_io -c 'stat' "$file" | sed -n 's/^fsxattr.nextents = //p')
  [ "$swap" = yes ] && xfs_fsr "$file" > /dev/null
  xfs_io -x -c 'shutdown -f' "$root/mnt"
  umount "$root/mnt"
  local seen
  seen=$(dmesg 2>/dev/null | wc -l)
  if mount -o loop "$img" "$root/mnt" 2>/dev/null; then
    mounted=yes
    [ "$(sha256sum < "$file")" = "$sum" ] || mounted="yes, but the bytes changed"
    umount "$root/mnt"
    said=$(xfs_repair -n "$img" > /dev/null 2>&1 && echo "clean" || echo "xfs_repair -n found problems")
  else
    mounted=no
    said=$(dmesg 2>/dev/null | tail -n +$((seen + 1)) | grep -o 'Metadata corruption detected at [a-z_0-9.]*\|recovery failed: error -[0-9]*' | paste -sd ';' - || true)
    said=${said:-mount failed}
  fi
  rows+=("| $variant | $extents | $([ "$swap" = yes ] && echo "xfs_fsr (SWAPEXT)" || echo "none (control)") | $mounted | $said |")
  echo "${rows[-1]}"
  rm -f "$img"
}

for i in $(seq "$trials"); do trial "mkfs defaults (rmapbt=0)" "" 64 64 yes; done
trial "mkfs defaults (rmapbt=0)" "" 64 64 no
trial "mkfs defaults (rmapbt=0)" "" 1 256 yes
for i in $(seq "$trials"); do trial "rmapbt=1" "-m rmapbt=1" 64 64 yes; done
trial "rmapbt=1" "-m rmapbt=1" 1 256 yes

{
  echo "# A crash right after XFS_IOC_SWAPEXT"
  echo
  echo "Written by \`sudo bench/swapext-crash.sh $trials\`; do not edit by hand. $(uname -r), xfsprogs $(mkfs.xfs -V | awk '{print $3}'), $(date -u +%Y-%m-%d)."
  echo
  echo "xfs_fsr swaps a fresh copy in with XFS_IOC_SWAPEXT; the filesystem is shut down right after"
  echo "with its log flushed, unmounted and mounted again. \"extents\" is the file's before the swap"
  echo "(more than a handful puts the inode in B-tree format)."
  echo
  echo "| mkfs | extents | swap | mounts again | checked |"
  echo "|---|---:|---|---|---|"
  printf '%s\n' "${rows[@]}"
} > docs/swapext-crash.md
echo "wrote docs/swapext-crash.md"
