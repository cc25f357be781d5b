/* The front's confinement: what the process that parses HTTP may still do.
 *
 * The front reads bytes from anyone who can reach the port. If a bug in
 * libmicrohttpd, jansson or front.c lets a client run code in it, that
 * code should find a process that holds two sockets and nothing else: no
 * privileges, no file it can open, no socket it can make, no program it
 * can execute, no process it can trace. front_confine() applies that in
 * one ordered recipe, before the first thread and the first client exist;
 * every thread libmicrohttpd starts later inherits all of it.
 *
 * The barriers are no_new_privs, the empty capability sets and the
 * seccomp allowlist; landlock and the namespaces are a second wall where
 * the kernel gives them (a missing one is said, not hidden). Each kernel
 * concern is jail/'s implementation (caps.c, userns.c, landlock.c,
 * seccomp-rules.c); what is the front's own is the order, the seccomp
 * allowlist and what it reports. */
#include "server/front.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sched.h>
#include <stddef.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "jail/jail.h"

static const char *const conf_names[] = {"fds",          "nobody",   "userns", "no_new_privs",
                                         "caps-dropped", "landlock", "seccomp"};

const char *front_conf_name(unsigned bit) {
        for (unsigned i = 0; i < ELEMENTSOF(conf_names); i++)
                if (bit == 1u << i)
                        return conf_names[i];
        return NULL;
}

/* What the front calls once it serves: libmicrohttpd (thread per
 * connection, poll), glibc's threads and malloc, jansson (no system call
 * of its own once seeded) and front.c. Found by tracing the front through
 * every route, 40 concurrent requests and its shutdowns
 * (tests/integration/serve_front.sh, which runs them all under this
 * filter). Some show only there: sched_getaffinity (glibc sizes a new
 * malloc arena with it when nine threads allocate at once) and
 * restart_syscall (a poll interrupted by SIGSTOP/SIGCONT resumes through
 * it). clock_gettime is a system call only where the clock source has no
 * vDSO. One row per purpose. */
// clang-format off
static const char *const front_allowed[] = {
        /* sockets, the eventfds, stderr (socket, bind, connect and listen
         * are not here: the front makes no socket) */
        "read", "write", "recvfrom", "sendmsg", "accept4", "shutdown", "setsockopt", "getsockopt",
        "getsockname", "close", "eventfd2",
        /* waiting */
        "poll", "ppoll", "futex", "clock_gettime", "restart_syscall",
        /* memory (mmap and mprotect below, without PROT_EXEC) */
        "brk", "munmap", "madvise", "mremap", "sched_getaffinity",
        /* threads and signals */
        "set_robust_list", "rseq", "exit", "exit_group", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn",
        /* GnuTLS's handshakes, with --tls-cert (tests/integration/serve_tls.sh) */
        "getrandom",
};
// clang-format on

/* In a build with AddressSanitizer (make check's second pass), its runtime
 * runs inside the front too: each new thread calls gettid and sets up a
 * sigaltstack; a report spins (sched_yield), sleeps, reads
 * /proc/self/exe's link and aborts (getpid, tgkill). Never in a normal
 * build. */
#if defined(__SANITIZE_ADDRESS__)
#define FRONT_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FRONT_SANITIZER 1
#endif
#endif
#ifdef FRONT_SANITIZER
static const char *const sanitizer_allowed[] = {
        "gettid", "sigaltstack", "sched_yield", "nanosleep", "clock_nanosleep", "readlink", "getpid", "tgkill",
};
#endif

/* Returns a libseccomp error; apply_seccomp() words it. */
static int add_rules(scmp_filter_ctx ctx) {
        int r;
        if ((r = seccomp_allow_names(ctx, front_allowed, ELEMENTSOF(front_allowed), NULL)) < 0)
                return r;
#ifdef FRONT_SANITIZER
        if ((r = seccomp_allow_names(ctx, sanitizer_allowed, ELEMENTSOF(sanitizer_allowed), NULL)) < 0)
                return r;
#endif
        /* send() is sendto() without an address: only that. */
        if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sendto), 1, SCMP_A4(SCMP_CMP_EQ, 0))) < 0)
                return r;
        /* sendmsg() carries its address in memory, out of a filter's
         * reach; it is allowed because the front holds only stream
         * sockets (connected clients, the parent), on which an address
         * means nothing, and can make no other. libmicrohttpd writes
         * headers and body with it, frame_write() frames. */
        if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sendmsg), 0)) < 0)
                return r;
        /* No executable memory: code injected into a buffer stays data. */
        if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0))) <
                    0 ||
            (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
                                  SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0))) < 0)
                return r;
        /* clone() for threads only: CLONE_THREAD set, no namespace flag. A
         * new process could escape what the threads share (nothing to
         * gain, but nothing to allow either). clone3's flags are in
         * memory, out of a filter's reach: ENOSYS makes glibc use clone. */
        const scmp_datum_t ns = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
                                CLONE_NEWPID | CLONE_NEWNET;
        if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                                  SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD | ns, CLONE_THREAD))) < 0 ||
            (r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0)) < 0)
                return r;
        /* fcntl: O_NONBLOCK on and off; no F_DUPFD, no locks. */
        static const int fcntl_cmds[] = {F_GETFL, F_SETFL};
        for (size_t i = 0; i < ELEMENTSOF(fcntl_cmds); i++)
                if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
                                          SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)fcntl_cmds[i]))) < 0)
                        return r;
        /* Opening a file fails (landlock refuses it too) rather than
         * kills: glibc opens a few files lazily and copes without them.
         * When nine threads allocate at once it adds a malloc arena and
         * reads /sys/devices/system/cpu/online, then /proc/stat, then
         * falls back to sched_getaffinity; /etc/localtime, for the Date
         * header, front_main loads before the filter. A front killed over
         * one would take every client down with it. */
        static const char *const opens[] = {"open", "openat", "openat2"};
        for (size_t i = 0; i < ELEMENTSOF(opens); i++) {
                int nr = seccomp_syscall_resolve_name(opens[i]);
                if (nr != __NR_SCMP_ERROR && (r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), nr, 0)) < 0)
                        return r;
        }
        /* Threads name themselves (pthread_setname_np on self). */
        if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1, SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME))) < 0)
                return r;
        return 0;
}

