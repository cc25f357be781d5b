/* A session's files from the host side (see files.h for why every path is
 * resolved below the work dir's fd and never through a symlink). */
#include "exec/files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fd.h"
#include "basic/limits.h"

#define RESOLVE_FLAGS (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV)

static int open_beneath(int dfd, const char *path, int flags, mode_t mode) {
        struct open_how how = {
                .flags = (uint64_t)flags | O_CLOEXEC,
                .mode = (flags & O_CREAT) ? mode : 0,
                .resolve = RESOLVE_FLAGS,
        };
        int fd = (int)syscall(SYS_openat2, dfd, path, &how, sizeof how);
        return fd < 0 ? -errno : fd;
}

int files_open_home(int scratch_fd) {
        return open_beneath(scratch_fd, "home", O_PATH | O_DIRECTORY, 0);
}

int files_check_path(const char *path, bool allow_root, ward_error *err) {
        size_t len = strlen(path);
        if (len == 0)
                return allow_root ? 0 : err_set(err, -EINVAL, "path: empty");
        if (len > WARD_PATH_MAX)
                return err_set(err, -ENAMETOOLONG, "path: longer than %u bytes", WARD_PATH_MAX);
        if (path[0] == '/')
                return err_set(err, -EINVAL, "path: '%s' must be relative to the session's work dir", path);
        const char *p = path;
        while (*p) {
                const char *slash = strchr(p, '/');
                size_t n = slash ? (size_t)(slash - p) : strlen(p);
                if (n == 0 && slash && slash[1] == '\0')
                        break; /* one trailing slash, for a directory */
                if (n == 0 || (n == 1 && p[0] == '.'))
                        return err_set(err, -EINVAL, "path: '%s' has an empty or '.' component", path);
                if (n == 2 && p[0] == '.' && p[1] == '.')
                        return err_set(err, -EACCES, "path: '%s' leaves the session's work dir", path);
                for (size_t i = 0; i < n; i++)
                        if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
                                return err_set(err, -EINVAL, "path: '%s' has a control character", path);
                p += n;
                if (*p == '/')
                        p++;
        }
        return 0;
}

static int path_error(ward_error *err, int r, const char *path) {
        if (r == -ELOOP || r == -EXDEV)
                return err_set(err, -EACCES, "path: '%s' goes through a symlink or out of the work dir", path);
        if (r == -ENOENT)
                return err_set(err, r, "path: '%s' does not exist", path);
        if (r == -ENOSPC || r == -EDQUOT)
                return err_set(err, -ENOSPC, "path: '%s': the session's disk is full", path);
        return err_set(err, r, "path: '%s': %s", path, strerror(-r));
}

