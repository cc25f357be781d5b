/* JSON-lines audit sink. Each record is written with one write(2) on an
 * O_APPEND descriptor under an exclusive flock, so that concurrent runs
 * never interleave lines. The file is created 0600: it holds outputs. */
#include "audit/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/file.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/clock.h"
#include "basic/fd.h"
#include "basic/jsontext.h"
#include "basic/limits.h"

static void run_id(char out[33]) {
        unsigned char b[16];
        if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
                memset(b, 0, sizeof b);
        for (int i = 0; i < 16; i++)
                snprintf(out + 2 * i, 3, "%02x", b[i]);
}

int audit_open(const char *path, ward_error *err) {
        /* O_NONBLOCK so that a FIFO there fails (ENXIO) instead of waiting
         * for a reader; a regular file appends the same either way. */
        int fd = fd_open_no_symlinks(path, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK, 0600);
        if (fd < 0)
                return err_set(err, fd, "audit %s: %s%s", path, fd == -ENXIO ? "not a regular file" : strerror(-fd),
                               fd == -ELOOP ? " (ward follows no symlinks in this path)" : "");
        if (fd_require_regular(fd) < 0) {
                close(fd);
                return err_set(err, -EINVAL, "audit %s: not a regular file", path);
        }
        return fd;
}

int audit_append(int fd, size_t max_len, json_t *doc, const char *policy_digest, const char *subject_kind,
                 const char *subject_digest, ward_error *err) {
        char id[33], when[64];
        struct tm tm;
        run_id(id);
        uint64_t now = clock_real_ms();
        time_t secs = (time_t)(now / 1000);
        gmtime_r(&secs, &tm);
        size_t n = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(when + n, sizeof when - n, ".%03uZ", (unsigned)(now % 1000));

        json_t *rec = json_deep_copy(doc);
        int bad = 0;
        if (!rec)
                return err_set(err, -ENOMEM, "audit: out of memory");
        bad |= json_object_set_new(rec, "run_id", json_string(id));
        bad |= json_object_set_new(rec, "time", json_string(when));
        bad |= json_object_set_new(rec, "policy_sha256", json_string(policy_digest));
        bad |= json_object_set_new(rec, subject_kind, json_string(subject_digest));
        _cleanup_free_ char *out = NULL;
        size_t len = 0;
        int t = bad ? -ENOMEM : json_text(rec, JSON_COMPACT, max_len, 1, &out, &len);
        json_decref(rec);
        if (t < 0)
                return err_set(err, t, "audit: %s", t == -E2BIG ? "the record is too large" : "out of memory");
        if (flock(fd, LOCK_EX) < 0) {
                // cppcheck-suppress memleak ; out is freed by _cleanup_free_, which cppcheck does not model
                // NOLINTNEXTLINE(clang-analyzer-unix.Malloc): out is freed by _cleanup_free_, which the analyzer does not model
                return err_set(err, -errno, "audit: lock: %s", strerror(errno));
        }
        int r = fd_write_full(fd, out, len);
        (void)flock(fd, LOCK_UN);
        if (r < 0)
                return err_set(err, r, "audit: write: %s", strerror(-r));
        return 0;
}
