/*
 * Proof that C programs get MovData: written against movdata.h the way a program would have
 * been written against the 2015 FS_IOC_MOV_DATA proposal. Moves a range between two files in
 * DIR, then checks the bytes, the holes and the sizes; splices at byte offsets; then breaks a
 * rule on purpose.
 *
 *   cc -o move_test move_test.c -I<dir of movdata.h> -L<dir of libmovdata.so> -lmovdata
 *   LD_LIBRARY_PATH=<dir> ./move_test DIR
 *
 * Prints "ok <method>" and exits 0, or says what was wrong and exits 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "movdata.h"

#define BLOCK 4096
#define BLOCKS 16

static int fail(const char *what)
{
	fprintf(stderr, "FAIL: %s (last error: %s)\n", what, movdata_last_error());
	return 1;
}

int main(int argc, char **argv)
{
	char donor_path[4096], receiver_path[4096];
	static unsigned char data[BLOCKS * BLOCK], back[BLOCKS * BLOCK];
	struct mov_data md;
	struct movdata_result result;
	int donor, receiver, ret, i;
	off_t next;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	snprintf(donor_path, sizeof(donor_path), "%s/c-donor", argv[1]);
	snprintf(receiver_path, sizeof(receiver_path), "%s/c-receiver", argv[1]);
	for (i = 0; i < (int)sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + i / BLOCK);

	donor = open(donor_path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	receiver = open(receiver_path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (donor < 0 || receiver < 0 || pwrite(donor, data, sizeof(data), 0) != (ssize_t)sizeof(data) ||
	    ftruncate(receiver, 2 * sizeof(data)) != 0 || fsync(donor) != 0)
		return fail("setting up the files");

	/* The seed's call, with the ioctl replaced. */
	memset(&md, 0, sizeof(md));
	md.donor_fd = donor;
	md.receiver_fd = receiver;
	md.donor_offset = 4 * BLOCK;
	md.receiver_offset = 20 * BLOCK;
	md.length = 8 * BLOCK;
	md.flags = 0;
	ret = movdata_move_ex(&md, &result);
	if (ret != 0)
		return fail("movdata_move_ex returned an error");
	if (md.moved_len != 8 * BLOCK || result.moved_len != md.moved_len)
		return fail("moved_len is not the whole length");

	if (pread(receiver, back, 8 * BLOCK, 20 * BLOCK) != 8 * BLOCK || memcmp(back, data + 4 * BLOCK, 8 * BLOCK) != 0)
		return fail("the receiver does not hold the moved bytes");
	next = lseek(donor, 4 * BLOCK, SEEK_DATA);
	if (next != 12 * BLOCK)
		return fail("the donor range is not a hole");
	next = lseek(receiver, 0, SEEK_DATA);
	if (next != 20 * BLOCK)
		return fail("the receiver has data before the moved range");
	if (lseek(donor, 0, SEEK_END) != sizeof(data) || lseek(receiver, 0, SEEK_END) != 2 * sizeof(data))
		return fail("a file size changed");

	/* The receiver's map: a hole, the moved data, a hole. */
	{
		struct movdata_segment segments[8];
		size_t count = 0;
		if (movdata_map(receiver, segments, 8, &count) != 0 || count != 3 ||
		    segments[1].kind != MOVDATA_SEGMENT_DATA || segments[1].offset != 20 * BLOCK ||
		    segments[1].length != 8 * BLOCK || segments[0].kind != MOVDATA_SEGMENT_HOLE)
			return fail("movdata_map does not show the moved range");
	}
	/* What the filesystem can do. */
	{
		struct movdata_probe probe;
		if (movdata_probe(argv[1], &probe) != 0 || probe.block_size != BLOCK || probe.fs_type[0] == 0 ||
		    probe.operations[MOVDATA_OP_PUNCH] != MOVDATA_SUPPORT_NATIVE)
			return fail("movdata_probe");
	}

	/* The seed's whole edit at byte offsets: 188 bytes into the first block of each file. */
	ret = movdata_splice(donor, 188, receiver, 188, 2 * BLOCK, 0);
	if (ret != 0)
		return fail("movdata_splice returned an error");
	if (lseek(donor, 0, SEEK_END) != sizeof(data) - 2 * BLOCK || lseek(receiver, 0, SEEK_END) != 2 * sizeof(data) + 2 * BLOCK)
		return fail("movdata_splice: the sizes did not change by the length");
	if (pread(receiver, back, 2 * BLOCK, 188) != 2 * BLOCK || memcmp(back, data + 188, 2 * BLOCK) != 0)
		return fail("movdata_splice: the receiver does not hold the range at its offset");
	if (pread(donor, back, BLOCK, 0) != BLOCK || memcmp(back, data, 188) != 0 || memcmp(back + 188, data + 188 + 2 * BLOCK, BLOCK - 188) != 0)
		return fail("movdata_splice: the donor does not close over the range");
	if (movdata_recover(argv[1]) != 0)
		return fail("movdata_recover found an edit left over");
	if (movdata_splice(donor, 0, donor, BLOCK, BLOCK, 0) != -EINVAL)
		return fail("a splice within one file was not refused with -EINVAL");

	/* A broken rule: -EINVAL, nothing moved, and a sentence saying why. */
	md.donor_offset = 1;
	ret = movdata_move(&md);
	if (ret != -EINVAL || md.moved_len != 0 || strstr(movdata_last_error(), "rule 1") == NULL)
		return fail("a misaligned offset was not refused with -EINVAL");
	/* Unknown flags are refused too. */
	md.donor_offset = 0;
	md.flags = 0x100;
	if (movdata_move(&md) != -EINVAL)
		return fail("unknown flags were not refused with -EINVAL");
	/* A descriptor that is not one: -EBADF, as the kernel's ioctl answers. */
	md.flags = 0;
	md.donor_fd = -1;
	if (movdata_move(&md) != -EBADF || strstr(movdata_last_error(), "fd -1") == NULL)
		return fail("donor_fd -1 was not refused with -EBADF");
	md.donor_fd = donor;
	if (movdata_defragment_ex(-1, 0, NULL) != -EBADF)
		return fail("movdata_defragment_ex(-1) was not refused with -EBADF");
	{
		struct movdata_defrag_info info;
		if (movdata_defragment_ex(donor, 0x80, &info) != -EINVAL)
			return fail("movdata_defragment_ex with unknown flags was not refused with -EINVAL");
	}

	printf("ok %s\n", result.method == MOVDATA_METHOD_EXCHANGE_RANGE ? "exchange-range" :
			  result.method == MOVDATA_METHOD_CLONE_PUNCH ? "clone-punch" : "copy-punch");
	close(donor);
	close(receiver);
	unlink(donor_path);
	unlink(receiver_path);
	return 0;
}