int files_put(int home_fd, const char *path, const void *data, size_t len, ward_error *err) {
        int r = files_check_path(path, false, err);
        if (r < 0)
                return r;
        if (path[strlen(path) - 1] == '/')
                return err_set(err, -EISDIR, "path: '%s' names a directory", path);
        char copy[WARD_PATH_MAX + 1]; /* files_check_path() bounded it */
        snprintf(copy, sizeof copy, "%s", path);
        /* Each directory on the way is made, then opened beneath the one
         * before: no component is ever looked up through a symlink. */
        _cleanup_close_ int dfd = fcntl(home_fd, F_DUPFD_CLOEXEC, 3);
        if (dfd < 0)
                return err_set(err, -errno, "dup: %s", strerror(errno));
        char *comp = copy;
        for (char *slash; (slash = strchr(comp, '/')); comp = slash + 1) {
                *slash = '\0';
                if (mkdirat(dfd, comp, 0755) < 0 && errno != EEXIST)
                        return path_error(err, -errno, path);
                int next = open_beneath(dfd, comp, O_PATH | O_DIRECTORY, 0);
                if (next < 0)
                        return path_error(err, next == -ENOTDIR ? -EEXIST : next, path);
                close(dfd);
                dfd = next;
        }
        /* What is there now must be a regular file (or nothing): a
         * directory, FIFO or symlink of that name is refused, not replaced. */
        struct stat st;
        if (fstatat(dfd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode))
                return err_set(err, -EEXIST, "path: '%s' is there and is not a regular file", path);
        /* Written whole to a new file, then renamed over the old one: an
         * upload that fails (the disk is full) leaves the old file as it
         * was, and no part of the new one. */
        char tmp[64];
        _cleanup_close_ int fd = -1;
        for (int attempt = 0; attempt < 8 && fd < 0; attempt++) {
                uint64_t rnd = 0;
                if (getrandom(&rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
                        return err_set(err, -EIO, "path: '%s': no randomness for a temporary name", path);
                snprintf(tmp, sizeof tmp, ".ward-upload-%016llx", (unsigned long long)rnd);
                fd = open_beneath(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
                if (fd < 0 && fd != -EEXIST)
                        return path_error(err, fd, path);
        }
        if (fd < 0)
                return path_error(err, fd, path);
        r = fd_write_full(fd, data, len);
        if (r >= 0 && renameat(dfd, tmp, dfd, comp) < 0)
                r = -errno;
        if (r < 0) {
                (void)unlinkat(dfd, tmp, 0);
                return path_error(err, r, path);
        }
        return 0;
}

int files_get(int home_fd, const char *path, size_t max, char **ret, size_t *ret_len, ward_error *err) {
        int r = files_check_path(path, false, err);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = open_beneath(home_fd, path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW, 0);
        if (fd < 0)
                return path_error(err, fd, path);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return path_error(err, -errno, path);
        if (S_ISDIR(st.st_mode))
                return err_set(err, -EISDIR, "path: '%s' is a directory", path);
        if (!S_ISREG(st.st_mode))
                return err_set(err, -EINVAL, "path: '%s' is not a regular file", path);
        if ((uint64_t)st.st_size > max)
                return err_set(err, -EFBIG, "path: '%s' is larger than %zu bytes", path, max);
        r = fd_read_all(fd, max, ret, ret_len);
        if (r < 0)
                return err_set(err, r, "path: '%s': %s", path, strerror(-r));
        return 0;
}

int files_delete(int home_fd, const char *path, ward_error *err) {
        int r = files_check_path(path, false, err);
        if (r < 0)
                return r;
        char copy[WARD_PATH_MAX + 1]; /* files_check_path() bounded it */
        snprintf(copy, sizeof copy, "%s", path);
        size_t n = strlen(copy);
        if (copy[n - 1] == '/')
                copy[n - 1] = '\0';
        char *slash = strrchr(copy, '/');
        _cleanup_close_ int dfd = -1;
        const char *name = copy;
        if (slash) {
                *slash = '\0';
                name = slash + 1;
                dfd = open_beneath(home_fd, copy, O_PATH | O_DIRECTORY, 0);
        } else {
                dfd = fcntl(home_fd, F_DUPFD_CLOEXEC, 3);
        }
        if (dfd < 0)
                return path_error(err, dfd < -1 ? dfd : -errno, path);
        /* unlinkat never follows the last component: a symlink is removed
         * itself, whatever it points at. */
        if (unlinkat(dfd, name, 0) == 0)
                return 0;
        if (errno == EISDIR && unlinkat(dfd, name, AT_REMOVEDIR) == 0)
                return 0;
        if (errno == ENOTEMPTY || errno == EEXIST)
                return err_set(err, -ENOTEMPTY, "path: '%s' is a directory that is not empty", path);
        return path_error(err, -errno, path);
}

/* Walks a directory tree below dfd, calling fn for each entry. Bounded in
 * depth and in entries; symlinks are reported, never followed. */
typedef int (*walk_fn)(void *ctx, const char *path, const struct stat *st);

// NOLINTNEXTLINE(misc-no-recursion): bounded by WARD_FILES_DEPTH_MAX, and by the entries' budget
static int walk(int dfd, char *path, size_t path_len, int depth, size_t *budget, walk_fn fn, void *ctx) {
        int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        int r = 0;
        struct dirent *de;
        while (r >= 0 && (de = readdir(d))) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (*budget == 0) {
                        r = -E2BIG;
                        break;
                }
                (*budget)--;
                size_t n = strlen(de->d_name);
                if (path_len + n + 2 > WARD_PATH_MAX)
                        continue;
                size_t len = path_len;
                if (len)
                        path[len++] = '/';
                memcpy(path + len, de->d_name, n + 1);
                struct stat st;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        path[path_len] = '\0';
                        continue; /* gone meanwhile */
                }
                r = fn(ctx, path, &st);
                if (r >= 0 && S_ISDIR(st.st_mode) && depth < WARD_FILES_DEPTH_MAX) {
                        int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub >= 0) {
                                r = walk(sub, path, len + n, depth + 1, budget, fn, ctx);
                                close(sub);
                        }
                }
                path[path_len] = '\0';
        }
        closedir(d);
        return r;
}

static const char *type_name(mode_t m) {
        return S_ISREG(m) ? "file" : S_ISDIR(m) ? "dir" : S_ISLNK(m) ? "symlink" : "other";
}

