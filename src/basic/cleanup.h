/* Cleanup bound to scope, as in systemd and crun.
 *
 * An fd starts at -1, a pointer at NULL; every destructor accepts those.
 * TAKE_FD / TAKE_PTR move ownership out of a scope. */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

#define TAKE_FD(fd)              \
        ({                       \
                int _fd_ = (fd); \
                (fd) = -1;       \
                _fd_;            \
        })
#define TAKE_PTR(p)                      \
        ({                               \
                __typeof__(p) _p_ = (p); \
                (p) = NULL;              \
                _p_;                     \
        })

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))
