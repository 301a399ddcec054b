"""movdata: MovData's C ABI (libmovdata.so) for Python, over ctypes.

MovData moves, clones, exchanges, collapses, inserts and punches byte ranges of files at the
extent level on Linux; move() is the FS_IOC_MOV_DATA ioctl proposed in 2015 and never merged.

    import movdata
    with open("take1.ts", "r+b") as donor, open("edit.ts", "r+b") as receiver:
        r = movdata.move(donor, 1 << 30, receiver, 256 << 20, 64 << 20)
    print(r.moved_len, r.method, r.bytes_copied)   # 67108864 clone-punch 0 on XFS

Files are file objects (anything with fileno()) or descriptors, opened read-write where they
change; they are borrowed, never closed. Offsets and lengths are bytes. A failure raises
OSError with the errno the C ABI returns and its sentence, so it is the subclass os raises for
that errno (FileNotFoundError, PermissionError, ...); a failed move() also carries moved_len,
the bytes that did arrive (every other byte is still in the donor). See movdata.h for what
each call does and which errno means what.

This file sits beside libmovdata.so in the native build and loads that library; set
MOVDATA_LIBRARY to load another.
"""
import ctypes
import ctypes.util
import os
from collections import namedtuple

__all__ = [
    "move", "clone", "exchange", "punch_hole", "zero_range", "preallocate", "collapse",
    "insert", "splice", "recover", "map", "probe", "defragment", "cut", "restore",
    "MoveResult", "Segment", "Probe", "DefragResult", "CutResult", "RestoreResult",
]

# movdata.h, once: the constants and the structs, field for field (a test compares their
# layout with what gcc makes of the header).
ZERO_COPY_ONLY = 0x1
CUT_EXACT = 0x100
RESTORE_DRY_RUN = 0x200
DEFRAG_DRY_RUN = 0x1
DEFRAG_METHODS = ("none", "copy-exchange", "copy-dedupe", "move-extents", "defrag-range", "copy-clone")  # MOVDATA_DEFRAG_*
METHODS = ("exchange-range", "clone-punch", "copy-punch")           # MOVDATA_METHOD_*
SEGMENT_KINDS = ("data", "hole", "unwritten")                       # MOVDATA_SEGMENT_*
SUPPORT = ("native", "emulated", "copy", "unsupported")             # MOVDATA_SUPPORT_*
OPERATIONS = ("move", "clone", "exchange", "collapse", "insert",    # MOVDATA_OP_*
              "punch", "zero", "prealloc", "defrag")


class _MovData(ctypes.Structure):
    _fields_ = [("donor_fd", ctypes.c_int), ("receiver_fd", ctypes.c_int),
                ("donor_offset", ctypes.c_int64), ("receiver_offset", ctypes.c_int64),
                ("length", ctypes.c_int64), ("moved_len", ctypes.c_int64), ("flags", ctypes.c_int)]


class _MoveResult(ctypes.Structure):
    _fields_ = [("method", ctypes.c_int32), ("reserved", ctypes.c_int32),
                ("moved_len", ctypes.c_int64), ("bytes_copied", ctypes.c_int64)]


class _Segment(ctypes.Structure):
    _fields_ = [("offset", ctypes.c_int64), ("length", ctypes.c_int64), ("kind", ctypes.c_int32),
                ("shared", ctypes.c_int32), ("physical", ctypes.c_int64)]


class _Probe(ctypes.Structure):
    _fields_ = [("fs_type", ctypes.c_char * 16), ("block_size", ctypes.c_int64),
                ("operations", ctypes.c_int32 * len(OPERATIONS))]


class _DefragResult(ctypes.Structure):
    _fields_ = [("extents_before", ctypes.c_int32), ("extents_after", ctypes.c_int32),
                ("bytes_copied", ctypes.c_int64)]


class _DefragInfo(ctypes.Structure):
    _fields_ = [("method", ctypes.c_int32), ("extents_before", ctypes.c_int32),
                ("extents_after", ctypes.c_int32), ("ideal_extents", ctypes.c_int32),
                ("bytes_copied", ctypes.c_int64), ("shared_bytes_unshared", ctypes.c_int64)]


class _CutResult(ctypes.Structure):
    _fields_ = [("duration_before", ctypes.c_double), ("duration_after", ctypes.c_double),
                ("bytes_written", ctypes.c_int64), ("bytes_copied", ctypes.c_int64),
                ("method", ctypes.c_int32), ("removed", ctypes.c_int32),
                ("packet_size", ctypes.c_int32), ("reserved", ctypes.c_int32)]


class _RestoreResult(ctypes.Structure):
    _fields_ = [("size_before", ctypes.c_int64), ("size_after", ctypes.c_int64),
                ("bytes_written", ctypes.c_int64), ("bytes_copied", ctypes.c_int64),
                ("method", ctypes.c_int32), ("parts_method", ctypes.c_int32),
                ("restored", ctypes.c_int32), ("dry_run", ctypes.c_int32)]


