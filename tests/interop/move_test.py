#!/usr/bin/env python3
"""Proof that Python programs get MovData as a user would: the movdata module shipped beside
libmovdata.so, imported from there.

    PYTHONPATH=NATIVE_DIR python3 move_test.py DIR
    PYTHONPATH=NATIVE_DIR python3 move_test.py --layout
    PYTHONPATH=NATIVE_DIR python3 move_test.py --undo REC SAVED

Moves a range between two files in DIR, splices at byte offsets, maps, probes, recovers,
breaks rules on purpose and checks the OSError each gives; prints "ok <method>" and exits 0,
or says what was wrong and exits 1. --layout prints the module's struct sizes and offsets, as
"name value" lines, for the test that compares them with what gcc makes of movdata.h.
--undo cuts two ranges of the recording REC with their removed parts saved to SAVED, restores
it (a dry run first, which must change nothing), and prints "ok <parts method> <restored>";
the caller compares REC with the original.
"""
import ctypes
import errno
import os
import sys

import movdata

BLOCK = 4096
BLOCKS = 16


class Failed(Exception):
    pass


def check(condition, what):
    if not condition:
        raise Failed(what)


def raises(expected_errno, call, *args):
    """Runs call(*args); returns the OSError it raised, which must carry expected_errno."""
    try:
        call(*args)
    except OSError as e:
        check(e.errno == expected_errno, f"{call.__name__} raised errno {e.errno} ({e}), not {expected_errno}")
        return e
    raise Failed(f"{call.__name__}{args} did not fail")


