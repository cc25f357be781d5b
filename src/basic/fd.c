/* File descriptor helpers. Every fd ward opens is O_CLOEXEC. */
#include "basic/fd.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "basic/cleanup.h"

ssize_t fd_read_full(int fd, void *buf, size_t len) {
        size_t done = 0;
        while (done < len) {
                ssize_t n = read(fd, (char *)buf + done, len - done);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                done += (size_t)n;
        }
        return (ssize_t)done;
}

int fd_write_full(int fd, const void *buf, size_t len) {
        size_t done = 0;
        while (done < len) {
                ssize_t n = write(fd, (const char *)buf + done, len - done);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                done += (size_t)n;
        }
        return 0;
}

void fd_write_line(int fd, const char *prefix, const char *fmt, ...) {
        char line[WARD_LINE_MAX];
        va_list ap;
        int n = snprintf(line, sizeof line - 1, "%s", prefix ? prefix : "");
        if (n < 0 || (size_t)n > sizeof line - 2)
                n = n < 0 ? 0 : (int)sizeof line - 2;
        va_start(ap, fmt);
        // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): ap is started just above; a false positive of LLVM 14 (llvm-project#40656)
        int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
        va_end(ap);
        size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
        if (len > sizeof line - 2)
                len = sizeof line - 2;
        line[len++] = '\n';
        (void)fd_write_full(fd, line, len);
}

int fd_open_no_symlinks(const char *path, int flags, mode_t mode) {
        struct open_how how = {
                /* openat2 refuses flags that O_PATH ignores. */
                .flags = (uint64_t)(flags | O_CLOEXEC | ((flags & O_PATH) ? 0 : O_NOCTTY)),
                .mode = (flags & O_CREAT) ? mode : 0,
                .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
        return fd < 0 ? -errno : fd;
}

int fd_require_regular(int fd) {
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        return S_ISREG(st.st_mode) ? 0 : -EINVAL;
}

int fd_read_file(const char *path, size_t max, char **ret, size_t *ret_len) {
        /* O_NONBLOCK: a FIFO put where a file was expected must not hang
         * the open; it is then refused as not a regular file. */
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        int r = fd_require_regular(fd);
        if (r < 0)
                return r;
        return fd_read_all(fd, max, ret, ret_len);
}

int fd_read_all(int fd, size_t max, char **ret, size_t *ret_len) {
        _cleanup_free_ char *buf = malloc(max + 1);
        if (!buf)
                return -ENOMEM;
        ssize_t n = fd_read_full(fd, buf, max + 1);
        if (n < 0)
                return (int)n;
        if ((size_t)n > max)
                return -EFBIG;
        buf[n] = '\0';
        if (ret_len)
                *ret_len = (size_t)n;
        *ret = TAKE_PTR(buf);
        return 0;
}

int fd_write_file(const char *path, const char *data) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        return fd_write_full(fd, data, strlen(data));
}

int fd_send(int sock, const int *fds, unsigned n) {
        char byte = 'F';
        struct iovec iov = {.iov_base = &byte, .iov_len = 1};
        union {
                char buf[CMSG_SPACE(4 * sizeof(int))];
                struct cmsghdr align;
        } u;
        if (n == 0 || n > 4)
                return -EINVAL;
        memset(&u, 0, sizeof u);
        struct msghdr msg = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = u.buf,
                .msg_controllen = CMSG_SPACE(n * sizeof(int)),
        };
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(n * sizeof(int));
        memcpy(CMSG_DATA(c), fds, n * sizeof(int));
        for (;;) {
                ssize_t r = sendmsg(sock, &msg, MSG_NOSIGNAL);
                if (r >= 0)
                        return 0;
                if (errno != EINTR)
                        return -errno;
        }
}

int fd_recv(int sock, int *fds, unsigned n) {
        char byte;
        struct iovec iov = {.iov_base = &byte, .iov_len = 1};
        union {
                char buf[CMSG_SPACE(4 * sizeof(int))];
                struct cmsghdr align;
        } u;
        if (n == 0 || n > 4)
                return -EINVAL;
        struct msghdr msg = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = u.buf,
                .msg_controllen = sizeof u.buf,
        };
        ssize_t r;
        do
                r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
        while (r < 0 && errno == EINTR);
        if (r < 0)
                return -errno;
        if (r == 0)
                return -EPIPE;
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
            c->cmsg_len != CMSG_LEN(n * sizeof(int)) || (msg.msg_flags & MSG_CTRUNC)) {
                /* Close whatever did arrive: a peer that sends the wrong
                 * number of fds must not leak them into us. */
                if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                        size_t got = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                        int tmp[4];
                        memcpy(tmp, CMSG_DATA(c), (got > 4 ? 4 : got) * sizeof(int));
                        for (size_t i = 0; i < got && i < 4; i++)
                                close(tmp[i]);
                }
                return -EBADMSG;
        }
        memcpy(fds, CMSG_DATA(c), n * sizeof(int));
        return 0;
}

void fd_close_from(int from) {
#ifdef SYS_close_range
        if (syscall(SYS_close_range, (unsigned)from, ~0u, 0) == 0)
                return;
#endif
        /* Fallback for kernels before 5.9: walk /proc/self/fd. */
        _cleanup_closedir_ DIR *d = opendir("/proc/self/fd");
        if (!d) {
                for (int fd = from; fd < 65536; fd++)
                        close(fd);
                return;
        }
        int dfd = dirfd(d);
        struct dirent *de;
        while ((de = readdir(d))) {
                char *end;
                long fd = strtol(de->d_name, &end, 10);
                if (*end || de->d_name[0] == '.' || fd < from || fd == dfd)
                        continue;
                close((int)fd);
        }
}

int fd_nonblock(int fd) {
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
                return -errno;
        return 0;
}