MoveResult = namedtuple("MoveResult", "moved_len method bytes_copied")
Segment = namedtuple("Segment", "offset length kind shared physical")
Probe = namedtuple("Probe", "fs_type block_size operations")
DefragResult = namedtuple("DefragResult", "extents_before extents_after bytes_copied method ideal_extents shared_bytes_unshared")
CutResult = namedtuple("CutResult", "duration_before duration_after bytes_written bytes_copied method removed packet_size")
RestoreResult = namedtuple("RestoreResult", "size_before size_after bytes_written bytes_copied method parts_method restored dry_run")

_I64, _INT, _U32, _P = ctypes.c_int64, ctypes.c_int, ctypes.c_uint32, ctypes.POINTER
_SIGNATURES = {
    "movdata_move_ex": [_P(_MovData), _P(_MoveResult)],
    "movdata_clone": [_INT, _I64, _INT, _I64, _I64],
    "movdata_exchange": [_INT, _I64, _INT, _I64, _I64],
    "movdata_punch_hole": [_INT, _I64, _I64],
    "movdata_zero_range": [_INT, _I64, _I64],
    "movdata_preallocate": [_INT, _I64, _I64, _INT],
    "movdata_collapse": [_INT, _I64, _I64],
    "movdata_insert": [_INT, _I64, _I64],
    "movdata_splice": [_INT, _I64, _INT, _I64, _I64, _U32],
    "movdata_recover": [ctypes.c_char_p],
    "movdata_map": [_INT, _P(_Segment), ctypes.c_size_t, _P(ctypes.c_size_t)],
    "movdata_probe": [ctypes.c_char_p, _P(_Probe)],
    "movdata_defragment": [_INT, _P(_DefragResult)],
    "movdata_defragment_ex": [_INT, _U32, _P(_DefragInfo)],
    "movdata_cut": [ctypes.c_char_p, _P(ctypes.c_double), ctypes.c_size_t, ctypes.c_char_p, _U32, _P(_CutResult)],
    "movdata_restore": [ctypes.c_char_p, ctypes.c_char_p, _U32, _P(_RestoreResult)],
}
_library = None


def _lib():
    global _library
    if _library is None:
        path = os.environ.get("MOVDATA_LIBRARY") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "libmovdata.so")
        if not os.path.exists(path):
            path = ctypes.util.find_library("movdata") or path
        lib = ctypes.CDLL(path)
        for name, argtypes in _SIGNATURES.items():
            function = getattr(lib, name)
            function.argtypes = argtypes
            function.restype = ctypes.c_int
        lib.movdata_last_error.argtypes = []
        lib.movdata_last_error.restype = ctypes.c_char_p
        _library = lib
    return _library


def _fd(f):
    return f if isinstance(f, int) else f.fileno()


def _path(p):
    return os.fsencode(p)


def _check(ret, **extra):
    """Returns ret when it is not a negative errno; raises OSError (the subclass os picks) otherwise."""
    if ret >= 0:
        return ret
    error = OSError(-ret, _lib().movdata_last_error().decode("utf-8", "replace"))
    for name, value in extra.items():
        setattr(error, name, value)
    raise error


def _flush(*files):
    # A Python file object may hold written bytes the descriptor has not seen yet.
    for f in files:
        if not isinstance(f, int) and hasattr(f, "flush"):
            f.flush()


def move(donor, donor_offset, receiver, receiver_offset, length, zero_copy_only=False):
    """The seed's FS_IOC_MOV_DATA: moves length bytes at donor_offset into the hole at
    receiver_offset, leaving a hole in the donor (block-aligned). Returns MoveResult; a
    failure raises OSError with moved_len, the bytes that arrived."""
    _flush(donor, receiver)
    md = _MovData(donor_fd=_fd(donor), receiver_fd=_fd(receiver), donor_offset=donor_offset,
                  receiver_offset=receiver_offset, length=length, flags=ZERO_COPY_ONLY if zero_copy_only else 0)
    result = _MoveResult()
    ret = _lib().movdata_move_ex(ctypes.byref(md), ctypes.byref(result))
    _check(ret, moved_len=md.moved_len)
    return MoveResult(result.moved_len, METHODS[result.method], result.bytes_copied)


def clone(src, src_offset, dst, dst_offset, length):
    """Shares [src_offset, +length) of src into dst at dst_offset (FICLONERANGE)."""
    _flush(src, dst)
    _check(_lib().movdata_clone(_fd(src), src_offset, _fd(dst), dst_offset, length))


def exchange(file1, offset1, file2, offset2, length):
    """Swaps two ranges atomically (XFS exchange-range)."""
    _flush(file1, file2)
    _check(_lib().movdata_exchange(_fd(file1), offset1, _fd(file2), offset2, length))


def punch_hole(f, offset, length):
    """Deallocates [offset, +length); it reads as zeros, the size is unchanged."""
    _flush(f)
    _check(_lib().movdata_punch_hole(_fd(f), offset, length))


