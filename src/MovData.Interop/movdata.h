/*
 * movdata.h - the MovData C ABI (libmovdata.so).
 *
 * MovData moves, clones, exchanges, collapses, inserts and punches byte ranges of files at
 * the extent level on Linux. movdata_move() is the FS_IOC_MOV_DATA ioctl proposed for Linux
 * in 2015 and never merged, built from primitives today's kernels have: a program written
 * against the proposal changes one line,
 *
 *     ret = ioctl(fd, FS_IOC_MOV_DATA, &md);   becomes   ret = movdata_move(&md);
 *
 * Return values: 0 on success, or a negative errno, as a kernel ioctl would give it:
 *   -EINVAL      a rule of the contract was broken (misaligned offset or length, a range past
 *                end of file or overflowing, the receiver range not a hole, same-file overlap,
 *                unknown flags, not a regular file, a descriptor not opened O_RDWR or opened
 *                with O_APPEND); nothing was changed.
 *   -EOPNOTSUPP  the filesystem cannot do it under the flags given (MOVDATA_ZERO_COPY_ONLY
 *                where only copying is possible; exchange off XFS; clone on ext4); nothing
 *                was changed.
 *   -EPERM       a file is immutable or append-only (chattr +i/+a); nothing was changed.
 *   -EACCES, -EROFS   permission denied, read-only filesystem.
 *   -ENOSPC, -EIO, -EDQUOT, ...   the operation failed part-way: for movdata_move,
 *                md->moved_len bytes from the start of the range are durable in the
 *                receiver and punched from the donor; every byte of the range is still in
 *                the donor or the receiver. Where the files were left not yet consistent
 *                (the donor already touched), movdata_last_error() says so and the move's
 *                journal record is kept for movdata_recover(). For a multi-step edit
 *                (splice, a collapse or insert that is not one kernel call), its journal
 *                record is kept and movdata_recover() finishes it (docs/journal.md).
 *   -EBADF       a descriptor is not open.
 *   -EIO         also a failure inside the library that has no errno of its own.
 * movdata_last_error() returns a sentence saying what failed, for the calling thread.
 *
 * File descriptors are borrowed: the library never closes them. Calls are thread-safe.
 * All offsets and lengths are bytes; "block" is the filesystem block size (statfs f_bsize).
 */
#ifndef MOVDATA_H
#define MOVDATA_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The seed's struct, field for field and in the seed's order. */
struct mov_data {
	int	donor_fd;		/* fd of donor file, opened O_RDWR */
	int	receiver_fd;		/* fd of receiver file, opened O_RDWR; may be donor_fd */
	loff_t	donor_offset;		/* offset into donor file, block aligned */
	loff_t	receiver_offset;	/* offset into receiver file, block aligned, a hole */
	loff_t	length;			/* data length to be moved, block aligned, > 0 */
	loff_t	moved_len;		/* out: data length actually moved (holes count) */
	int	flags;			/* MOVDATA_* flags; unknown bits give -EINVAL */
};

/* flags of struct mov_data */
#define MOVDATA_ZERO_COPY_ONLY	0x1	/* refuse (-EOPNOTSUPP) where only copying is possible */

/* How the bytes travelled (struct movdata_result.method). */
#define MOVDATA_METHOD_EXCHANGE_RANGE	0	/* XFS_IOC_EXCHANGE_RANGE: atomic, nothing copied */
#define MOVDATA_METHOD_CLONE_PUNCH	1	/* FICLONERANGE, then punch the donor: nothing copied */
#define MOVDATA_METHOD_COPY_PUNCH	2	/* copy_file_range or read/write, then punch */

struct movdata_result {
	int32_t	method;		/* MOVDATA_METHOD_* */
	int32_t	reserved;	/* zero */
	int64_t	moved_len;	/* as struct mov_data.moved_len */
	int64_t	bytes_copied;	/* bytes of data physically copied (0 unless COPY_PUNCH) */
};