def proof(directory):
    data = bytes((i * 7 + i // BLOCK) & 0xFF for i in range(BLOCKS * BLOCK))
    donor_path = os.path.join(directory, "py-donor")
    receiver_path = os.path.join(directory, "py-receiver")
    with open(donor_path, "w+b") as donor, open(receiver_path, "w+b") as receiver:
        donor.write(data)          # still in the file object's buffer: move() flushes it
        receiver.truncate(2 * len(data))

        r = movdata.move(donor, 4 * BLOCK, receiver, 20 * BLOCK, 8 * BLOCK)
        check(r.moved_len == 8 * BLOCK, f"moved {r.moved_len}, not the whole length")
        check(os.pread(receiver.fileno(), 8 * BLOCK, 20 * BLOCK) == data[4 * BLOCK:12 * BLOCK], "the receiver does not hold the moved bytes")
        check(os.lseek(donor.fileno(), 4 * BLOCK, os.SEEK_DATA) == 12 * BLOCK, "the donor range is not a hole")
        check(os.fstat(donor.fileno()).st_size == len(data) and os.fstat(receiver.fileno()).st_size == 2 * len(data), "a file size changed")
        segments = movdata.map(donor)
        check(sum(s.length for s in segments) == len(data), "the map does not cover the file")
        check(any(s.kind == "hole" and s.offset == 4 * BLOCK and s.length == 8 * BLOCK for s in segments), f"the map has no hole where the range was: {segments}")

        # The seed's whole edit at byte offsets: 188 bytes into the first block of each file.
        movdata.splice(donor.fileno(), 188, receiver.fileno(), 188, 2 * BLOCK)
        check(os.fstat(donor.fileno()).st_size == len(data) - 2 * BLOCK, "splice: the donor did not shrink by the length")
        check(os.fstat(receiver.fileno()).st_size == 2 * len(data) + 2 * BLOCK, "splice: the receiver did not grow by the length")
        check(os.pread(receiver.fileno(), 2 * BLOCK, 188) == data[188:188 + 2 * BLOCK], "splice: the receiver does not hold the range")
        check(os.pread(donor.fileno(), BLOCK, 0) == data[:188] + data[188 + 2 * BLOCK:BLOCK + 2 * BLOCK], "splice: the donor does not close over the range")
        check(movdata.recover(directory) == 0, "recover found an edit left over")

        p = movdata.probe(directory)
        check(p.block_size == BLOCK and set(p.operations) == set(movdata.OPERATIONS), f"probe: {p}")
        check(p.operations["move"] in ("native", "emulated", "copy"), f"probe: move is {p.operations['move']}")

        # Failures are OSError with the C ABI's errno and its sentence, in the header's words.
        e = raises(errno.EINVAL, movdata.move, donor, 1, receiver, 0, BLOCK)
        check(e.moved_len == 0, "a refused move reports bytes moved")
        check("rule 1" in str(e) and "donor_offset" in str(e) and "donorOffset" not in str(e), f"the sentence does not use the header's names: {e}")
        e = raises(errno.EBADF, movdata.punch_hole, 1 << 20, 0, BLOCK)
        check(isinstance(e, OSError), "not an OSError")
        raises(errno.EBADF, movdata.punch_hole, -1, 0, BLOCK)
        raises(errno.EBADF, movdata.defragment, -1)
        e = raises(errno.ENOENT, movdata.recover, os.path.join(directory, "no-such-file"))
        check(isinstance(e, FileNotFoundError), f"ENOENT is not a FileNotFoundError: {type(e).__name__}")
        with open(donor_path, "rb") as read_only:
            e = raises(errno.EINVAL, movdata.collapse, read_only, 0, BLOCK)
            check(" fd " in str(e) and "handle" not in str(e), f"the sentence does not say fd: {e}")

    os.unlink(donor_path)
    os.unlink(receiver_path)
    return r.method


def undo(rec, saved):
    """A cut with save_removed, then its restore: a dry run, then the real one."""
    # Keyframes every 2 s: 2-4 and 6-8 go, in the 24 s transport stream and the 12 s MP4 alike.
    cut = movdata.cut(rec, [(1.5, 4.5), (5.5, 8.5)], save_removed=saved)
    check(cut.removed == 2, f"cut removed {cut.removed} ranges")
    size = os.path.getsize(rec)
    dry = movdata.restore(rec, saved, dry_run=True)
    check(dry.dry_run and os.path.getsize(rec) == size and os.path.exists(saved), f"the dry run changed something: {dry}")
    r = movdata.restore(rec, saved)
    check(not r.dry_run and r.restored == 2 and r.size_before == size and os.path.getsize(rec) == r.size_after, f"restore says {r}")
    check(not os.path.exists(saved), "restore left the saved file")
    try:
        movdata.restore(rec, rec)
        raise Failed("restoring a recording from itself did not fail")
    except OSError as e:
        check(e.errno == errno.EINVAL, f"restoring a recording from itself: errno {e.errno}, want EINVAL")
    return f"{r.parts_method} {r.restored}"


def layout():
    """The module's structs, as the layout test compares them with movdata.h."""
    for name, struct in [("mov_data", movdata._MovData), ("movdata_result", movdata._MoveResult),
                         ("movdata_segment", movdata._Segment), ("movdata_probe", movdata._Probe),
                         ("movdata_defrag_result", movdata._DefragResult), ("movdata_defrag_info", movdata._DefragInfo),
                         ("movdata_cut_result", movdata._CutResult), ("movdata_restore_result", movdata._RestoreResult)]:
        print(f"sizeof {name} {ctypes.sizeof(struct)}")
        for field, _ in struct._fields_:
            if field != "reserved":
                print(f"{name}.{field} {getattr(struct, field).offset}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--layout"]:
        layout()
        sys.exit(0)
    if len(sys.argv) == 4 and sys.argv[1] == "--undo":
        try:
            print(f"ok {undo(sys.argv[2], sys.argv[3])}")
        except Failed as failure:
            print(f"FAIL: {failure}", file=sys.stderr)
            sys.exit(1)
        sys.exit(0)
    if len(sys.argv) != 2:
        print("usage: move_test.py DIR | --layout | --undo REC SAVED", file=sys.stderr)
        sys.exit(2)
    try:
        print(f"ok {proof(sys.argv[1])}")
    except Failed as failure:
        print(f"FAIL: {failure}", file=sys.stderr)
        sys.exit(1)
