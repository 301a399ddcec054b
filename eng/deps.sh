#!/usr/bin/env bash
# Installs (as root, with apt-get) the tools the scratch filesystems, the tests and the
# benchmarks call, by the Debian package that has them; does nothing when all are there.
# Used by eng/test.sh and .ci/run, so the README's test command works on a fresh machine.
set -euo pipefail
missing=()
for pair in mkfs.xfs:xfsprogs xfs_db:xfsprogs xfs_io:xfsprogs mkfs.btrfs:btrfs-progs mkfs.ext4:e2fsprogs chattr:e2fsprogs \
    gcc:gcc losetup:mount python3:python3 gnuplot:gnuplot-nox /usr/bin/time:time ffmpeg:ffmpeg ffprobe:ffmpeg comskip:comskip script:bsdutils tmux:tmux \
    pkg-config:pkgconf file:file clang:clang ld.lld:lld aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu aarch64-linux-gnu-gcc:libc6-dev-arm64-cross \
    aarch64-linux-gnu-objcopy:binutils-aarch64-linux-gnu qemu-aarch64:qemu-user; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair##*:}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "eng/deps.sh: missing ${missing[*]}; run as root to install them" >&2
  exit 1
fi
echo "installing: $(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(printf '%s\n' "${missing[@]}" | sort -u) >/dev/null