/* Moves md->length bytes at md->donor_offset in the donor into the hole at
 * md->receiver_offset in the receiver, leaving a hole in the donor; sizes unchanged.
 * Sets md->moved_len, also on a failure part-way. Returns 0 or -errno. */
int movdata_move(struct mov_data *md);

/* movdata_move, also saying how: *result (may be NULL) is filled on success and on a
 * failure part-way. */
int movdata_move_ex(struct mov_data *md, struct movdata_result *result);

/* Shares [src_offset, +length) of src_fd into dst_fd at dst_offset (FICLONERANGE; XFS with
 * reflink, btrfs). Block aligned. -EOPNOTSUPP elsewhere. */
int movdata_clone(int src_fd, int64_t src_offset, int dst_fd, int64_t dst_offset, int64_t length);

/* Swaps [offset1, +length) of fd1 with [offset2, +length) of fd2 atomically
 * (XFS_IOC_EXCHANGE_RANGE; XFS with the exchange-range feature). -EOPNOTSUPP elsewhere. */
int movdata_exchange(int fd1, int64_t offset1, int fd2, int64_t offset2, int64_t length);

/* Deallocates [offset, +length); reads as zeros, size unchanged. */
int movdata_punch_hole(int fd, int64_t offset, int64_t length);

/* Makes [offset, +length) read as zeros, size unchanged (-EOPNOTSUPP on tmpfs). */
int movdata_zero_range(int fd, int64_t offset, int64_t length);

/* Allocates unwritten space for [offset, +length); keep_size != 0 keeps the size. */
int movdata_preallocate(int fd, int64_t offset, int64_t length, int keep_size);

/* Removes [offset, +length), which must end before end of file; the rest shifts down, the
 * file shrinks. Native on XFS and ext4, by clones on btrfs, by copying on tmpfs; unaligned
 * offsets copy at most one block's head, an unaligned length rewrites the tail. */
int movdata_collapse(int fd, int64_t offset, int64_t length);

/* Inserts a hole of length bytes at offset (< size); the rest shifts up, the file grows.
 * Done as movdata_collapse() is. */
int movdata_insert(int fd, int64_t offset, int64_t length);

/* The seed's whole edit: inserts a hole of length bytes into the receiver at receiver_offset,
 * moves the donor range into it, collapses it out of the donor (the receiver grows by length,
 * the donor shrinks by it). flags: 0 or MOVDATA_ZERO_COPY_ONLY. Crash-safe: see
 * movdata_recover(). Offsets need not be block-aligned. */
int movdata_splice(int donor_fd, int64_t donor_offset, int receiver_fd, int64_t receiver_offset,
		   int64_t length, uint32_t flags);

/* Finishes (or undoes) the edits a crash interrupted, from the journal next to path (a
 * directory: all of them; a file: its own). Returns how many it dealt with (>= 0), or a
 * negative errno if one could not be finished (its record is kept; see movdata_last_error()). */
int movdata_recover(const char *path);

/* What a stretch of a file holds (struct movdata_segment.kind). */
#define MOVDATA_SEGMENT_DATA		0
#define MOVDATA_SEGMENT_HOLE		1
#define MOVDATA_SEGMENT_UNWRITTEN	2	/* preallocated, reads as zeros */

struct movdata_segment {
	int64_t	offset;		/* start, bytes */
	int64_t	length;		/* bytes */
	int32_t	kind;		/* MOVDATA_SEGMENT_* */
	int32_t	shared;		/* 1 if the blocks are shared (reflink), else 0 */
	int64_t	physical;	/* byte address on the device, or -1 (holes; tmpfs; unknown) */
};

/* Lists the file's segments in order, covering [0, size). Writes at most capacity of them
 * to segments and the total number to *count; if *count > capacity, call again with room
 * for *count. */
int movdata_map(int fd, struct movdata_segment *segments, size_t capacity, size_t *count);

