/* The seccomp allowlist, as libseccomp rules.
 *
 * What ordinary Python, Node and shell programs need is allowed; the rest
 * reaches the supervisor as a user notification (one audit event each) and
 * is answered with EPERM. A few calls are answered ENOSYS directly so that
 * libc falls back to a call we can filter (clone3 -> clone). Other
 * architectures (i386 via int 0x80, x32) kill the process: their syscall
 * numbers would bypass this table.
 *
 * These rules are compiled to BPF once, at build time, by seccomp-gen.c:
 * libseccomp's compiler costs about a millisecond of CPU per run, more
 * than the rest of ward's own work, and its output never changes between
 * runs. A unit test checks that the compiled-in program is exactly what
 * these rules produce. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/sockios.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <termios.h>
#include <unistd.h>

#include <linux/filter.h>

#include "basic/cleanup.h"
#include "basic/limits.h"
#include "jail/jail.h"

/* One row per purpose, as a reviewer reads it: clang-format would put one
 * name per line (the group comments stop it from filling columns). */
// clang-format off
static const char *const allowed[] = {
        /* files and descriptors */
        "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2",
        "pwritev2", "close", "close_range", "lseek", "dup", "dup2",
        "dup3", "fcntl", "flock", "fsync", "fdatasync", "sync", "syncfs", "sync_file_range", "truncate",
        "ftruncate", "fallocate", "fadvise64", "readahead", "sendfile", "copy_file_range", "splice", "tee",
        "vmsplice", "pipe", "pipe2", "stat", "fstat", "lstat", "newfstatat", "statx", "statfs", "fstatfs",
        "access", "faccessat", "faccessat2", "getdents", "getdents64", "getcwd", "chdir", "fchdir", "rename",
        "renameat", "renameat2", "mkdir", "mkdirat", "rmdir", "link", "linkat", "unlink", "unlinkat",
        "symlink", "symlinkat", "readlink", "readlinkat",
        "chown", "fchown", "lchown", "fchownat", "umask", "utime", "utimes", "utimensat", "futimesat",
        "getxattr", "lgetxattr", "fgetxattr", "listxattr", "llistxattr", "flistxattr",
        "setxattr", "lsetxattr", "fsetxattr", "removexattr", "lremovexattr", "fremovexattr", "memfd_create",
        "inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch", "eventfd", "eventfd2",
        "signalfd", "signalfd4", "timerfd_create", "timerfd_settime", "timerfd_gettime", "epoll_create",
        "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2", "poll", "ppoll",
        "select", "pselect6",
        /* memory */
        "brk", "mmap", "munmap", "mremap", "mprotect", "madvise", "msync", "mincore", "mlock", "mlock2",
        "munlock", "mlockall", "munlockall", "membarrier", "get_mempolicy", "set_mempolicy", "mbind",
        "pkey_alloc", "pkey_free", "pkey_mprotect",
        /* processes and threads */
        "fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "waitid", "kill",
        "tkill", "tgkill", "getpid", "getppid", "gettid", "getpgid", "setpgid", "getpgrp", "getsid",
        "setsid", "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid", "getgroups",
        "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setfsuid", "setfsgid",
        "capget", "prctl", "arch_prctl", "set_tid_address", "set_robust_list", "get_robust_list", "futex",
        "futex_waitv", "rseq", "sched_yield", "sched_getaffinity", "sched_setaffinity", "sched_getparam",
        "sched_setparam", "sched_getscheduler", "sched_setscheduler", "sched_get_priority_max",
        "sched_get_priority_min", "sched_rr_get_interval", "sched_getattr", "sched_setattr", "getpriority",
        "setpriority", "getrlimit", "setrlimit", "prlimit64", "getrusage", "times", "sysinfo", "uname",
        "pidfd_open", "pidfd_send_signal", "restart_syscall", "ioprio_get", "ioprio_set", "getcpu",
        /* signals */
        "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigtimedwait",
        "rt_sigqueueinfo", "rt_tgsigqueueinfo", "rt_sigsuspend", "sigaltstack", "pause", "alarm",
        "getitimer", "setitimer",
        /* time */
        "nanosleep", "clock_nanosleep", "clock_gettime", "clock_getres", "gettimeofday", "time",
        "timer_create", "timer_settime", "timer_gettime", "timer_getoverrun", "timer_delete",
        /* sockets: socket() itself is filtered by family below, and the
         * calls that name a destination are in net_sends */
        "bind", "listen", "accept", "accept4", "getsockname", "getpeername",
        "recvfrom", "recvmsg", "recvmmsg", "shutdown", "setsockopt", "getsockopt",
        /* System V and POSIX IPC stay inside the sandbox's own IPC namespace. */
        "shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semtimedop", "semctl", "msgget", "msgsnd",
        "msgrcv", "msgctl", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify",
        "mq_getsetattr",
        /* misc */
        "getrandom", "sethostname", "setdomainname",
};
// clang-format on