def zero_range(f, offset, length):
    """Makes [offset, +length) read as zeros, the size unchanged."""
    _flush(f)
    _check(_lib().movdata_zero_range(_fd(f), offset, length))


def preallocate(f, offset, length, keep_size=False):
    """Allocates unwritten space for [offset, +length)."""
    _flush(f)
    _check(_lib().movdata_preallocate(_fd(f), offset, length, 1 if keep_size else 0))


def collapse(f, offset, length):
    """Removes [offset, +length); the rest shifts down and the file shrinks."""
    _flush(f)
    _check(_lib().movdata_collapse(_fd(f), offset, length))


def insert(f, offset, length):
    """Inserts a hole of length bytes at offset; the rest shifts up and the file grows."""
    _flush(f)
    _check(_lib().movdata_insert(_fd(f), offset, length))


def splice(donor, donor_offset, receiver, receiver_offset, length, zero_copy_only=False):
    """The seed's whole edit: a hole into the receiver, the donor range moved into it, the
    range collapsed out of the donor. Crash-safe (see recover)."""
    _flush(donor, receiver)
    _check(_lib().movdata_splice(_fd(donor), donor_offset, _fd(receiver), receiver_offset, length,
                                 ZERO_COPY_ONLY if zero_copy_only else 0))


def recover(path):
    """Finishes (or undoes) the edits a crash interrupted, from the journal next to path.
    Returns how many it dealt with."""
    return _check(_lib().movdata_recover(_path(path)))


def map(f):
    """The file's segments in order, covering [0, size): a list of Segment(offset, length,
    kind, shared, physical), kind "data", "hole" or "unwritten", physical None where unknown."""
    _flush(f)
    count = ctypes.c_size_t(0)
    capacity = 64
    while True:
        segments = (_Segment * capacity)()
        _check(_lib().movdata_map(_fd(f), segments, capacity, ctypes.byref(count)))
        if count.value <= capacity:
            return [Segment(s.offset, s.length, SEGMENT_KINDS[s.kind], bool(s.shared), None if s.physical < 0 else s.physical)
                    for s in segments[:count.value]]
        capacity = count.value


def probe(path):
    """What the filesystem holding path can do: Probe(fs_type, block_size, operations), where
    operations maps "move", "clone", ... to "native", "emulated", "copy" or "unsupported"."""
    p = _Probe()
    _check(_lib().movdata_probe(_path(path), ctypes.byref(p)))
    return Probe(p.fs_type.decode(), p.block_size, {op: SUPPORT[p.operations[i]] for i, op in enumerate(OPERATIONS)})


def defragment(f, dry_run=False):
    """Rewrites the file onto fresh contiguous blocks through its filesystem's own primitive;
    method is "none" (left as it was), "copy-exchange", "copy-clone", "copy-dedupe",
    "move-extents" or "defrag-range". With dry_run, plans and changes nothing."""
    _flush(f)
    r = _DefragInfo()
    _check(_lib().movdata_defragment_ex(_fd(f), DEFRAG_DRY_RUN if dry_run else 0, ctypes.byref(r)))
    return DefragResult(r.extents_before, r.extents_after, r.bytes_copied, DEFRAG_METHODS[r.method], r.ideal_extents,
                        r.shared_bytes_unshared)


def cut(path, ranges, save_removed=None, exact=False, zero_copy_only=False):
    """Removes time ranges, [(from, to), ...] in seconds, from an MPEG-TS, M2TS, MP4 or MOV
    recording in place, snapped to keyframes unless exact; save_removed names a new file for
    what goes (of the recording's format)."""
    pairs = (ctypes.c_double * (2 * len(ranges)))(*[t for r in ranges for t in r])
    flags = (CUT_EXACT if exact else 0) | (ZERO_COPY_ONLY if zero_copy_only else 0)
    r = _CutResult()
    _check(_lib().movdata_cut(_path(path), pairs, len(ranges), None if save_removed is None else _path(save_removed), flags, ctypes.byref(r)))
    return CutResult(r.duration_before, r.duration_after, r.bytes_written, r.bytes_copied, SUPPORT[r.method], r.removed, r.packet_size)


def restore(path, saved, dry_run=False, zero_copy_only=False):
    """Undoes a cut made with save_removed=saved: the recording byte for byte as before it,
    saved removed (with dry_run, nothing changed: what would be done)."""
    flags = (RESTORE_DRY_RUN if dry_run else 0) | (ZERO_COPY_ONLY if zero_copy_only else 0)
    r = _RestoreResult()
    _check(_lib().movdata_restore(_path(path), _path(saved), flags, ctypes.byref(r)))
    return RestoreResult(r.size_before, r.size_after, r.bytes_written, r.bytes_copied, SUPPORT[r.method],
                         METHODS[r.parts_method], r.restored, bool(r.dry_run))