/* How a filesystem does an operation (struct movdata_probe.operations[]). */
#define MOVDATA_SUPPORT_NATIVE		0
#define MOVDATA_SUPPORT_EMULATED	1
#define MOVDATA_SUPPORT_COPY		2
#define MOVDATA_SUPPORT_UNSUPPORTED	3

/* Index into struct movdata_probe.operations[]. */
#define MOVDATA_OP_MOVE		0
#define MOVDATA_OP_CLONE	1
#define MOVDATA_OP_EXCHANGE	2
#define MOVDATA_OP_COLLAPSE	3
#define MOVDATA_OP_INSERT	4
#define MOVDATA_OP_PUNCH	5
#define MOVDATA_OP_ZERO		6
#define MOVDATA_OP_PREALLOCATE	7
#define MOVDATA_OP_DEFRAGMENT	8
#define MOVDATA_OP_COUNT	9

struct movdata_probe {
	char	fs_type[16];	/* "xfs", "btrfs", "ext4", "tmpfs", or the statfs magic in hex */
	int64_t	block_size;	/* offsets and lengths must be multiples of this */
	int32_t	operations[MOVDATA_OP_COUNT];	/* MOVDATA_SUPPORT_* per MOVDATA_OP_* */
};

/* What the filesystem holding path (a file or directory) can do. */
int movdata_probe(const char *path, struct movdata_probe *probe);

struct movdata_defrag_result {
	int32_t	extents_before;	/* data extents before */
	int32_t	extents_after;	/* data extents after */
	int64_t	bytes_copied;	/* bytes copied into fresh space */
};

/* Rewrites the file onto fresh contiguous blocks (movdata_defragment_ex with flags 0);
 * result may be NULL. */
int movdata_defragment(int fd, struct movdata_defrag_result *result);

/* struct movdata_defrag_info.method: how the file was rewritten. */
#define MOVDATA_DEFRAG_NONE		0	/* left as it was: at its ideal, or no fewer extents possible */
#define MOVDATA_DEFRAG_COPY_EXCHANGE	1	/* XFS exchange-range: copy, XFS_IOC_COMMIT_RANGE */
#define MOVDATA_DEFRAG_COPY_DEDUPE	2	/* XFS reflink, open elsewhere: copy, FIDEDUPERANGE where still the same */
#define MOVDATA_DEFRAG_MOVE_EXTENTS	3	/* ext4: EXT4_IOC_MOVE_EXT into a fresh donor */
#define MOVDATA_DEFRAG_DEFRAG_RANGE	4	/* btrfs: BTRFS_IOC_DEFRAG_RANGE */
#define MOVDATA_DEFRAG_COPY_CLONE	5	/* XFS reflink, open nowhere else: copy under a write lease, FICLONERANGE */

/* movdata_defragment_ex flag: check and plan everything, change nothing. */
#define MOVDATA_DEFRAG_DRY_RUN	0x1

struct movdata_defrag_info {
	int32_t	method;			/* MOVDATA_DEFRAG_* */
	int32_t	extents_before;		/* data extents before */
	int32_t	extents_after;		/* data extents after (before, for a dry run) */
	int32_t	ideal_extents;		/* the fewest this filesystem can hold the data in */
	int64_t	bytes_copied;		/* data written to fresh blocks (to be written, dry run) */
	int64_t	shared_bytes_unshared;	/* reflinked or snapshotted bytes that became the file's own */
};

/* The seed's enhancement 2 on XFS, ext4 and btrfs, through each one's own primitive (see
 * MOVDATA_DEFRAG_*); a crash or a concurrent writer loses nothing. -EOPNOTSUPP on tmpfs and
 * other filesystems, -EBUSY when another process has the file open for writing (nothing
 * changed) or wrote it meanwhile (abandoned, nothing lost), -ENOSPC when the fresh copy would
 * not fit (found before anything is written), -EBADF for a bad fd. info may be NULL. */
