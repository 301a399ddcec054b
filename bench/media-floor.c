/*
 * The floor beneath a cut: the calls `movdata cut --timings` says it made to the disk,
 * replayed in one small process, and nothing else (no reading, no planning, no runtime).
 * bench/media-cut.sh turns the cut's JSON "calls" into the lines below (bench/media-floor.py)
 * and runs this on a fresh copy of the same recording, so cut / floor is what MovData costs
 * above the kernel's own work.
 *
 *   media-floor REC JOURNAL_DIR < calls
 *
 * One call a line, as the cut made it:
 *   record BYTES            create the record in JOURNAL_DIR, write BYTES, fsync it
 *   record-xattr BYTES      create the record, keep BYTES in an xattr (no sync)
 *   collapse OFF LEN        fallocate COLLAPSE_RANGE of REC
 *   insert OFF LEN          fallocate INSERT_RANGE of REC
 *   truncate SIZE           ftruncate REC
 *   save OFF LEN TO         FICLONERANGE REC [OFF, +LEN) into the sidecar at TO
 *   restore OFF LEN TO      FICLONERANGE the sidecar [OFF, +LEN) into REC at TO
 *   write OFF LEN [BYTES]   pwrite LEN bytes at OFF: BYTES repeated, as the cut spelt them
 *                           (hex, a run of one byte as HH*N, pieces joined by '.'); without
 *                           BYTES (a write of more than 64 KiB, an MP4's moov), null packets
 *   fsync FILE              fsync of recording, sidecar, journal (the record) or directory (JOURNAL_DIR)
 *   done N                  append N "done k" lines to the record and fdatasync it
 *   unlink-sidecar          remove the sidecar
 *   unlink                  remove the record
 * Exit status 0, or 1 with the failing call on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

static int rec = -1, record = -1, sidecar = -1, dir = -1;
static char record_path[4096], sidecar_path[4096];
static char buffer[1 << 20], done_lines[7 * 512];
/* A write's bytes, repeated to fill the buffer in whole repetitions (as the cut's own writes). */
static char pattern[1 << 20];

