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
 * the kernel gives them (a missing one is said, not hidden). */
#include "server/front.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <sched.h>
#include <stddef.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fd.h"
#include "jail/jail.h"

/* Landlock rights and scopes newer than Debian 12's kernel headers. */
#define FRONT_LL_FS_REFER (1ULL << 13)
#define FRONT_LL_FS_TRUNCATE (1ULL << 14)
#define FRONT_LL_FS_IOCTL_DEV (1ULL << 15)
#define FRONT_LL_NET_BIND_TCP (1ULL << 0)
#define FRONT_LL_NET_CONNECT_TCP (1ULL << 1)
#define FRONT_LL_SCOPE_ABSTRACT_UNIX (1ULL << 0)
#define FRONT_LL_SCOPE_SIGNAL (1ULL << 1)

/* The ruleset attribute as of ABI 6; older kernels read a prefix. */
struct front_ruleset_attr {
        uint64_t handled_access_fs;
        uint64_t handled_access_net;
        uint64_t scoped;
};

static const char *const conf_names[] = {"fds",          "nobody",   "userns", "no_new_privs",
                                         "caps-dropped", "landlock", "seccomp"};

const char *front_conf_name(unsigned bit) {
        for (unsigned i = 0; i < ELEMENTSOF(conf_names); i++)
                if (bit == 1u << i)
                        return conf_names[i];
        return NULL;
}

/* Closes every fd but 0, 1, 2 and the two sockets, whatever their
 * numbers. */
static int keep_only_fds(int a, int b) {
        int keep[5] = {0, 1, 2, a, b};
        /* Sorted, so that the gaps between kept fds can be closed as
         * ranges. */
        for (unsigned i = 1; i < ELEMENTSOF(keep); i++)
                for (unsigned j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
                        int t = keep[j];
                        keep[j] = keep[j - 1];
                        keep[j - 1] = t;
                }
        for (unsigned i = 0; i + 1 < ELEMENTSOF(keep); i++) {
                for (int fd = keep[i] + 1; fd < keep[i + 1]; fd++)
                        if (close(fd) < 0 && errno != EBADF && errno != EINTR)
                                return -errno;
        }
        fd_close_from(keep[ELEMENTSOF(keep) - 1] + 1);
        return 0;
}

/* From root to nobody, for good: no supplementary groups, every id 65534.
 * The bounding set goes first, while CAP_SETPCAP is still held; the uid
 * change then empties the permitted and effective sets (no keepcaps). */
static int drop_root(ward_error *err) {
        for (int cap = 0; cap <= 63; cap++)
                if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
                        return err_set(err, -errno, "dropping capability %d from the bounding set: %s", cap,
                                       strerror(errno));
        /* In a user namespace whose setgroups is "deny" the call fails;
         * that is fine only when no supplementary group is held. */
        if (setgroups(0, NULL) < 0) {
                int e = errno;
                if (e != EPERM || getgroups(0, NULL) != 0)
                        return err_set(err, -e, "setgroups: %s", strerror(e));
        }
        if (setresgid(WARD_API_NOBODY, WARD_API_NOBODY, WARD_API_NOBODY) < 0)
                return err_set(err, -errno, "setresgid %u: %s", WARD_API_NOBODY, strerror(errno));
        if (setresuid(WARD_API_NOBODY, WARD_API_NOBODY, WARD_API_NOBODY) < 0)
                return err_set(err, -errno, "setresuid %u: %s", WARD_API_NOBODY, strerror(errno));
        uid_t ru, eu, su;
        gid_t rg, eg, sg;
        if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 || ru != WARD_API_NOBODY ||
            eu != WARD_API_NOBODY || su != WARD_API_NOBODY || rg != WARD_API_NOBODY || eg != WARD_API_NOBODY ||
            sg != WARD_API_NOBODY)
                return err_set(err, -EPERM, "still holding a root id after setresuid");
        return 0;
}

/* Every capability set emptied. The bounding set needs CAP_SETPCAP to
 * change: held in the front's own user namespace, already emptied by
 * drop_root() for root; an unprivileged front without a user namespace
 * keeps it (*ret_bounding_kept), which gives nothing to a process that
 * can never execute a program. The other sets must end up empty. */
static int drop_caps(bool *ret_bounding_kept, ward_error *err) {
        bool kept = false;
        for (int cap = 0; cap <= 63; cap++) {
                int held = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
                if (held < 0 && errno == EINVAL)
                        break; /* past the kernel's last capability */
                if (held < 0)
                        return err_set(err, -errno, "reading the bounding set: %s", strerror(errno));
                if (held == 0)
                        continue;
                if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
                        continue;
                if (errno != EPERM)
                        return err_set(err, -errno, "dropping capability %d from the bounding set: %s", cap,
                                       strerror(errno));
                kept = true;
        }
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return err_set(err, -errno, "clearing ambient capabilities: %s", strerror(errno));
        struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
        struct __user_cap_data_struct data[2];
        memset(data, 0, sizeof data);
        if (syscall(SYS_capset, &hdr, data) < 0)
                return err_set(err, -errno, "capset: %s", strerror(errno));
        /* Read back: a set that is not empty now is a failure, whatever
         * the calls above returned. */
        if (syscall(SYS_capget, &hdr, data) < 0)
                return err_set(err, -errno, "capget: %s", strerror(errno));
        for (unsigned i = 0; i < ELEMENTSOF(data); i++)
                if (data[i].effective || data[i].permitted || data[i].inheritable)
                        return err_set(err, -EPERM, "capabilities still held after capset");
        *ret_bounding_kept = kept;
        return 0;
}

