/* Cleanup bound to scope, as in systemd and crun.
 *
 * An fd starts at -1, a pointer at NULL; every destructor accepts those.
 * TAKE_FD / TAKE_PTR move ownership out of a scope. */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static inline void freep(void *p) {
        free(*(void **)p);
}
// NOLINTNEXTLINE(readability-non-const-parameter): the cleanup attribute passes an int *, the type of the variable's address
static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}

static inline void closedirp(DIR **d) {
        if (*d)
                closedir(*d);
}
/* A child process that a scope started is killed and reaped when the
 * scope ends (crun's cleanup_pid): a leaked sandboxed process is a
 * security bug, not a leak. TAKE_PID hands it on once it is someone
 * else's to wait for. */
static inline void pid_kill_and_reap(pid_t pid) {
        if (pid <= 0)
                return;
        int saved = errno;
        (void)kill(pid, SIGKILL);
        while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR)
                ;
        errno = saved;
}
static inline void killpidp(const pid_t *pid) {
        pid_kill_and_reap(*pid);
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_closedir_ _cleanup_(closedirp)
#define _cleanup_pid_ _cleanup_(killpidp)

#define TAKE_FD(fd)              \
        ({                       \
                int _fd_ = (fd); \
                (fd) = -1;       \
                _fd_;            \
        })
#define TAKE_PID(pid)                \
        ({                           \
                pid_t _pid_ = (pid); \
                (pid) = 0;           \
                _pid_;               \
        })
#define TAKE_PTR(p)                      \
        ({                               \
                __typeof__(p) _p_ = (p); \
                (p) = NULL;              \
                _p_;                     \
        })

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))
