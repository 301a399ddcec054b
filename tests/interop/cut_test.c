/* Proof that C programs can cut recordings: movdata_cut() over libmovdata.so.
 *
 *     cut_test REC
 *
 * Refuses a reversed range (nothing changes), then removes two ranges of REC (seconds 4.5 to
 * 9 and 11.5 to 15.5) and checks what the result says; prints "ok <method> <removed>
 * <duration_after>" and exits 0, or says what was wrong and exits 1. The caller lets ffmpeg
 * judge REC afterwards. */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include "movdata.h"

static const char *const methods[] = { "native", "emulated", "copy" };

int main(int argc, char **argv)
{
	struct movdata_cut_result r;
	struct stat before, after;
	const double reversed[] = { 9.0, 4.5 };
	const double breaks[] = { 4.5, 9.0, 11.5, 15.5 };
	int ret;

	if (argc != 2) {
		fprintf(stderr, "usage: %s REC\n", argv[0]);
		return 1;
	}
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
	    r.packet_size != 188 || r.duration_after >= r.duration_before || r.method < 0 || r.method > 2) {
		fprintf(stderr, "unexpected result: size %lld -> %lld, removed %d, packet %d, %.3f -> %.3f s, method %d\n",
			(long long)before.st_size, (long long)after.st_size, r.removed, r.packet_size,
			r.duration_before, r.duration_after, r.method);
		return 1;
	}
	printf("ok %s %d %.3f\n", methods[r.method], r.removed, r.duration_after);
	return 0;
}
