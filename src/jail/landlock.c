/* Landlock: the file system view of the mounts, enforced a second time.
 *
 * The mount namespace already hides the host; landlock makes the writable
 * places the only writable places even if a mount were got wrong, and
 * (ABI 6) scopes signals and abstract unix sockets to the sandbox. ward
 * serve's front takes the other ruleset made here: every right handled
 * and no rule, so that it can open no file at all (landlock_deny_all).
 * The kernel headers of older distributions lack the newer rights, so
 * they are spelled out here. */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "jail/jail.h"

#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#define WARD_LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#define WARD_LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)
#define WARD_LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#define WARD_LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define WARD_LANDLOCK_SCOPE_SIGNAL (1ULL << 1)

/* The ruleset attribute as of ABI 6; the kernel reads only as many bytes
 * as we pass, so older kernels get the shorter prefix. */
struct ward_ruleset_attr {
        uint64_t handled_access_fs;
        uint64_t handled_access_net;
        uint64_t scoped;
};

int landlock_abi(void) {
        long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
        return abi < 0 ? 0 : (int)abi;
}

#define READ_RIGHTS (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define WRITE_RIGHTS                                                                                      \
        (LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE | \
         LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |       \
         LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |    \
         LANDLOCK_ACCESS_FS_MAKE_SYM)

static int add_path(int ruleset, const char *path, uint64_t rights) {
        _cleanup_close_ int fd = open(path, O_PATH | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        struct landlock_path_beneath_attr pb = {.allowed_access = rights, .parent_fd = fd};
        if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0)
                return -errno;
        return 0;
}

/* A ruleset for this ABI. Both kinds handle every file-system right up to
 * truncate (ABI 3) and scope signals and abstract unix sockets (ABI 6).
 * deny_all also handles device ioctls (ABI 5) and TCP bind and connect
 * (ABI 4): the front needs none of them, while a sandbox's program uses
 * its terminal and its own network namespace, which its seccomp filter
 * and the namespace already bound. */
static int ruleset_create(int abi, bool deny_all) {
        uint64_t handled = READ_RIGHTS | WRITE_RIGHTS;
        if (abi >= 2)
                handled |= LANDLOCK_ACCESS_FS_REFER;
        if (abi >= 3)
                handled |= LANDLOCK_ACCESS_FS_TRUNCATE;
        struct ward_ruleset_attr attr = {.handled_access_fs = handled};
        size_t size = sizeof attr.handled_access_fs;
        if (deny_all && abi >= 4) {
                attr.handled_access_net = WARD_LANDLOCK_ACCESS_NET_BIND_TCP | WARD_LANDLOCK_ACCESS_NET_CONNECT_TCP;
                size = offsetof(struct ward_ruleset_attr, scoped);
        }
        if (deny_all && abi >= 5)
                attr.handled_access_fs |= WARD_LANDLOCK_ACCESS_FS_IOCTL_DEV;
        if (abi >= 6) {
                attr.scoped = WARD_LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | WARD_LANDLOCK_SCOPE_SIGNAL;
                size = sizeof attr;
        }
        int fd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
        return fd < 0 ? -errno : fd;
}

int landlock_apply(int abi, const char *const *writable, size_t n, const char *const *write_files, size_t nf) {
        if (abi < 1)
                return -EOPNOTSUPP;
        uint64_t extra_write = 0;
        if (abi >= 2)
                extra_write |= LANDLOCK_ACCESS_FS_REFER;
        if (abi >= 3)
                extra_write |= LANDLOCK_ACCESS_FS_TRUNCATE;
        _cleanup_close_ int ruleset = ruleset_create(abi, false);
        if (ruleset < 0)
                return ruleset;
        int r = add_path(ruleset, "/", READ_RIGHTS);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                if ((r = add_path(ruleset, writable[i], READ_RIGHTS | WRITE_RIGHTS | extra_write)) < 0)
                        return r;
        /* Single files (/dev/null and friends) take only file rights. */
        uint64_t file_rights = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE |
                               (abi >= 3 ? LANDLOCK_ACCESS_FS_TRUNCATE : 0);
        for (size_t i = 0; i < nf; i++)
                if ((r = add_path(ruleset, write_files[i], file_rights)) < 0 && r != -ENOENT)
                        return r;
        if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
                return -errno;
        return 0;
}

int landlock_deny_all(int abi) {
        if (abi < 1)
                return -EOPNOTSUPP;
        _cleanup_close_ int ruleset = ruleset_create(abi, true);
        if (ruleset < 0)
                return ruleset;
        if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
                return -errno;
        return 0;
}