/* With the network allowlist, ward decides every connect() and every send
 * that names a destination (net/): sendto() with an address, and sendmsg()
 * and sendmmsg() always (their addresses are in memory a filter cannot
 * read). Without it, they are allowed like the calls above. */
static const char *const net_sends[] = {"connect", "sendto", "sendmsg", "sendmmsg"};

int seccomp_filter_new(uint32_t def_action, scmp_filter_ctx *ret, ward_error *err) {
        scmp_filter_ctx ctx = seccomp_init(def_action);
        if (!ctx)
                return err_set(err, -ENOMEM, "seccomp: cannot create a filter");
        /* Another architecture's numbers (i386 via int 0x80, x32) would
         * bypass the table. */
        int r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
        if (r < 0) {
                seccomp_release(ctx);
                return err_set(err, r, "seccomp: cannot build the filter: %s", strerror(-r));
        }
        *ret = ctx;
        return 0;
}

int seccomp_allow_names(scmp_filter_ctx ctx, const char *const *names, size_t n, ward_error *err) {
        for (size_t i = 0; i < n; i++) {
                int nr = seccomp_syscall_resolve_name(names[i]);
                if (nr == __NR_SCMP_ERROR)
                        continue; /* not on this architecture */
                int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
                if (r < 0)
                        return err_set(err, r, "seccomp: allow %s: %s", names[i], strerror(-r));
        }
        return 0;
}

static int allow_socket_families(scmp_filter_ctx ctx) {
        /* Families reachable in a private network namespace, each with only
         * its ordinary protocols: TCP and UDP, not SCTP, MPTCP, UDP-Lite,
         * L2TP or ping sockets, whose socket() alone may load a kernel
         * module. Raw and packet sockets, netlink other than routing,
         * vsock, bluetooth, alg and the rest go to the supervisor. The type
         * is masked: SOCK_CLOEXEC and SOCK_NONBLOCK are flags in the same
         * argument. */
        static const struct {
                int family, type, protocol;
        } ok[] = {
                {AF_UNIX, SOCK_STREAM, 0},
                {AF_UNIX, SOCK_DGRAM, 0},
                {AF_UNIX, SOCK_SEQPACKET, 0},
                {AF_INET, SOCK_STREAM, 0},
                {AF_INET, SOCK_STREAM, IPPROTO_TCP},
                {AF_INET, SOCK_DGRAM, 0},
                {AF_INET, SOCK_DGRAM, IPPROTO_UDP},
                {AF_INET6, SOCK_STREAM, 0},
                {AF_INET6, SOCK_STREAM, IPPROTO_TCP},
                {AF_INET6, SOCK_DGRAM, 0},
                {AF_INET6, SOCK_DGRAM, IPPROTO_UDP},
        };
        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 3,
                                         SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)ok[i].family),
                                         SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, (scmp_datum_t)ok[i].type),
                                         SCMP_A2(SCMP_CMP_EQ, (scmp_datum_t)ok[i].protocol));
                if (r < 0)
                        return r;
                /* socketpair: unix sockets only (AF_TIPC also has pairs). */
                if (ok[i].family == AF_UNIX &&
                    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socketpair), 3, SCMP_A0(SCMP_CMP_EQ, AF_UNIX),
                                          SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, (scmp_datum_t)ok[i].type),
                                          SCMP_A2(SCMP_CMP_EQ, 0))) < 0)
                        return r;
        }
        /* NETLINK_ROUTE (protocol 0) lets libc enumerate interfaces; the
         * sandbox holds no capability to change them. */
        return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 2, SCMP_A0(SCMP_CMP_EQ, AF_NETLINK),
                                SCMP_A2(SCMP_CMP_EQ, 0));
}

