#!/usr/bin/env python3
"""Makes a fragmented file the way a busy filesystem does, for bench/defrag.sh.

    fragment.py MOUNT NAME SIZE_MIB PIECE_KIB

A reserve is set aside (room for a defragment's fresh copy later), most of the rest of the
free space goes to a ballast file, what is left is filled with PIECE_KIB files until the
filesystem is full, every other one is deleted, and NAME (SIZE_MIB of data) is written into
the holes, one piece at a time; then the other pieces and the reserve are deleted. Only the
file's own data is written: everything else is fallocated. Prints the file's path.

On btrfs there is no ballast: its free-space count is an estimate, and a ballast sized by
it left too few holes for the file; the small files fill all the space instead.
"""
import os
import subprocess
import sys

mount, name, size, piece = sys.argv[1], sys.argv[2], int(sys.argv[3]) << 20, int(sys.argv[4]) << 10
fill = os.path.join(mount, ".fill")
os.makedirs(fill, exist_ok=True)


def preallocate(path, length):
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        os.posix_fallocate(fd, 0, length)
    finally:
        os.close(fd)


btrfs = subprocess.run(["stat", "-f", "-c", "%T", mount], capture_output=True, text=True).stdout.strip() == "btrfs"

reserve = os.path.join(fill, "reserve")
preallocate(reserve, size + size // 4)
st = os.statvfs(mount)
ballast = st.f_bavail * st.f_frsize - (2 * size + size // 4) - (64 << 20)
if ballast > 0 and not btrfs:
    preallocate(os.path.join(mount, ".ballast"), ballast)
pieces = []
while True:
    path = os.path.join(fill, f"p{len(pieces):06d}")
    try:
        preallocate(path, piece)
    except OSError:
        if os.path.exists(path):
            os.unlink(path)
        break
    pieces.append(path)
for path in pieces[::2]:
    os.unlink(path)
# btrfs gives freed extents back only when its transaction commits.
os.sync()

target = os.path.join(mount, name)
fd = os.open(target, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
block = os.urandom(1 << 20)
for at in range(0, size, piece):
    os.posix_fallocate(fd, at, min(piece, size - at))
for at in range(0, size, 1 << 20):
    os.pwrite(fd, block[at % 4096:] + block[:at % 4096], at)
os.fsync(fd)
os.close(fd)
for path in pieces[1::2]:
    os.unlink(path)
os.unlink(reserve)
os.rmdir(fill)
print(target)
