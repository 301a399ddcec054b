/* Proof that C programs can cut recordings: movdata_cut() over libmovdata.so.
 *
 *     cut_test REC [PACKET_SIZE]
 *
 * Refuses a reversed range (nothing changes), then removes two ranges of REC (seconds 1.5 to
 * 4.5 and 5.5 to 8.5: keyframes every 2 s make them 2-4 and 6-8) and checks what the result
 * says (the packet size: 188 by default, 0 for an MP4); prints "ok <method> <removed>
 * <duration_after>" and exits 0, or says what was wrong and exits 1. The caller lets ffmpeg
 * judge REC afterwards. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include "movdata.h"

static const char *const methods[] = { "native", "emulated", "copy" };

int main(int argc, char **argv)
{
	struct movdata_cut_result r;
	struct stat before, after;
	const double reversed[] = { 9.0, 4.5 };
	const double breaks[] = { 1.5, 4.5, 5.5, 8.5 };
	int ret, packet_size;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: %s REC [PACKET_SIZE]\n", argv[0]);
		return 1;
	}
	packet_size = argc == 3 ? atoi(argv[2]) : 188;
	if (stat(argv[1], &before) != 0) {
		perror(argv[1]);
		return 1;
	}
	ret = movdata_cut(argv[1], reversed, 1, NULL, 0, &r);
	if (ret != -EINVAL || stat(argv[1], &after) != 0 || after.st_size != before.st_size) {
		fprintf(stderr, "a reversed range: %d (%s), want -EINVAL and no change\n", ret, movdata_last_error());
		return 1;
	}
	ret = movdata_cut(argv[1], breaks, 2, NULL, 0, &r);
	if (ret != 0) {
		fprintf(stderr, "movdata_cut: %d: %s\n", ret, movdata_last_error());
		return 1;
	}
	if (stat(argv[1], &after) != 0 || after.st_size >= before.st_size || r.removed != 2 ||
	    r.packet_size != packet_size || r.duration_after >= r.duration_before || r.method < 0 || r.method > 2) {
		fprintf(stderr, "unexpected result: size %lld -> %lld, removed %d, packet %d, %.3f -> %.3f s, method %d\n",
			(long long)before.st_size, (long long)after.st_size, r.removed, r.packet_size,
			r.duration_before, r.duration_after, r.method);
		return 1;
	}
	printf("ok %s %d %.3f\n", methods[r.method], r.removed, r.duration_after);
	return 0;
}