static int allow_clone_and_ioctl(scmp_filter_ctx ctx) {
        /* clone3 passes its flags in memory, out of a filter's sight: ENOSYS
         * makes libc fall back to clone, whose flags are checked here. */
        int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
        if (r < 0)
                return r;
        /* clone with any namespace flag goes to the supervisor: a nested
         * user namespace would give the program capabilities over new
         * kernel surfaces. */
        const scmp_datum_t ns_flags = CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC |
                                      CLONE_NEWUTS | CLONE_NEWCGROUP | 0x80 /* CLONE_NEWTIME */;
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags, 0));
        if (r < 0)
                return r;
        /* ioctl by command, compared on the low 32 bits that the kernel
         * reads (a compare on all 64 could be dodged with high bits set).
         * TIOCSTI, TIOCLINUX and every other command are not on the list. */
        static const unsigned long cmds[] = {
                TCGETS,
                TCSETS,
                TCSETSW,
                TCSETSF,
                TCFLSH,
                TCXONC,
                TIOCGWINSZ,
                TIOCSWINSZ,
                TIOCGPGRP,
                TIOCSPGRP,
                TIOCGSID,
                TIOCOUTQ,
                FIONREAD,
                FIONBIO,
                FIOCLEX,
                FIONCLEX,
                FIOASYNC,
                FIOQSIZE,
                TIOCGPTN,
                TIOCSPTLCK,
                SIOCGIFCONF,
                SIOCGIFFLAGS,
                SIOCGIFINDEX,
                SIOCGIFNAME,
                SIOCGIFADDR,
                SIOCGIFHWADDR,
                SIOCGIFMTU,
                SIOCGIFNETMASK,
                SIOCGIFBRDADDR,
                SIOCATMARK,
                SIOCINQ,
                SIOCOUTQ,
                0x40049409 /* FICLONE */,
                0x4020940d /* FICLONERANGE */,
                0xc0189436 /* FIDEDUPERANGE */,
                0x80086601 /* FS_IOC_GETFLAGS */,
                0x80087601 /* FS_IOC_GETVERSION */,
        };
        for (size_t i = 0; i < ELEMENTSOF(cmds); i++) {
                r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                                     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, (scmp_datum_t)cmds[i]));
                if (r < 0)
                        return r;
        }
        return 0;
}

/* No setuid or setgid bit can be set from inside. The sandbox's files may
 * belong to the caller on the host (root, when ward runs as root): a
 * setuid file left in a --rw bind would run with the caller's ids. Modes
 * are checked where they are passed: chmod, file creation (O_CREAT and
 * O_TMPFILE), mknod. openat2 hides its mode in memory, so it answers
 * ENOSYS and libc falls back to openat. */
