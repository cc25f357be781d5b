/* File descriptor helpers: full reads and writes, fd passing, closing. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "basic/limits.h"

ssize_t fd_read_full(int fd, void *buf, size_t len);    /* until len or EOF */
int fd_write_full(int fd, const void *buf, size_t len); /* 0 or -errno */
/* PREFIX and the formatted text as one line (cut at WARD_LINE_MAX), in
 * one write: for processes under a seccomp filter, where stdio could
 * allocate or fstat(), and whose lines must not interleave. */
void fd_write_line(int fd, const char *prefix, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* 0 for a regular file, -EINVAL for anything else (a FIFO, a device, a
 * directory): files ward reads or appends to must be plain files. */
int fd_require_regular(int fd);
/* Reads a whole small regular file (at most max bytes, NUL-terminated). */
int fd_read_file(const char *path, size_t max, char **ret, size_t *ret_len);
int fd_read_all(int fd, size_t max, char **ret, size_t *ret_len);
int fd_write_file(const char *path, const char *data); /* O_WRONLY|O_CLOEXEC, no create */
/* Opens a path the caller gave without following any symlink in it
 * (openat2 RESOLVE_NO_SYMLINKS): -ELOOP when one is there. Host paths that
 * a sandbox could have written (a --rw bind, the workdir) may hold links
 * it planted for ward to follow with its own rights. */
int fd_open_no_symlinks(const char *path, int flags, mode_t mode);

/* Passes up to 4 fds over a unix socket with one byte of payload. */
int fd_send(int sock, const int *fds, unsigned n);
int fd_recv(int sock, int *fds, unsigned n); /* MSG_CMSG_CLOEXEC */

/* Closes every fd from `from` up, with close_range where the kernel has it. */
void fd_close_from(int from);
int fd_nonblock(int fd);
