/* A session's files, from the host side: upload, download, remove, list,
 * and what a cell changed.
 *
 * The work dir is on the session's scratch tmpfs, which the sandbox
 * writes: any name in it may be a symlink, a FIFO or a hard link the
 * sandbox planted. Every path is resolved below the work dir's fd with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV), so
 * that nothing outside it is ever reached, and only regular files are read. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/error.h"

/* An O_PATH fd to <scratch>/home, the sandbox's /home/user. */
int files_open_home(int scratch_fd);

/* Checks a path a client gave: relative, no "..", no empty or "."
 * component, at most WARD_PATH_MAX bytes. "" is the work dir itself when
 * allow_root. */
int files_check_path(const char *path, bool allow_root, ward_error *err);

/* Writes a file (creating the directories on its way), replacing one
 * that is there. -ENOSPC when the session's disk is full. */
int files_put(int home_fd, const char *path, const void *data, size_t len, ward_error *err);
/* Reads a regular file of at most max bytes (-EFBIG above). */
int files_get(int home_fd, const char *path, size_t max, char **ret, size_t *ret_len, ward_error *err);
/* Removes a file or an empty directory. */
int files_delete(int home_fd, const char *path, ward_error *err);
/* Lists a directory, recursively, at most WARD_FILES_LIST_MAX entries:
 * [{path, type, size, mtime}]. */
int files_list(int home_fd, const char *dir, json_t **ret, ward_error *err);

/* What the work dir held, to tell what a cell changed. */
typedef struct files_entry {
        char *path;
        uint64_t size;
        int64_t mtime_ns;
        uint64_t ino;
} files_entry;
typedef struct files_snapshot {
        files_entry *e;
        size_t n, alloc;
        bool truncated;
} files_snapshot;
int files_snapshot_take(int home_fd, files_snapshot *ret);
void files_snapshot_free(files_snapshot *s);
/* [{path, size, change: created|modified|deleted}] */
json_t *files_diff_json(const files_snapshot *before, const files_snapshot *after);
