/* fault-inject: an LD_PRELOAD library that makes the Nth call to one of
 * the functions below fail, in the process that makes it (and so also in
 * any child forked after the count reached N-1: each process counts on
 * from where its parent was).
 *
 *   WARD_FAULT_N=N        the call to fail (1-based); unset: count only
 *   WARD_FAULT_LOG=PATH   one line per injected failure, "pid function N",
 *                         written when the first process exits
 *
 * Every allocation and every call ward's setup makes into libc that can
 * fail goes through here: malloc and friends, files, directories, mounts,
 * sockets and pipes, process creation, and syscall(2) itself, through
 * which ward makes clone3, open_tree, move_mount, mount_setattr, openat2,
 * landlock, seccomp and pidfd calls. The sandboxed program never sees this
 * library: ward starts it with an environment of its own. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

// The whole file redefines libc's own functions and calls the real ones through them (syscall() reaches libc's
// syscall, not itself; the macros paste names and parameter lists, which cannot take parentheses):
// NOLINTBEGIN(readability-inconsistent-declaration-parameter-name,bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp,misc-no-recursion,bugprone-macro-parentheses)
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static long fail_at = -1;
static long count;
static char log_path[4096];
static pid_t first_pid;

/* Injections are recorded in memory shared with every child forked or
 * cloned without exec (the sandbox's init and the program before its
 * execve): after pivot_root a child cannot reach the log's path, and it
 * closes every fd it did not expect. The first process writes the record
 * out when it exits. */
#define SHARED_SIZE 65536
static char *shared;

