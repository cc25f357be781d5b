/* Copying /output to the host, safely.
 *
 * The sandbox is dead by now, but what it left is still hostile: only
 * regular files and directories are copied; symlinks, devices, fifos and
 * sockets are skipped with an event; setuid, setgid and sticky bits are
 * dropped; nothing on the host side is followed (O_NOFOLLOW, openat from a
 * directory fd), and a name that already exists as anything but a regular
 * file is left alone. The host directory itself was opened before the
 * run began: a sandbox that can write near it (a --rw bind, the workdir)
 * cannot swap it for a symlink to somewhere else meanwhile. The source is
 * walked through the scratch fd with RESOLVE_BENEATH, so no path leaves
 * it. What is copied is bounded by the disk limit in logical bytes (sparse
 * files count their full size), and a file with several hard links is
 * copied once. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fd.h"
#include "basic/limits.h"
#include "supervise/supervise.h"

static int open_beneath(int dirfd, const char *name, int flags) {
        struct open_how how = {
                .flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW),
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
        };
        int fd = (int)syscall(SYS_openat2, dirfd, name, &how, sizeof how);
        return fd < 0 ? -errno : fd;
}

static int copy_file(int src_dir, int dst_dir, const char *name, mode_t mode) {
        _cleanup_close_ int in = open_beneath(src_dir, name, O_RDONLY);
        if (in < 0)
                return in;
        struct stat st;
        if (fstatat(dst_dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                if (!S_ISREG(st.st_mode))
                        return -EEXIST;
                if (unlinkat(dst_dir, name, 0) < 0)
                        return -errno;
        }
        _cleanup_close_ int out =
                openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0777);
        if (out < 0)
                return -errno;
        char chunk[65536];
        for (;;) {
                ssize_t n = read(in, chunk, sizeof chunk);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                int r = fd_write_full(out, chunk, (size_t)n);
                if (r < 0)
                        return r;
        }
        return 0;
}

typedef struct copy_state {
        unsigned files;
        uint64_t budget;
        /* Inodes with more than one link already copied (bounded by the
         * file count). */
        ino_t *linked;
        size_t n_linked;
        result *res;
} copy_state;

static bool seen_link(copy_state *cs, ino_t ino) {
        for (size_t i = 0; i < cs->n_linked; i++)
                if (cs->linked[i] == ino)
                        return true;
        if (!cs->linked)
                cs->linked = calloc(WARD_OUTPUT_COPY_FILES_MAX, sizeof *cs->linked);
        if (cs->linked && cs->n_linked < WARD_OUTPUT_COPY_FILES_MAX)
                cs->linked[cs->n_linked++] = ino;
        return !cs->linked; /* out of memory: copy no linked file at all */
}

// NOLINTNEXTLINE(misc-no-recursion): depth is capped at 32 levels (and the walk at WARD_OUTPUT_COPY_FILES_MAX entries)
static int copy_tree(int src, int dst, const char *rel, unsigned depth, copy_state *cs) {
        result *res = cs->res;
        if (depth > 32) {
                result_event(res, "output_skipped", rel, 1);
                return 0;
        }
        int dup_src = fcntl(src, F_DUPFD_CLOEXEC, 3);
        if (dup_src < 0)
                return -errno;
        DIR *d = fdopendir(dup_src);
        if (!d) {
                close(dup_src);
                return -errno;
        }
        struct dirent *de;
        int r = 0;
        while ((de = readdir(d)) && r >= 0) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                char path[WARD_PATH_MAX];
                snprintf(path, sizeof path, "%s/%s", rel, de->d_name);
                if (++cs->files > WARD_OUTPUT_COPY_FILES_MAX) {
                        result_event(res, "output_skipped", "too many files", 1);
                        break;
                }
                struct stat st;
                if (fstatat(src, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (S_ISREG(st.st_mode)) {
                        /* The logical size counts: a sparse file or a hard
                         * link copied out takes real space on the host. */
                        if ((uint64_t)st.st_size > cs->budget || (st.st_nlink > 1 && seen_link(cs, st.st_ino))) {
                                result_event(res, "output_skipped", path, 1);
                                continue;
                        }
                        cs->budget -= (uint64_t)st.st_size;
                        if (copy_file(src, dst, de->d_name, st.st_mode) < 0)
                                result_event(res, "output_skipped", path, 1);
                } else if (S_ISDIR(st.st_mode)) {
                        if (mkdirat(dst, de->d_name, 0755) < 0 && errno != EEXIST) {
                                result_event(res, "output_skipped", path, 1);
                                continue;
                        }
                        _cleanup_close_ int s2 = open_beneath(src, de->d_name, O_RDONLY | O_DIRECTORY);
                        _cleanup_close_ int d2 =
                                openat(dst, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (s2 < 0 || d2 < 0) {
                                result_event(res, "output_skipped", path, 1);
                                continue;
                        }
                        r = copy_tree(s2, d2, path, depth + 1, cs);
                } else {
                        result_event(res, "output_skipped", path, 1);
                }
        }
        closedir(d);
        return r;
}

int output_copy(int scratch_fd, int host_dir_fd, uint64_t max_bytes, result *res) {
        _cleanup_close_ int src = open_beneath(scratch_fd, "output", O_RDONLY | O_DIRECTORY);
        if (src < 0)
                return src;
        copy_state cs = {.budget = max_bytes, .res = res};
        int r = copy_tree(src, host_dir_fd, "/output", 0, &cs);
        free(cs.linked);
        return r;
}

/* Whether any regular file below the scratch tmpfs is at least `size`
 * bytes: how a file-size limit hit shows when the process that hit it was
 * not the one whose status we see. Bounded in entries and depth. */
// NOLINTNEXTLINE(misc-no-recursion): depth is capped at 32 levels (and the walk at WARD_OUTPUT_COPY_FILES_MAX entries)
static bool big_file_below(int dir, uint64_t size, unsigned depth, unsigned *budget) {
        if (depth > 32)
                return false;
        int dup_dir = fcntl(dir, F_DUPFD_CLOEXEC, 3);
        if (dup_dir < 0)
                return false;
        DIR *d = fdopendir(dup_dir);
        if (!d) {
                close(dup_dir);
                return false;
        }
        bool found = false;
        struct dirent *de;
        /* The budget is shared with the whole walk: once spent, every level
         * stops (a post-decrement test would wrap it to UINT_MAX). */
        while (!found && *budget > 0 && (de = readdir(d))) {
                (*budget)--;
                struct stat st;
                if (de->d_name[0] == '.' && (de->d_name[1] == '\0' || (de->d_name[1] == '.' && !de->d_name[2])))
                        continue;
                if (fstatat(dir, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (S_ISREG(st.st_mode) && (uint64_t)st.st_size >= size) {
                        found = true;
                } else if (S_ISDIR(st.st_mode)) {
                        _cleanup_close_ int sub = open_beneath(dir, de->d_name, O_RDONLY | O_DIRECTORY);
                        if (sub >= 0)
                                found = big_file_below(sub, size, depth + 1, budget);
                }
        }
        closedir(d);
        return found;
}

bool scratch_has_file_of(int scratch_fd, uint64_t size) {
        _cleanup_close_ int root = open_beneath(scratch_fd, ".", O_RDONLY | O_DIRECTORY);
        unsigned budget = WARD_OUTPUT_COPY_FILES_MAX;
        return root >= 0 && big_file_below(root, size, 0, &budget);
}