static void fail(const char *what)
{
    fprintf(stderr, "media-floor: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int fd_of(const char *name)
{
    if (!strcmp(name, "recording")) return rec;
    if (!strcmp(name, "sidecar")) return sidecar;
    if (!strcmp(name, "journal")) return record;
    if (!strcmp(name, "directory")) return dir;
    errno = EINVAL;
    fail(name);
    return -1;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* The bytes TEXT spells into pattern[] (see the write call above); their count, or -1. */
static long long spelt(const char *text)
{
    long long n = 0;
    for (const char *p = text; *p && *p != '\n';) {
        int hi = hex_digit(p[0]), lo = hi < 0 ? -1 : hex_digit(p[1]);
        if (lo < 0) return -1;
        int byte = hi << 4 | lo;
        p += 2;
        long long count = 1;
        if (*p == '*') {
            char *end;
            count = strtoll(p + 1, &end, 10);
            p = end;
        }
        if (count < 1 || n + count > (long long)sizeof pattern) return -1;
        memset(pattern + n, byte, count);
        n += count;
        if (*p == '.') p++;
    }
    return n;
}

static void clone_range(int src, long long off, long long len, int dst, long long to)
{
    struct file_clone_range r = { .src_fd = src, .src_offset = off, .src_length = len, .dest_offset = to };
    if (ioctl(dst, FICLONERANGE, &r)) fail("FICLONERANGE");
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: media-floor REC JOURNAL_DIR < calls\n");
        return 2;
    }
    if ((rec = open(argv[1], O_RDWR)) < 0) fail(argv[1]);
    mkdir(argv[2], 0700);
    if ((dir = open(argv[2], O_RDONLY | O_DIRECTORY)) < 0) fail(argv[2]);
    snprintf(record_path, sizeof record_path, "%s/floor.edit", argv[2]);
    snprintf(sidecar_path, sizeof sidecar_path, "%s/floor.sidecar", argv[2]);
    /* null packets: 0x47 1F FF 10, then 0xFF */
    memset(buffer, 0xFF, sizeof buffer);
    for (size_t i = 0; i + 188 <= sizeof buffer; i += 188) {
        buffer[i] = 0x47; buffer[i + 1] = 0x1F; buffer[i + 2] = (char)0xFF; buffer[i + 3] = 0x10;
    }
    for (size_t i = 0; i < sizeof done_lines; i += 7) memcpy(done_lines + i, "done 0\n", 7);
    char call[64], arg[64];
    long long a, b, c;
    off_t record_end = 0;
    char *line = NULL;
    size_t line_size = 0;
    while (getline(&line, &line_size, stdin) > 0) {
        if (sscanf(line, "%63s", call) != 1) continue;
        if (!strcmp(call, "record") || !strcmp(call, "record-xattr")) {
            sscanf(line, "%*s %lld", &a);
            if ((record = open(record_path, O_RDWR | O_CREAT | O_TRUNC, 0600)) < 0) fail("creating the record");
            if (a > (long long)sizeof buffer) a = sizeof buffer;
            if (!strcmp(call, "record")) {
                if (pwrite(record, buffer, a, 0) != a) fail("writing the record");
                record_end = a;
                if (fsync(record)) fail("fsync of the record");
            } else if (fsetxattr(record, "user.movdata.record", buffer, a, 0)) {
                fail("setting the record's xattr");
            }
        } else if (!strcmp(call, "collapse") || !strcmp(call, "insert")) {
            sscanf(line, "%*s %lld %lld", &a, &b);
            if (fallocate(rec, !strcmp(call, "collapse") ? FALLOC_FL_COLLAPSE_RANGE : FALLOC_FL_INSERT_RANGE, a, b)) fail(call);
        } else if (!strcmp(call, "truncate")) {
            sscanf(line, "%*s %lld", &a);
            if (ftruncate(rec, a)) fail("ftruncate");
        } else if (!strcmp(call, "save")) {
            sscanf(line, "%*s %lld %lld %lld", &a, &b, &c);
            if (sidecar < 0 && (sidecar = open(sidecar_path, O_RDWR | O_CREAT | O_TRUNC, 0600)) < 0) fail("creating the sidecar");
            clone_range(rec, a, b, sidecar, c);
        } else if (!strcmp(call, "restore")) {
            sscanf(line, "%*s %lld %lld %lld", &a, &b, &c);
            clone_range(sidecar, a, b, rec, c);
        } else if (!strcmp(call, "write")) {
            int at = 0;
            sscanf(line, "%*s %lld %lld %n", &a, &b, &at);
            const char *fill = buffer;
            long long whole = sizeof buffer / 188 * 188;
            if (at > 0 && line[at] && line[at] != '\n') {
                long long unit = spelt(line + at);
                if (unit < 1) {
                    errno = EINVAL;
                    fail("a write's bytes");
                }
                for (whole = unit; whole + unit <= (long long)sizeof pattern; whole += unit)
                    memcpy(pattern + whole, pattern, unit);
                fill = pattern;
            }
            for (long long done = 0; done < b;) {
                long long n = b - done < whole ? b - done : whole;
                if (pwrite(rec, fill, n, a + done) != n) fail("pwrite");
                done += n;
            }
        } else if (!strcmp(call, "fsync")) {
            sscanf(line, "%*s %63s", arg);
            if (fsync(fd_of(arg))) fail("fsync");
        } else if (!strcmp(call, "done")) {
            sscanf(line, "%*s %lld", &a);
            if (a > 512) a = 512;
            if (pwrite(record, done_lines, 7 * a, record_end) != 7 * a) fail("appending to the record");
            record_end += 7 * a;
            if (fdatasync(record)) fail("fdatasync of the record");
        } else if (!strcmp(call, "unlink-sidecar")) {
            close(sidecar);
            sidecar = -1;
            if (unlink(sidecar_path)) fail("removing the sidecar");
        } else if (!strcmp(call, "unlink")) {
            close(record);
            record = -1;
            if (unlink(record_path)) fail("removing the record");
        } else {
            errno = EINVAL;
            fail(call);
        }
    }
    return 0;
}
