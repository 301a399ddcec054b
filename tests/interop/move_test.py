#!/usr/bin/env python3
"""Proof that Python programs get MovData: ctypes over libmovdata.so, the seed's struct.

    python3 move_test.py LIBMOVDATA_SO DIR

Moves a range between two files in DIR, checks bytes, holes and sizes, breaks a rule on
purpose; prints "ok <method>" and exits 0, or says what was wrong and exits 1.
"""
import ctypes
import errno
import os
import sys

BLOCK = 4096
BLOCKS = 16
METHODS = {0: "exchange-range", 1: "clone-punch", 2: "copy-punch"}


class MovData(ctypes.Structure):
    """struct mov_data, field for field."""
    _fields_ = [
        ("donor_fd", ctypes.c_int),
        ("receiver_fd", ctypes.c_int),
        ("donor_offset", ctypes.c_int64),
        ("receiver_offset", ctypes.c_int64),
        ("length", ctypes.c_int64),
        ("moved_len", ctypes.c_int64),
        ("flags", ctypes.c_int),
    ]


class MovDataResult(ctypes.Structure):
    """struct movdata_result."""
    _fields_ = [
        ("method", ctypes.c_int32),
        ("reserved", ctypes.c_int32),
        ("moved_len", ctypes.c_int64),
        ("bytes_copied", ctypes.c_int64),
    ]


def fail(lib, what):
    print(f"FAIL: {what} (last error: {lib.movdata_last_error().decode()})", file=sys.stderr)
    return 1


def main(library, directory):
    lib = ctypes.CDLL(library)
    lib.movdata_move.argtypes = [ctypes.POINTER(MovData)]
    lib.movdata_move_ex.argtypes = [ctypes.POINTER(MovData), ctypes.POINTER(MovDataResult)]
    lib.movdata_last_error.restype = ctypes.c_char_p

    data = bytes((i * 7 + i // BLOCK) & 0xFF for i in range(BLOCKS * BLOCK))
    donor_path = os.path.join(directory, "py-donor")
    receiver_path = os.path.join(directory, "py-receiver")
    donor = os.open(donor_path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    receiver = os.open(receiver_path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    os.pwrite(donor, data, 0)
    os.fsync(donor)
    os.ftruncate(receiver, 2 * len(data))

    md = MovData(donor_fd=donor, receiver_fd=receiver, donor_offset=4 * BLOCK,
                 receiver_offset=20 * BLOCK, length=8 * BLOCK, flags=0)
    result = MovDataResult()
    if lib.movdata_move_ex(ctypes.byref(md), ctypes.byref(result)) != 0:
        return fail(lib, "movdata_move_ex returned an error")
    if md.moved_len != 8 * BLOCK or result.moved_len != md.moved_len:
        return fail(lib, "moved_len is not the whole length")
    if os.pread(receiver, 8 * BLOCK, 20 * BLOCK) != data[4 * BLOCK:12 * BLOCK]:
        return fail(lib, "the receiver does not hold the moved bytes")
    if os.lseek(donor, 4 * BLOCK, os.SEEK_DATA) != 12 * BLOCK:
        return fail(lib, "the donor range is not a hole")
    if os.lseek(receiver, 0, os.SEEK_DATA) != 20 * BLOCK:
        return fail(lib, "the receiver has data before the moved range")
    if os.fstat(donor).st_size != len(data) or os.fstat(receiver).st_size != 2 * len(data):
        return fail(lib, "a file size changed")

    # The seed's whole edit at byte offsets: 188 bytes into the first block of each file.
    lib.movdata_splice.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint32]
    lib.movdata_recover.argtypes = [ctypes.c_char_p]
    if lib.movdata_splice(donor, 188, receiver, 188, 2 * BLOCK, 0) != 0:
        return fail(lib, "movdata_splice returned an error")
    if os.fstat(donor).st_size != len(data) - 2 * BLOCK or os.fstat(receiver).st_size != 2 * len(data) + 2 * BLOCK:
        return fail(lib, "movdata_splice: the sizes did not change by the length")
    if os.pread(receiver, 2 * BLOCK, 188) != data[188:188 + 2 * BLOCK]:
        return fail(lib, "movdata_splice: the receiver does not hold the range at its offset")
    if os.pread(donor, BLOCK, 0) != data[:188] + data[188 + 2 * BLOCK:BLOCK + 2 * BLOCK]:
        return fail(lib, "movdata_splice: the donor does not close over the range")
    if lib.movdata_recover(directory.encode()) != 0:
        return fail(lib, "movdata_recover found an edit left over")

    md.donor_offset = 1
    if lib.movdata_move(ctypes.byref(md)) != -errno.EINVAL or md.moved_len != 0:
        return fail(lib, "a misaligned offset was not refused with -EINVAL")
    if b"rule 1" not in lib.movdata_last_error():
        return fail(lib, "the last error does not name the rule")

    print(f"ok {METHODS[result.method]}")
    os.close(donor)
    os.close(receiver)
    os.unlink(donor_path)
    os.unlink(receiver_path)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: move_test.py LIBMOVDATA_SO DIR", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