static int allow_modes_without_setid(scmp_filter_ctx ctx) {
        const scmp_datum_t setid = 06000, creating = O_CREAT | 020000000 /* __O_TMPFILE */;
        static const struct {
                const char *name;
                int flags_arg; /* -1: the call always creates */
                int mode_arg;
        } calls[] = {
                {"open", 1, 2},      {"openat", 2, 3},     {"creat", -1, 1}, {"chmod", -1, 1},   {"fchmod", -1, 1},
                {"fchmodat", -1, 2}, {"fchmodat2", -1, 2}, {"mknod", -1, 1}, {"mknodat", -1, 2},
        };
        int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), 0);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(calls); i++) {
                int nr = seccomp_syscall_resolve_name(calls[i].name);
                if (nr == __NR_SCMP_ERROR)
                        continue;
                struct scmp_arg_cmp mode_ok = {(unsigned)calls[i].mode_arg, SCMP_CMP_MASKED_EQ, setid, 0};
                r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 1, &mode_ok);
                if (r >= 0 && calls[i].flags_arg >= 0) {
                        struct scmp_arg_cmp not_creating = {(unsigned)calls[i].flags_arg, SCMP_CMP_MASKED_EQ, creating,
                                                            0};
                        r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 1, &not_creating);
                }
        }
        return r;
}

int seccomp_build(scmp_filter_ctx *ret, bool mediate_net, ward_error *err) {
        scmp_filter_ctx ctx = NULL;
        int r = seccomp_filter_new(SCMP_ACT_NOTIFY, &ctx, err);
        if (r < 0)
                return r;
        /* A binary tree of syscall numbers: a call is decided in about
         * log2(n) comparisons instead of a scan of the whole list. */
        if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0)
                goto fail;
        if (seccomp_allow_names(ctx, allowed, ELEMENTSOF(allowed), err) < 0 ||
            (!mediate_net && seccomp_allow_names(ctx, net_sends, ELEMENTSOF(net_sends), err) < 0))
                goto fail_msg;
        if ((r = allow_socket_families(ctx)) < 0)
                goto fail;
        if ((r = allow_clone_and_ioctl(ctx)) < 0 || (r = allow_modes_without_setid(ctx)) < 0)
                goto fail;
        /* sendto() without an address is send() on a connected socket;
         * sendmsg() on WARD_SETUP_FD is ward's own setup (limits.h). That
         * exception is safe only while the program's RLIMIT_NOFILE keeps
         * every fd it can open below WARD_SETUP_FD (jail/contain.c). */
        _Static_assert(WARD_SANDBOX_NOFILE <= WARD_SETUP_FD,
                       "the sandbox's RLIMIT_NOFILE must keep its fds below WARD_SETUP_FD");
        if (mediate_net &&
            ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sendto), 1, SCMP_A4(SCMP_CMP_EQ, 0))) < 0 ||
             (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sendmsg), 1, SCMP_A0(SCMP_CMP_EQ, WARD_SETUP_FD))) <
                     0))
                goto fail;
        *ret = ctx;
        return 0;
fail:
        err_set(err, r, "seccomp: cannot build the filter: %s", strerror(-r));
fail_msg:
        seccomp_release(ctx);
        return err->code;
}

int seccomp_export_program(scmp_filter_ctx ctx, struct sock_filter **ret, size_t *ret_len) {
        /* libseccomp 2.5 exports only to an fd. */
        _cleanup_close_ int fd = memfd_create("seccomp-bpf", MFD_CLOEXEC);
        if (fd < 0)
                return -errno;
        int r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return r;
        off_t size = lseek(fd, 0, SEEK_END);
        if (size < 0)
                return -errno;
        if (size == 0 || size % (off_t)sizeof(struct sock_filter) != 0 || size > BPF_MAXINSNS * 8)
                return -EINVAL;
        struct sock_filter *prog = malloc((size_t)size);
        if (!prog)
                return -ENOMEM;
        if (pread(fd, prog, (size_t)size, 0) != size) {
                free(prog);
                return -EIO;
        }
        *ret = prog;
        *ret_len = (size_t)size / sizeof(struct sock_filter);
        return 0;
}