static int list_one(void *ctx, const char *path, const struct stat *st) {
        json_t *arr = ctx;
        json_t *e = json_pack("{s:s, s:s, s:I, s:I}", "path", path, "type", type_name(st->st_mode), "size",
                              (json_int_t)st->st_size, "mtime", (json_int_t)st->st_mtim.tv_sec);
        if (!e || json_array_append_new(arr, e) < 0)
                return -ENOMEM;
        return 0;
}

int files_list(int home_fd, const char *dir, json_t **ret, ward_error *err) {
        int r = files_check_path(dir, true, err);
        if (r < 0)
                return r;
        _cleanup_close_ int dfd = open_beneath(home_fd, dir[0] ? dir : ".", O_RDONLY | O_DIRECTORY, 0);
        if (dfd < 0)
                return path_error(err, dfd == -ENOTDIR ? -ENOTDIR : dfd, dir);
        json_t *arr = json_array();
        if (!arr)
                return err_set(err, -ENOMEM, "out of memory");
        char path[WARD_PATH_MAX + 1];
        size_t plen = strlen(dir);
        while (plen && dir[plen - 1] == '/')
                plen--;
        memcpy(path, dir, plen);
        path[plen] = '\0';
        size_t budget = WARD_FILES_LIST_MAX;
        r = walk(dfd, path, plen, 0, &budget, list_one, arr);
        if (r < 0 && r != -E2BIG) {
                json_decref(arr);
                return err_set(err, r, "dir: '%s': %s", dir, strerror(-r));
        }
        *ret = arr;
        return 0;
}

static int snap_one(void *ctx, const char *path, const struct stat *st) {
        files_snapshot *s = ctx;
        if (S_ISDIR(st->st_mode))
                return 0;
        if (s->n == s->alloc) {
                size_t a = s->alloc ? s->alloc * 2 : 64;
                files_entry *e = realloc(s->e, a * sizeof *e);
                if (!e)
                        return -ENOMEM;
                s->e = e;
                s->alloc = a;
        }
        char *p = strdup(path);
        if (!p)
                return -ENOMEM;
        s->e[s->n++] = (files_entry){
                .path = p,
                .size = (uint64_t)st->st_size,
                .mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec,
                .ino = st->st_ino,
        };
        return 0;
}

static int cmp_entry(const void *a, const void *b) {
        return strcmp(((const files_entry *)a)->path, ((const files_entry *)b)->path);
}

int files_snapshot_take(int home_fd, files_snapshot *ret) {
        *ret = (files_snapshot){0};
        if (home_fd < 0)
                return -EBADF;
        _cleanup_close_ int dfd = open_beneath(home_fd, ".", O_RDONLY | O_DIRECTORY, 0);
        if (dfd < 0)
                return dfd;
        char path[WARD_PATH_MAX + 1] = "";
        size_t budget = WARD_FILES_LIST_MAX;
        int r = walk(dfd, path, 0, 0, &budget, snap_one, ret);
        ret->truncated = r == -E2BIG;
        if (ret->n)
                qsort(ret->e, ret->n, sizeof *ret->e, cmp_entry);
        return r == -E2BIG ? 0 : r;
}

void files_snapshot_free(files_snapshot *s) {
        for (size_t i = 0; i < s->n; i++)
                free(s->e[i].path);
        free(s->e);
        *s = (files_snapshot){0};
}

static int add_change(json_t *arr, const files_entry *e, const char *change) {
        return json_array_append_new(
                arr, json_pack("{s:s, s:I, s:s}", "path", e->path, "size", (json_int_t)e->size, "change", change));
}

json_t *files_diff_json(const files_snapshot *before, const files_snapshot *after) {
        const files_snapshot *a = before, *b = after;
        json_t *arr = json_array();
        if (!arr)
                return NULL;
        size_t i = 0, j = 0;
        while (i < a->n || j < b->n) {
                int c = i == a->n ? 1 : j == b->n ? -1 : strcmp(a->e[i].path, b->e[j].path);
                if (c < 0) {
                        (void)add_change(arr, &a->e[i++], "deleted");
                } else if (c > 0) {
                        (void)add_change(arr, &b->e[j++], "created");
                } else {
                        if (a->e[i].size != b->e[j].size || a->e[i].mtime_ns != b->e[j].mtime_ns ||
                            a->e[i].ino != b->e[j].ino)
                                (void)add_change(arr, &b->e[j], "modified");
                        i++;
                        j++;
                }
        }
        return arr;
}