static int apply_seccomp(ward_error *err) {
        scmp_filter_ctx ctx = NULL;
        int r = seccomp_filter_new(SCMP_ACT_KILL_PROCESS, &ctx, err);
        if (r < 0)
                return r;
        /* TSYNC: should a thread exist after all, it gets the filter too,
         * or the load fails. */
        if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) < 0 || (r = add_rules(ctx)) < 0 ||
            (r = seccomp_load(ctx)) < 0) {
                seccomp_release(ctx);
                return err_set(err, r, "seccomp: %s", strerror(-r));
        }
        seccomp_release(ctx);
        return 0;
}

/* "what" added to the list of protections this host did not give. */
static void append_missing(char *list, unsigned len, const char *what) {
        if (len == 0)
                return;
        size_t n = strnlen(list, len);
        if (n < len)
                snprintf(list + n, len - n, "%s%s", n ? ", " : "", what);
}

int front_confine(const front_opts *o, unsigned *ret_applied, char *ret_missing, unsigned missing_len,
                  ward_error *err) {
        unsigned applied = 0;
        int r;
        if (missing_len)
                ret_missing[0] = '\0';

        /* 0. What a front needs of the file system is done while it can
         *    still open a file: jansson seeds its hash function from
         *    /dev/urandom at its first object (both fronts parse JSON), and
         *    glibc reads /etc/localtime at its first time conversion (even
         *    to UTC: libmicrohttpd's Date header). Afterwards either would
         *    be a call the seccomp filter kills. */
        json_object_seed(0);
        tzset();

        /* 1. Only the listening socket, the parent's socket and stdio: the
         *    parent may hold its jails' fds, audit logs, cgroup
         *    directories, none of which the front may reach. stdin is
         *    /dev/null (the front reads none); nothing is opened after. */
        int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (null_fd > STDIN_FILENO) {
                r = o->listen_fd != STDIN_FILENO && o->parent_fd != STDIN_FILENO ? dup2(null_fd, STDIN_FILENO) : 0;
                int e = errno;
                close(null_fd);
                if (r < 0)
                        return err_set(err, -e, "stdin: %s", strerror(e));
        }
        int keep[] = {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO, o->listen_fd, o->parent_fd};
        if ((r = jail_close_fds_except(keep, ELEMENTSOF(keep))) < 0)
                return err_set(err, r, "closing fds: %s", strerror(-r));
        applied |= FRONT_CONF_FDS;

        /* 2. Root gives way to nobody: root's files, ports, signals and
         *    capabilities are all out of reach afterwards. */
        uid_t ru, eu, su;
        if (getresuid(&ru, &eu, &su) < 0)
                return err_set(err, -errno, "getresuid: %s", strerror(errno));
        if (ru == 0 || eu == 0 || su == 0) {
                if ((r = caps_drop_root(WARD_API_NOBODY, WARD_API_NOBODY, err)) < 0)
                        return r;
                applied |= FRONT_CONF_NOBODY;
        }

        /* 3. New user, network, IPC, UTS and mount namespaces: no network
         *    but the sockets already held, no System V IPC or host name
         *    shared with the host. Unprivileged: possible only with user
         *    namespaces, so a host without them is said, not fatal. */
        if ((r = userns_unshare_self()) == 0) {
                applied |= FRONT_CONF_USERNS;
        } else {
                char why[128];
                snprintf(why, sizeof why, "namespaces (unshare: %s)", strerror(-r));
                append_missing(ret_missing, missing_len, why);
        }

        /* 4. Not dumpable (no ptrace, no /proc/PID/mem from the same uid),
         *    no_new_privs (nothing gains privileges; also what lets nobody
         *    load a seccomp filter), and no capability in any set. The
         *    bounding set needs CAP_SETPCAP to change: held in the front's
         *    own user namespace, already emptied by caps_drop_root() for
         *    root; an unprivileged front without a user namespace keeps
         *    it, which gives nothing to a process that can never execute a
         *    program. */
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return err_set(err, -errno, "prctl: %s", strerror(errno));
        applied |= FRONT_CONF_NNP;
        bool bounding_kept = true;
        if ((r = caps_drop_all(&bounding_kept)) < 0)
                return err_set(err, r, "capabilities: %s", strerror(-r));
        if (!bounding_kept)
                applied |= FRONT_CONF_CAPS;
        else
                append_missing(ret_missing, missing_len, "an empty bounding set (no CAP_SETPCAP)");

        /* 5. Landlock with every right handled and no rule: no path can be
         *    opened, even if a call to open one got past seccomp. */
        r = landlock_deny_all(landlock_abi());
        if (r == 0)
                applied |= FRONT_CONF_LANDLOCK;
        else if (r != -EOPNOTSUPP && r != -ENOSYS)
                return err_set(err, r, "landlock: %s", strerror(-r));
        else
                append_missing(ret_missing, missing_len, "landlock (not in this kernel)");

        /* 6. Seccomp last, so that it need not allow the steps above: only
         *    what serving HTTP takes; anything else kills the process. */
        if ((r = apply_seccomp(err)) < 0)
                return r;
        applied |= FRONT_CONF_SECCOMP;

        *ret_applied = applied;
        return 0;
}