/* Every file-system right this kernel knows handled, and no rule: no path
 * can be opened, created, executed or listed. TCP bind and connect, and
 * (ABI 6) signals and abstract unix sockets outside the domain, likewise. */
static int apply_landlock(void) {
        long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
        if (abi < 1)
                return -EOPNOTSUPP;
        struct front_ruleset_attr attr = {.handled_access_fs = (1ULL << 13) - 1};
        size_t size = sizeof attr.handled_access_fs;
        if (abi >= 2)
                attr.handled_access_fs |= FRONT_LL_FS_REFER;
        if (abi >= 3)
                attr.handled_access_fs |= FRONT_LL_FS_TRUNCATE;
        if (abi >= 4) {
                attr.handled_access_net = FRONT_LL_NET_BIND_TCP | FRONT_LL_NET_CONNECT_TCP;
                size = offsetof(struct front_ruleset_attr, scoped);
        }
        if (abi >= 5)
                attr.handled_access_fs |= FRONT_LL_FS_IOCTL_DEV;
        if (abi >= 6) {
                attr.scoped = FRONT_LL_SCOPE_ABSTRACT_UNIX | FRONT_LL_SCOPE_SIGNAL;
                size = sizeof attr;
        }
        _cleanup_close_ int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
        if (ruleset < 0)
                return -errno;
        if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
                return -errno;
        return 0;
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

static int add_rules(scmp_filter_ctx ctx) {
        int r;
        for (size_t i = 0; i < ELEMENTSOF(front_allowed); i++) {
                int nr = seccomp_syscall_resolve_name(front_allowed[i]);
                if (nr == __NR_SCMP_ERROR)
                        continue; /* not on this architecture (epoll_wait on arm64) */
                if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) < 0)
                        return r;
        }
#ifdef FRONT_SANITIZER
        for (size_t i = 0; i < ELEMENTSOF(sanitizer_allowed); i++) {
                int nr = seccomp_syscall_resolve_name(sanitizer_allowed[i]);
                if (nr != __NR_SCMP_ERROR && (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) < 0)
                        return r;
        }
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
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
        if (!ctx)
                return err_set(err, -ENOMEM, "seccomp_init failed");
        int r;
        /* Another architecture's numbers (int 0x80, x32) would bypass the
         * table. TSYNC: should a thread exist after all, it gets the filter
         * too, or the load fails. */
        if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0 ||
            (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) < 0 || (r = add_rules(ctx)) < 0 ||
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
        if ((r = keep_only_fds(o->listen_fd, o->parent_fd)) < 0)
                return err_set(err, r, "closing fds: %s", strerror(-r));
        applied |= FRONT_CONF_FDS;

        /* 2. Root gives way to nobody: root's files, ports, signals and
         *    capabilities are all out of reach afterwards. */
        uid_t ru, eu, su;
        if (getresuid(&ru, &eu, &su) < 0)
                return err_set(err, -errno, "getresuid: %s", strerror(errno));
        if (ru == 0 || eu == 0 || su == 0) {
                if ((r = drop_root(err)) < 0)
                        return r;
                applied |= FRONT_CONF_NOBODY;
        }

        /* 3. New user, network, IPC, UTS and mount namespaces: no network
         *    but the sockets already held (a socket keeps the namespace it
         *    was made in), no System V IPC or host name shared with the
         *    host. Unprivileged: possible only with user namespaces. */
        if (unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS) == 0) {
                applied |= FRONT_CONF_USERNS;
        } else {
                char why[128];
                snprintf(why, sizeof why, "namespaces (unshare: %s)", strerror(errno));
                append_missing(ret_missing, missing_len, why);
        }

        /* 4. Not dumpable (no ptrace, no /proc/PID/mem from the same uid),
         *    no_new_privs (nothing gains privileges; also what lets nobody
         *    load a seccomp filter), and no capability in any set. */
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return err_set(err, -errno, "prctl: %s", strerror(errno));
        applied |= FRONT_CONF_NNP;
        bool bounding_kept = true;
        if ((r = drop_caps(&bounding_kept, err)) < 0)
                return r;
        if (!bounding_kept)
                applied |= FRONT_CONF_CAPS;
        else
                append_missing(ret_missing, missing_len, "an empty bounding set (no CAP_SETPCAP)");

        /* 5. Landlock with every right handled and no rule: no path can be
         *    opened, even if a call to open one got past seccomp. */
        r = apply_landlock();
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
