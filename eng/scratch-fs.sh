#!/usr/bin/env bash
# Scratch filesystems for MovData's tests: one loop-mounted image of each kind the contract
# is tested on, plus tmpfs, all under one directory this script owns.
#
#   eng/scratch-fs.sh up   [ROOT]   create (or reuse) and mount; prints MOVDATA_SCRATCH=...
#   eng/scratch-fs.sh down [ROOT]   unmount and detach only what lives under ROOT
#   eng/scratch-fs.sh env  [ROOT]   print the MOVDATA_SCRATCH line for what is mounted now
#   eng/scratch-fs.sh mkfs KIND IMG make one image as "up" makes KIND's (for benchmarks)
#
# ROOT defaults to $MOVDATA_SCRATCH_ROOT or /var/tmp/movdata-scratch. MOVDATA_IMAGE_SIZE and
# MOVDATA_TMPFS_SIZE (default 1G each) size the images for benchmarks with larger files. Needs root, mkfs.xfs
# (xfsprogs), mkfs.btrfs (btrfs-progs) and mkfs.ext4 (e2fsprogs). Idempotent: "up" twice
# leaves one mount of each; "down" after an interrupted "up" cleans what exists.
set -euo pipefail

cmd=${1:-up}
root=${2:-${MOVDATA_SCRATCH_ROOT:-/var/tmp/movdata-scratch}}
names=(xfs xfs-exchange btrfs ext4 tmpfs)
# Sparse images: they cost only what the tests write. 1 GiB keeps every mkfs above its
# minimum (mkfs.xfs refuses less than 300 MiB) and leaves room for the large-offset tests.
image_size=${MOVDATA_IMAGE_SIZE:-1G}
tmpfs_size=${MOVDATA_TMPFS_SIZE:-1g}
# The "tiny" filesystem exists to run out of space on purpose.
tiny_size=128m

die() { echo "scratch-fs: $*" >&2; exit 1; }

is_mounted() { mountpoint -q "$1" 2>/dev/null; }

# XFS_SB_FEAT_INCOMPAT_EXCHRANGE: the superblock bit that enables XFS_IOC_EXCHANGE_RANGE.
XFS_SB_FEAT_INCOMPAT_EXCHRANGE=0x40

mkfs_xfs_exchange() {
  local img=$1
  if mkfs.xfs -N -f -i exchange=1 "$img" >/dev/null 2>&1; then
    mkfs.xfs -q -f -m reflink=1 -i exchange=1 "$img"
    return
  fi
  # xfsprogs older than 6.10 (Debian 12 has 6.1) has no mkfs option for it: set the
  # feature bit on the fresh, never-mounted image and recompute the superblock CRC.
  mkfs.xfs -q -f -m reflink=1 "$img"
  local old
  old=$(xfs_db -r -c 'sb 0' -c 'print features_incompat' "$img" | awk -F' = ' '{print $2}')
  [ -n "$old" ] || die "could not read features_incompat of $img"
  local new
  new=$(printf '0x%x' $(( old | XFS_SB_FEAT_INCOMPAT_EXCHRANGE )))
  # This xfs_db does not know the bit and complains while writing it; the read-back below
  # is what decides whether it took.
  xfs_db -x -c 'sb 0' -c "write -d features_incompat $new" -c 'crc -r' "$img" >/dev/null 2>&1 || true
  local now
  now=$(xfs_db -r -c 'sb 0' -c 'print features_incompat' "$img" 2>/dev/null | awk -F' = ' '{print $2}')
  (( now & XFS_SB_FEAT_INCOMPAT_EXCHRANGE )) || die "could not set the exchange-range feature bit on $img"
}

make_fs() {
  local name=$1 img=$2
  case $name in
    xfs)          mkfs.xfs -q -f -m reflink=1 "$img" ;;
    xfs-exchange) mkfs_xfs_exchange "$img" ;;
    btrfs)        mkfs.btrfs -q -f "$img" >/dev/null 2>&1 || die "mkfs.btrfs failed on $img" ;;
    ext4)         mkfs.ext4 -q -F "$img" ;;
    tiny)         mkfs.ext4 -q -F -b 4096 -N 64 "$img" ;;
  esac
}

detach_loops() {
  local dev
  for dev in $(losetup -j "$1" -O NAME -n 2>/dev/null); do losetup -d "$dev" 2>/dev/null || true; done
}

env_line() {
  local parts=() name
  for name in "${names[@]}" tiny; do
    if is_mounted "$root/mnt/$name"; then parts+=("$name=$root/mnt/$name"); fi
  done
  local IFS=';'
  echo "MOVDATA_SCRATCH=${parts[*]}"
}

up() {
  [ "$(id -u)" = 0 ] || die "must run as root (it mounts loop devices)"
  for tool in mkfs.xfs xfs_db mkfs.btrfs mkfs.ext4 losetup; do
    command -v "$tool" >/dev/null || die "$tool not found (apt-get install xfsprogs btrfs-progs e2fsprogs)"
  done
  mkdir -p "$root/img" "$root/mnt"
  local name
  for name in "${names[@]}" tiny; do
    local mnt=$root/mnt/$name img=$root/img/$name.img
    mkdir -p "$mnt"
    is_mounted "$mnt" && continue
    if [ "$name" = tmpfs ]; then
      mount -t tmpfs -o size=$tmpfs_size movdata-tmpfs "$mnt"
    else
      # A fresh image every time: a half-made one from an interrupted run is never trusted,
      # and a loop device it left attached is let go first.
      detach_loops "$img"
      rm -f "$img"
      if [ "$name" = tiny ]; then truncate -s "$tiny_size" "$img"; else truncate -s "$image_size" "$img"; fi
      make_fs "$name" "$img"
      mount -o loop "$img" "$mnt"
    fi
    chmod 1777 "$mnt"
  done
  env_line
}

down() {
  [ -d "$root/mnt" ] || return 0
  local mnt
  for mnt in "$root"/mnt/*; do
    [ -d "$mnt" ] || continue
    if is_mounted "$mnt"; then umount "$mnt" || umount -l "$mnt"; fi
  done
  # Detach any loop device still backed by one of our images (a lazy unmount, or a loop
  # set up by hand and forgotten).
  local img
  for img in "$root"/img/*.img; do
    [ -e "$img" ] || continue
    detach_loops "$img"
    rm -f "$img"
  done
}

case $cmd in
  mkfs) make_fs "${2:?kind}" "${3:?image}" ;;
  up) up ;;
  down) down ;;
  env) env_line ;;
  *) die "usage: $0 up|down|env [ROOT] | mkfs KIND IMAGE" ;;
esac