__attribute__((constructor)) static void fault_init(void) {
        const char *n = getenv("WARD_FAULT_N");
        const char *l = getenv("WARD_FAULT_LOG");
        if (n)
                fail_at = strtol(n, NULL, 10);
        if (l)
                snprintf(log_path, sizeof log_path, "%s", l);
        first_pid = (pid_t)syscall(SYS_getpid);
        void *m = mmap(NULL, SHARED_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        shared = m == MAP_FAILED ? NULL : m;
}

__attribute__((destructor)) static void fault_fini(void) {
        if (!shared || !log_path[0] || (pid_t)syscall(SYS_getpid) != first_pid)
                return;
        size_t len = strnlen(shared + sizeof(size_t), SHARED_SIZE - sizeof(size_t));
        if (len == 0)
                return;
        long fd = syscall(SYS_openat, AT_FDCWD, log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0) {
                (void)!syscall(SYS_write, fd, shared + sizeof(size_t), len);
                syscall(SYS_close, fd);
        }
}

/* Whether this call fails; records it without allocating (we may be
 * inside malloc) and without stdio. */
static bool fail_now(const char *fn) {
        /* Calls made before fault_init() (the loader's, libc's own start)
         * are not counted: N must mean the same call in every run. */
        if (!first_pid || ++count != fail_at)
                return false;
        if (shared) {
                char line[128];
                int len = snprintf(line, sizeof line, "%ld %s %ld\n", (long)syscall(SYS_getpid), fn, count);
                size_t *used = (size_t *)shared;
                size_t at = __atomic_fetch_add(used, (size_t)len, __ATOMIC_SEQ_CST);
                if (at + (size_t)len < SHARED_SIZE - sizeof(size_t) - 1)
                        memcpy(shared + sizeof(size_t) + at, line, (size_t)len);
        }
        return true;
}

#define NEXT(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

void *malloc(size_t n) {
        if (fail_now("malloc")) {
                errno = ENOMEM;
                return NULL;
        }
        return __libc_malloc(n);
}

void *calloc(size_t a, size_t b) {
        if (fail_now("calloc")) {
                errno = ENOMEM;
                return NULL;
        }
        return __libc_calloc(a, b);
}

void *realloc(void *p, size_t n) {
        if (fail_now("realloc")) {
                errno = ENOMEM;
                return NULL;
        }
        return __libc_realloc(p, n);
}

/* A function of fixed arguments: fails with `err`, else calls the next. */
#define WRAP(ret, name, err, params, args) \
        ret name params {                  \
                if (fail_now(#name)) {     \
                        errno = (err);     \
                        return (ret)-1;    \
                }                          \
                return NEXT(name) args;    \
        }

WRAP(int, mkdir, ENOSPC, (const char *p, mode_t m), (p, m))
WRAP(int, mkdirat, ENOSPC, (int d, const char *p, mode_t m), (d, p, m))
WRAP(int, rmdir, EBUSY, (const char *p), (p))
WRAP(int, mount, EPERM, (const char *s, const char *t, const char *f, unsigned long fl, const void *d),
     (s, t, f, fl, d))
WRAP(int, umount2, EBUSY, (const char *t, int f), (t, f))
WRAP(int, symlink, ENOSPC, (const char *a, const char *b), (a, b))
WRAP(int, chdir, EACCES, (const char *p), (p))
WRAP(int, chmod, EPERM, (const char *p, mode_t m), (p, m))
WRAP(ssize_t, write, EIO, (int fd, const void *b, size_t n), (fd, b, n))
WRAP(ssize_t, read, EIO, (int fd, void *b, size_t n), (fd, b, n))
WRAP(ssize_t, sendmsg, ENOBUFS, (int fd, const struct msghdr *m, int f), (fd, m, f))
WRAP(ssize_t, recvmsg, ENOBUFS, (int fd, struct msghdr *m, int f), (fd, m, f))
WRAP(int, socketpair, EMFILE, (int d, int t, int p, int sv[2]), (d, t, p, sv))
WRAP(int, pipe2, EMFILE, (int fds[2], int f), (fds, f))
WRAP(int, dup2, EMFILE, (int a, int b), (a, b))
WRAP(int, dup3, EMFILE, (int a, int b, int f), (a, b, f))
WRAP(pid_t, fork, EAGAIN, (void), ())
WRAP(int, unshare, ENOMEM, (int f), (f))
WRAP(int, sethostname, EPERM, (const char *n, size_t l), (n, l))
WRAP(int, setdomainname, EPERM, (const char *n, size_t l), (n, l))
WRAP(int, setsid, EPERM, (void), ())

/* Variadic ones. */
int open(const char *p, int f, ...) {
        va_list ap;
        va_start(ap, f);
        mode_t m = (mode_t)va_arg(ap, int);
        va_end(ap);
        if (fail_now("open")) {
                errno = EACCES;
                return -1;
        }
        return NEXT(open)(p, f, m);
}

int open64(const char *p, int f, ...) {
        va_list ap;
        va_start(ap, f);
        mode_t m = (mode_t)va_arg(ap, int);
        va_end(ap);
        if (fail_now("open64")) {
                errno = EACCES;
                return -1;
        }
        return NEXT(open64)(p, f, m);
}

int openat(int d, const char *p, int f, ...) {
        va_list ap;
        va_start(ap, f);
        mode_t m = (mode_t)va_arg(ap, int);
        va_end(ap);
        if (fail_now("openat")) {
                errno = EACCES;
                return -1;
        }
        return NEXT(openat)(d, p, f, m);
}

int fcntl(int fd, int cmd, ...) {
        va_list ap;
        va_start(ap, cmd);
        long a = va_arg(ap, long);
        va_end(ap);
        if (fail_now("fcntl")) {
                errno = EMFILE;
                return -1;
        }
        return NEXT(fcntl)(fd, cmd, a);
}

int prctl(int op, ...) {
        va_list ap;
        va_start(ap, op);
        unsigned long a = va_arg(ap, unsigned long), b = va_arg(ap, unsigned long), c = va_arg(ap, unsigned long),
                      d = va_arg(ap, unsigned long);
        va_end(ap);
        if (fail_now("prctl")) {
                errno = EINVAL;
                return -1;
        }
        return NEXT(prctl)(op, a, b, c, d);
}

int ioctl(int fd, unsigned long req, ...) {
        va_list ap;
        va_start(ap, req);
        void *a = va_arg(ap, void *);
        va_end(ap);
        if (fail_now("ioctl")) {
                errno = EPERM;
                return -1;
        }
        return NEXT(ioctl)(fd, req, a);
}

long syscall(long nr, ...) {
        va_list ap;
        va_start(ap, nr);
        long a = va_arg(ap, long), b = va_arg(ap, long), c = va_arg(ap, long), d = va_arg(ap, long),
             e = va_arg(ap, long), f = va_arg(ap, long);
        va_end(ap);
        if (fail_now("syscall")) {
                errno = nr == SYS_clone3 ? EAGAIN : EPERM;
                return -1;
        }
        return NEXT(syscall)(nr, a, b, c, d, e, f);
}
// NOLINTEND(readability-inconsistent-declaration-parameter-name,bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp,misc-no-recursion,bugprone-macro-parentheses)