int movdata_defragment_ex(int fd, uint32_t flags, struct movdata_defrag_info *info);

/* movdata_cut flag: cut at the frames nearest the times instead of snapping to keyframes. */
#define MOVDATA_CUT_EXACT	0x100

struct movdata_cut_result {
	double	duration_before;	/* seconds */
	double	duration_after;		/* seconds */
	int64_t	bytes_written;		/* null packets, program tables, broken-link marks */
	int64_t	bytes_copied;		/* data copied (0 where the filesystem collapses or clones) */
	int32_t	method;			/* MOVDATA_SUPPORT_NATIVE, _EMULATED or _COPY: how what follows
					   each cut was shifted */
	int32_t	removed;		/* ranges removed; a range holding no whole GOP removes nothing */
	int32_t	packet_size;		/* 188 (MPEG-TS) or 192 (M2TS); 0 for a format without packets */
	int32_t	reserved;
};

/* Removes time ranges from a recording in place (docs/media.md): MPEG-TS, M2TS, MP4 or MOV.
 * ranges holds count pairs {from, to} in seconds from the first video frame, in order and not
 * overlapping (to past the end: to the end). Each is snapped to keyframes, its whole blocks
 * collapsed and the rest turned into null packets (MP4, MOV: left as bytes no sample
 * references, and a new moov written); nothing after a cut is copied where the filesystem
 * collapses or clones. save_removed, if not NULL, names a new file that receives
 * what is removed (moved, not copied, where possible). flags: 0, MOVDATA_ZERO_COPY_ONLY,
 * MOVDATA_CUT_EXACT. result may be NULL. -EINVAL for bad ranges or a file that is not a
 * recording (nothing changed; see movdata_last_error()), -EBUSY when another process has the
 * file open for writing (a recording still being made; nothing changed), -EAGAIN when an
 * interrupted edit of the recording was in its journal: it was finished, which changed the
 * recording, and this cut (whose ranges were for the recording as it was) was not made;
 * crash-safe like movdata_splice(). */
int movdata_cut(const char *path, const double *ranges, size_t count, const char *save_removed,
		uint32_t flags, struct movdata_cut_result *result);

/* movdata_restore flag: check both files and say what would be done, changing nothing. */
#define MOVDATA_RESTORE_DRY_RUN	0x200

struct movdata_restore_result {
	int64_t	size_before;		/* the recording's size as the cut left it */
	int64_t	size_after;		/* its size after: as before the cut */
	int64_t	bytes_written;		/* the original bytes the cut overwrote, and the EDL */
	int64_t	bytes_copied;		/* data copied (the parts' partial edge blocks where blocks move) */
	int32_t	method;			/* MOVDATA_SUPPORT_NATIVE, _EMULATED or _COPY: how the holes went back */
	int32_t	parts_method;		/* MOVDATA_METHOD_*: how the parts came back */
	int32_t	restored;		/* ranges put back */
	int32_t	dry_run;		/* 1: nothing was changed */
};

/* Undoes a cut made with save_removed (docs/media.md, "Undo"): the recording at path is put
 * back byte for byte as before that cut from the file saved, which is then removed; the EDL
 * the cut replaced is written back. Cuts are undone last first. flags: 0,
 * MOVDATA_ZERO_COPY_ONLY, MOVDATA_RESTORE_DRY_RUN. result may be NULL. -EINVAL (nothing
 * changed; see movdata_last_error()) where saved is not a file of removed parts, is
 * truncated or damaged, belongs to another recording, or the recording changed since its
 * cut; crash-safe like movdata_splice(). */
int movdata_restore(const char *path, const char *saved, uint32_t flags, struct movdata_restore_result *result);

/* A sentence describing the calling thread's last failure, or "" after a success. Valid
 * until the thread's next movdata call. */
const char *movdata_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* MOVDATA_H */
