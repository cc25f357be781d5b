/* Spawning a jail, and the confinement recipe in one ordered function.
 *
 * The parent clones a child into new user, pid, mount, net, ipc and uts
 * namespaces. The child waits until the parent has written its id maps,
 * then builds its root (mount.c) while the parent makes the run's cgroup,
 * and becomes the sandbox's init: it starts the program inside that
 * cgroup and reports the program's wait status. The program applies the last steps (contain())
 * and executes. Every failure before execve is written to the parent as a
 * message, after which the child _exits: never a run with part of its
 * confinement. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fd.h"
#include "basic/limits.h"
#include "jail/jail.h"

static const char *const prot_names[] = {
        "userns",       "pidns",        "mountns",  "netns",         "ipcns",       "utsns",
        "cgroupns",     "seccomp",      "landlock", "cgroup-memory", "cgroup-pids", "cgroup-cpu",
        "no_new_privs", "caps-dropped", "net-none", "net-allowlist",
};

const char *prot_name(unsigned bit) {
        for (unsigned i = 0; i < ELEMENTSOF(prot_names); i++)
                if (bit == 1u << i)
                        return prot_names[i];
        return NULL;
}

static int saved_argc;
static char **saved_argv;

void jail_set_process_memory(int argc, char **argv) {
        saved_argc = argc;
        saved_argv = argv;
}

/* Overwrites ward's argv and environment strings in this process's memory:
 * /proc/<pid>/cmdline and /environ read them from there. */
static void wipe_process_memory(void) {
        if (saved_argv && saved_argc > 0) {
                char *start = saved_argv[0];
                char *end = saved_argv[saved_argc - 1] + strlen(saved_argv[saved_argc - 1]);
                memset(start, 0, (size_t)(end - start));
                static const char name[] = "ward-init";
                if ((size_t)(end - start) >= sizeof name)
                        memcpy(start, name, sizeof name);
        }
        for (char **e = environ; e && *e; e++)
                memset(*e, 0, strlen(*e));
        prctl(PR_SET_NAME, "ward-init", 0, 0, 0);
}

/* Writes a message to the parent and exits: the only way out of the child
 * before execve. */
__attribute__((noreturn)) static void child_fail(int sock, int kind, int code, const char *text) {
        jail_msg m;
        memset(&m, 0, sizeof m);
        m.kind = kind;
        m.code = code;
        snprintf(m.text, sizeof m.text, "%s", text);
        (void)!write(sock, &m, sizeof m);
        _exit(125);
}

/* Lowers a limit to soft/hard. A hard limit already below `hard` stays
 * where it is (raising it needs a privilege the sandbox must not have, and
 * a lower limit is only stricter); the soft one never exceeds the hard. */
static int set_rlimit(int res, rlim_t soft, rlim_t hard) {
        struct rlimit cur, rl;
        if (getrlimit(res, &cur) < 0)
                return -errno;
        rl.rlim_max = hard < cur.rlim_max ? hard : cur.rlim_max;
        rl.rlim_cur = soft < rl.rlim_max ? soft : rl.rlim_max;
        return setrlimit(res, &rl) < 0 ? -errno : 0;
}

/* Returns 0, or the negative errno of the first limit that could not be
 * set with *ret_name naming it: a limit is a barrier, so the run stops. */
static int apply_rlimits(const policy *p, bool in_cgroup, const char **ret_name) {
        /* The cgroup holds memory, pids and CPU time; rlimits are the
         * per-process backstop, and the only limits where no cgroup exists.
         * There, each process's data (private writable memory; address
         * space reserved PROT_NONE, as V8 and Go do, is not counted) is
         * held to the memory limit: per process, not for the sandbox as a
         * whole, which the result's "degraded" event says. */
        rlim_t cpu_s = (rlim_t)((p->cpu_time_ms + 999) / 1000);
        const struct {
                rlim_t soft, hard;
                const char *name;
                int res;
                bool skip;
        } limits[] = {
                {(rlim_t)p->memory, (rlim_t)p->memory, "RLIMIT_DATA", RLIMIT_DATA, in_cgroup},
                {cpu_s + 1, cpu_s + 2, "RLIMIT_CPU", RLIMIT_CPU, false},
                {(rlim_t)p->file_size, (rlim_t)p->file_size, "RLIMIT_FSIZE", RLIMIT_FSIZE, false},
                {0, 0, "RLIMIT_CORE", RLIMIT_CORE, false},
                {WARD_SANDBOX_NOFILE, WARD_SANDBOX_NOFILE, "RLIMIT_NOFILE", RLIMIT_NOFILE, false},
                {64 << 10, 64 << 10, "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK, false},
                {0, 0, "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE, false},
                {(rlim_t)p->pids + 4, (rlim_t)p->pids + 4, "RLIMIT_NPROC", RLIMIT_NPROC, false},
        };
        for (size_t i = 0; i < ELEMENTSOF(limits); i++) {
                int r = limits[i].skip ? 0 : set_rlimit(limits[i].res, limits[i].soft, limits[i].hard);
                if (r < 0) {
                        *ret_name = limits[i].name;
                        return r;
                }
        }
        return 0;
}

static void reset_signals(void) {
        sigset_t none;
        sigemptyset(&none);
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        signal(sig, SIG_DFL);
        sigprocmask(SIG_SETMASK, &none, NULL);
}

/* execve with the sandbox's own PATH (libc's execvpe would read ward's). */
static int exec_in_path(char *const *argv, char *const *envp) {
        const char *cmd = argv[0];
        if (strchr(cmd, '/')) {
                execve(cmd, argv, envp);
                return errno == ENOENT || errno == ENOTDIR ? JAIL_EXEC_NOT_FOUND : JAIL_EXEC_NOT_EXECUTABLE;
        }
        static const char *const path[] = {"/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"};
        bool denied = false;
        for (size_t i = 0; i < ELEMENTSOF(path); i++) {
                char full[WARD_PATH_MAX];
                if (snprintf(full, sizeof full, "%s/%s", path[i], cmd) >= (int)sizeof full)
                        continue;
                execve(full, argv, envp);
                if (errno == EACCES || errno == ENOEXEC || errno == EPERM)
                        denied = true;
        }
        return denied ? JAIL_EXEC_NOT_EXECUTABLE : JAIL_EXEC_NOT_FOUND;
}

/* The last steps, in the program's own process, in this order:
 *   1. a new session: no controlling terminal, so no TIOCSTI into ours;
 *   2. stdio are the supervisor's pipes; every other fd is closed;
 *   3. rlimits;
 *   4. no capabilities, in any set, and the bounding set emptied;
 *   5. no_new_privs: setuid bits and file capabilities mean nothing now;
 *   6. landlock, the same view as the mounts;
 *   7. seccomp last, so the filter never has to allow ward's own setup;
 *      its notification fd goes to the supervisor;
 *   8. execve. */
__attribute__((noreturn)) static void contain(const jail_spec *s, int sock, int scratch, const int net[2],
                                              bool in_cgroup) {
        char msg[256];
        int r;
        if (setsid() < 0)
                child_fail(sock, JAIL_MSG_ERROR, errno, "setsid failed");
        /* Lift every fd we keep above 9 first, so that no dup2 below can
         * overwrite one that is still to be moved (ward may have been
         * started with 0, 1 or 2 closed, and any of these may sit there). */
        bool with_net = net[0] >= 0;
        int n_src = with_net ? 7 : 5;
        int src[7] = {s->stdio[0], s->stdio[1], s->stdio[2], sock, scratch, net[0], net[1]}, hi[7];
        for (int i = 0; i < n_src; i++)
                if ((hi[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 10)) < 0)
                        child_fail(sock, JAIL_MSG_ERROR, errno, "cannot move fds");
        int ctl = -1;
        if (s->ctl_fd >= 0 && (ctl = fcntl(s->ctl_fd, F_DUPFD_CLOEXEC, 10)) < 0)
                child_fail(sock, JAIL_MSG_ERROR, errno, "cannot move fds");
        for (int i = 0; i < 3; i++)
                if (dup2(hi[i], i) < 0) /* the copy at 0-2 is not close-on-exec */
                        child_fail(sock, JAIL_MSG_ERROR, errno, "cannot set up stdio");
        for (int i = 3; i < n_src; i++)
                if (dup3(hi[i], i, O_CLOEXEC) < 0)
                        child_fail(hi[3], JAIL_MSG_ERROR, errno, "cannot move fds");
        sock = 3;
        scratch = 4;
        /* A session's control socket stays open across execve, at one
         * fixed number the driver is told. */
        if (ctl >= 0) {
                if (dup2(ctl, WARD_CTL_FD) < 0)
                        child_fail(sock, JAIL_MSG_ERROR, errno, "cannot move the control socket");
                (void)syscall(SYS_close_range, (unsigned)n_src, (unsigned)(WARD_CTL_FD - 1), 0);
                fd_close_from(WARD_CTL_FD + 1);
        } else {
                fd_close_from(n_src);
        }
        /* With the allowlist, seccomp mediates sendmsg() except on this one
         * fd number, which the program cannot reach once its NOFILE limit
         * is set (below): the setup messages go out through it. */
        if (with_net) {
                if (dup3(3, WARD_SETUP_FD, O_CLOEXEC) < 0)
                        child_fail(sock, JAIL_MSG_ERROR, errno,
                                   "cannot move the setup socket above the sandbox's fd limit (raise ward's "
                                   "RLIMIT_NOFILE hard limit above 4096)");
                sock = WARD_SETUP_FD;
        }
        const char *rlimit_name = NULL;
        if ((r = apply_rlimits(s->policy, in_cgroup, &rlimit_name)) < 0) {
                snprintf(msg, sizeof msg, "cannot set %s", rlimit_name);
                child_fail(sock, JAIL_MSG_ERROR, -r, msg);
        }
        if ((r = caps_drop_all(NULL)) < 0)
                child_fail(sock, JAIL_MSG_ERROR, -r, "cannot drop capabilities");
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                child_fail(sock, JAIL_MSG_ERROR, errno, "cannot set no_new_privs");
        if (s->landlock_abi > 0) {
                const char *writable[WARD_MOUNTS_MAX + 4];
                size_t n = 0;
                writable[n++] = "/tmp";
                writable[n++] = WARD_SANDBOX_HOME;
                writable[n++] = "/dev/shm";
                writable[n++] = "/output";
                for (size_t i = 0; i < s->policy->n_mounts && n < ELEMENTSOF(writable); i++)
                        if (s->policy->mounts[i].rw)
                                writable[n++] = s->policy->mounts[i].target;
                static const char *const files[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random",
                                                    "/dev/urandom"};
                if ((r = landlock_apply(s->landlock_abi, writable, n, files, ELEMENTSOF(files))) < 0) {
                        snprintf(msg, sizeof msg, "landlock: %s", strerror(-r));
                        child_fail(sock, JAIL_MSG_ERROR, -r, msg);
                }
        }
        int notify = seccomp_install(s->policy->net.mode == NET_MODE_ALLOWLIST);
        if (notify < 0) {
                snprintf(msg, sizeof msg, "seccomp: %s", strerror(-notify));
                child_fail(sock, JAIL_MSG_ERROR, -notify, msg);
        }
        /* The seccomp listener, the scratch root and, with the network
         * allowlist, the DNS socket and the relay listener (5 and 6) go to
         * ward; the program keeps none of them. */
        int fds[4] = {notify, scratch, 5, 6};
        if ((r = fd_send(sock, fds, with_net ? 4 : 2)) < 0)
                child_fail(sock, JAIL_MSG_ERROR, -r, "cannot pass the seccomp fd");
        close(notify);
        close(scratch);
        if (with_net) {
                close(5);
                close(6);
        }
        int cls = exec_in_path(s->argv, s->envp);
        int e = errno;
        snprintf(msg, sizeof msg, "%s: %s", s->argv[0],
                 cls == JAIL_EXEC_NOT_FOUND ? "command not found in the sandbox" : strerror(e));
        child_fail(sock, JAIL_MSG_EXEC_FAILED, cls, msg);
}

static int cmp_int(const void *a, const void *b) {
        int x = *(const int *)a, y = *(const int *)b;
        return (x > y) - (x < y);
}

int jail_close_fds_except(int *keep, size_t n) {
        qsort(keep, n, sizeof keep[0], cmp_int);
        int from = 0;
        for (size_t i = 0; i < n; i++) {
                if (keep[i] > from && syscall(SYS_close_range, (unsigned)from, (unsigned)(keep[i] - 1), 0) < 0) {
                        /* Before Linux 5.9: one at a time. */
                        if (errno != ENOSYS)
                                return -errno;
                        for (int fd = from; fd < keep[i]; fd++)
                                if (close(fd) < 0 && errno != EBADF && errno != EINTR)
                                        return -errno;
                }
                if (keep[i] >= from)
                        from = keep[i] + 1;
        }
        fd_close_from(from);
        return 0;
}

/* Receives the run's cgroup from ward: one byte (its version, '0' for
 * none) and the fds of cgroup_join_prepare(). */
static int recv_cgroup(int sock, cgroup_join *ret) {
        char byte = '\0'; /* recvmsg fills it when it returns > 0 */
        struct iovec iov = {.iov_base = &byte, .iov_len = 1};
        union {
                char buf[CMSG_SPACE(4 * sizeof(int))];
                struct cmsghdr align;
        } u;
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
        cgroup_join j = {.fds = {-1, -1, -1, -1}};
        ssize_t n;
        do
                n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n <= 0)
                return n < 0 ? -errno : -EPIPE;
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                j.n = (unsigned)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
                if (j.n > 4)
                        return -EBADMSG;
                memcpy(j.fds, CMSG_DATA(c), j.n * sizeof(int));
        }
        j.version = byte - '0';
        if ((mh.msg_flags & MSG_CTRUNC) || j.version < 0 || j.version > 2 || (j.version == 0) != (j.n == 0) ||
            (j.version == 2 && j.n != 2)) {
                cgroup_join_close(&j);
                return -EBADMSG;
        }
        *ret = j;
        return 0;
}

/* Starts the program's process inside the run's cgroup: on v2 cloned
 * straight into it; on v1 (or a v2 kernel without CLONE_INTO_CGROUP) it
 * moves itself there before doing anything else. Either way it then gets a
 * cgroup namespace rooted there, so that it sees no host cgroup paths. */
static pid_t fork_program(const cgroup_join *cj, int sock) {
        pid_t pid = -1;
        bool joined = false;
        if (cj->version == 2) {
                struct clone_args args = {
                        .flags = CLONE_INTO_CGROUP,
                        .exit_signal = SIGCHLD,
                        .cgroup = (uint64_t)cj->fds[0],
                };
                pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
                joined = pid >= 0;
        }
        if (pid < 0)
                pid = fork();
        if (pid != 0)
                return pid;
        int r = joined ? 0 : cgroup_join_self(cj);
        if (r < 0)
                child_fail(sock, JAIL_MSG_ERROR, -r, "cannot join the run's cgroup");
        for (unsigned i = 0; i < cj->n; i++)
                close(cj->fds[i]);
        if (unshare(CLONE_NEWCGROUP) < 0)
                child_fail(sock, JAIL_MSG_ERROR, errno, "cannot create a cgroup namespace");
        return 0;
}

static volatile pid_t program_pgid;

/* kill() is async-signal-safe: the handler passes the signal on itself,
 * with no window between a flag and waitpid() for it to get lost in. */
static void on_interrupt(int sig) {
        int e = errno;
        if (program_pgid > 0)
                (void)kill(-program_pgid, sig);
        errno = e;
}

/* The sandbox's init (pid 1 of its pid namespace). */
__attribute__((noreturn)) static void child_main(const jail_spec *s, int sock, int status_fd) {
        ward_error err = {0};
        char go;
        int r;
        /* The child was cloned from ward with all of ward's fds: the
         * parent's ends of the pipes among them, which would hold the
         * program's stdin open. */
        int keep[6] = {sock, status_fd, s->stdio[0], s->stdio[1], s->stdio[2], s->ctl_fd};
        if ((r = jail_close_fds_except(keep, s->ctl_fd >= 0 ? 6 : 5)) < 0)
                child_fail(sock, JAIL_MSG_ERROR, -r, "cannot close ward's fds");

        /* Die with ward. If ward is already gone, the read below sees EOF. */
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        wipe_process_memory();
        /* Our uid and gid maps are written. */
        if (read(sock, &go, 1) != 1)
                _exit(125);
        mount_plan plan = {.policy = s->policy, .code = s->code, .code_len = s->code_len, .code_name = s->code_name};
        int scratch = -1;
        if ((r = mount_build_root(&plan, &scratch, &err)) < 0)
                child_fail(sock, JAIL_MSG_ERROR, -r, err.msg);
        if (sethostname(WARD_SANDBOX_HOSTNAME, strlen(WARD_SANDBOX_HOSTNAME)) < 0 || setdomainname("none", 4) < 0)
                child_fail(sock, JAIL_MSG_ERROR, errno, "cannot set the hostname");
        if ((r = netns_loopback_up()) < 0)
                child_fail(sock, JAIL_MSG_ERROR, -r, "cannot bring up loopback");
        int net[2] = {-1, -1};
        if (s->policy->net.mode == NET_MODE_ALLOWLIST && (r = netns_egress_sockets(net)) < 0)
                child_fail(sock, JAIL_MSG_ERROR, -r, "cannot open the DNS socket or the relay listener");
        /* Default dispositions and an empty mask, for the program to
         * inherit: ward ignores SIGPIPE and had blocked its termination
         * signals, and an ignored signal stays ignored across execve. Done
         * here, while ward may still be making the cgroup. */
        reset_signals();
        /* ward made the run's cgroup meanwhile. */
        cgroup_join cj = {.fds = {-1, -1, -1, -1}};
        if ((r = recv_cgroup(sock, &cj)) < 0) {
                if (r == -EPIPE)
                        _exit(125);
                child_fail(sock, JAIL_MSG_ERROR, -r, "cannot receive the run's cgroup");
        }

        pid_t prog = fork_program(&cj, sock);
        if (prog < 0)
                child_fail(sock, JAIL_MSG_ERROR, errno, "cannot fork the program");
        if (prog == 0)
                contain(s, sock, scratch, net, cj.version != 0);

        /* The init keeps nothing the program could use: no pipes, no
         * cgroup fds, no capabilities, and it cannot be ptraced. It stays
         * outside the run's cgroup: it counts against none of its limits. */
        cgroup_join_close(&cj);
        close(sock);
        close(scratch);
        for (int i = 0; i < 2; i++)
                if (net[i] >= 0)
                        close(net[i]);
        for (int i = 0; i < 3; i++)
                close(s->stdio[i]);
        if (s->ctl_fd >= 0)
                close(s->ctl_fd);
        /* ward interrupts a session's cell by signalling the init, the one
         * process of the sandbox it may signal by pidfd without a race: the
         * init passes SIGINT on to the program's process group, as a
         * terminal's Ctrl-C would. Without a handler, a pid namespace's
         * init never sees a signal from outside. */
        program_pgid = prog;
        struct sigaction sa = {.sa_handler = on_interrupt, .sa_flags = SA_RESTART};
        sigemptyset(&sa.sa_mask);
        (void)sigaction(SIGINT, &sa, NULL);
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || caps_drop_all(NULL) < 0 ||
            prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
                /* An init that keeps privileges must not watch over a
                 * program: end the run, and say why. */
                kill(prog, SIGKILL);
                int32_t v = JAIL_STATUS_INIT_FAILED;
                (void)!write(status_fd, &v, sizeof v);
                _exit(125);
        }
        for (;;) {
                int st;
                pid_t w = waitpid(-1, &st, __WALL);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0)
                        _exit(125);
                if (w == prog) {
                        /* The program's end is the sandbox's end; the
                         * kernel kills whatever it left running when this
                         * init exits. */
                        int32_t v = st;
                        (void)!write(status_fd, &v, sizeof v);
                        _exit(0);
                }
        }
}

int jail_spawn(const jail_spec *s, jail *ret, ward_error *err) {
        int sv[2] = {-1, -1}, st[2] = {-1, -1};
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return err_set(err, -errno, "socketpair: %s", strerror(errno));
        if (pipe2(st, O_CLOEXEC) < 0) {
                int e = errno;
                close(sv[0]);
                close(sv[1]);
                return err_set(err, -e, "pipe: %s", strerror(e));
        }
        int pidfd = -1;
        struct clone_args args = {
                .flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS |
                         CLONE_PIDFD,
                .pidfd = (uint64_t)(uintptr_t)&pidfd,
                .exit_signal = SIGCHLD,
        };
        pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
        if (pid == 0) {
                close(sv[0]);
                close(st[0]);
                child_main(s, sv[1], st[1]);
        }
        int e = errno;
        close(sv[1]);
        close(st[1]);
        if (pid < 0) {
                close(sv[0]);
                close(st[0]);
                if (e == EPERM || e == ENOSPC || e == EUSERS)
                        return err_set(err, -e,
                                       "cannot create namespaces: %s (user namespaces may be disabled or restricted "
                                       "on this host: see ward doctor)",
                                       strerror(e));
                return err_set(err, -e, "clone: %s", strerror(e));
        }
        memset(ret, 0, sizeof *ret);
        ret->pid = pid;
        ret->pidfd = pidfd;
        ret->sock = sv[0];
        ret->status_fd = st[0];
        ret->notify_fd = -1;
        ret->scratch_fd = -1;
        ret->dns_fd = -1;
        ret->relay_fd = -1;
        ret->with_net = s->policy->net.mode == NET_MODE_ALLOWLIST;

        int r = userns_write_maps(pid, geteuid(), getegid(), err);
        /* EPIPE: the child failed first; jail_wait_started() reads why. */
        if (r >= 0 && send(ret->sock, "G", 1, MSG_NOSIGNAL) != 1 && errno != EPIPE)
                r = err_set(err, -errno, "cannot start the sandbox: %s", strerror(errno));
        if (r < 0) {
                jail_kill(ret);
                return r;
        }
        ret->protections = PROT_USERNS | PROT_PIDNS | PROT_MOUNTNS | PROT_NETNS | PROT_IPCNS | PROT_UTSNS |
                           PROT_CGROUPNS | PROT_SECCOMP | PROT_NO_NEW_PRIVS | PROT_CAPS_DROPPED;
        if (s->landlock_abi > 0)
                ret->protections |= PROT_LANDLOCK;
        ret->protections |= ret->with_net ? PROT_NET_ALLOWLIST : PROT_NET_NONE;
        return 0;
}

int jail_send_cgroup(jail *j, const cgroup *cg, ward_error *err) {
        cgroup_join cj = {.fds = {-1, -1, -1, -1}};
        int r;
        if (cg && cg->version && (r = cgroup_join_prepare(cg, &cj, err)) < 0)
                return r;
        char byte = (char)('0' + cj.version);
        struct iovec iov = {.iov_base = &byte, .iov_len = 1};
        union {
                char buf[CMSG_SPACE(4 * sizeof(int))];
                struct cmsghdr align;
        } u;
        memset(&u, 0, sizeof u);
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
        if (cj.n) {
                mh.msg_control = u.buf;
                mh.msg_controllen = CMSG_SPACE(cj.n * sizeof(int));
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(cj.n * sizeof(int));
                memcpy(CMSG_DATA(c), cj.fds, cj.n * sizeof(int));
        }
        ssize_t n;
        do
                n = sendmsg(j->sock, &mh, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        int e = errno;
        cgroup_join_close(&cj);
        /* EPIPE: the init failed first; jail_wait_started() reads why. */
        if (n < 0 && e != EPIPE)
                return err_set(err, -e, "cannot pass the cgroup to the sandbox: %s", strerror(e));
        if (cg && cg->memory)
                j->protections |= PROT_CGROUP_MEMORY;
        if (cg && cg->pids)
                j->protections |= PROT_CGROUP_PIDS;
        if (cg && cg->cpu)
                j->protections |= PROT_CGROUP_CPU;
        return 0;
}

static int read_msg(jail *j, int timeout_ms, unsigned want_fds, jail_msg *m, int fds[4], unsigned *ret_n_fds) {
        /* A setup that never reports (a child stuck in the kernel) must not
         * hang ward: the wait is bounded by the run's wall time. The
         * outputs are set first, so that no return leaves them undefined. */
        memset(m, 0, sizeof *m);
        *ret_n_fds = 0;
        struct pollfd pfd = {.fd = j->sock, .events = POLLIN};
        int p;
        do
                p = poll(&pfd, 1, timeout_ms);
        while (p < 0 && errno == EINTR);
        if (p < 0)
                return -errno;
        if (p == 0)
                return -ETIMEDOUT;
        union {
                char buf[CMSG_SPACE(4 * sizeof(int))];
                struct cmsghdr align;
        } cbuf;
        struct iovec iov = {.iov_base = m, .iov_len = sizeof *m};
        struct msghdr mh = {
                .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf, .msg_controllen = sizeof cbuf.buf};
        ssize_t n;
        do
                n = recvmsg(j->sock, &mh, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                /* Exactly the fds this run expects, with one byte: anything
                 * else is refused, and what did arrive is closed. */
                size_t got = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                int tmp[4] = {-1, -1, -1, -1};
                memcpy(tmp, CMSG_DATA(c), (got > 4 ? 4 : got) * sizeof(int));
                if (got != want_fds || n != 1 || (mh.msg_flags & MSG_CTRUNC)) {
                        for (size_t i = 0; i < got && i < 4; i++)
                                close(tmp[i]);
                        return -EBADMSG;
                }
                memcpy(fds, tmp, sizeof tmp);
                *ret_n_fds = (unsigned)got;
                return 1;
        }
        if (n == 0)
                return 0; /* EOF: execve closed the socket */
        if ((size_t)n != sizeof *m)
                return -EBADMSG;
        m->text[sizeof m->text - 1] = '\0';
        return 1;
}

int jail_wait_started(jail *j, int timeout_ms, int *ret_exec_class, ward_error *err) {
        jail_msg m;
        int fds[4];
        unsigned got_fds;
        unsigned want = j->with_net ? 4 : 2;
        *ret_exec_class = 0;
        int r = read_msg(j, timeout_ms, want, &m, fds, &got_fds);
        if (r < 0)
                return err_set(err, r, "sandbox setup: %s", strerror(-r));
        if (r == 0)
                return err_set(err, -EPIPE, "sandbox setup: the sandbox ended before it was set up");
        if (!got_fds) {
                if (m.kind == JAIL_MSG_ERROR)
                        return err_set(err, m.code ? -m.code : -EIO, "sandbox setup: %s", m.text);
                return err_set(err, -EBADMSG, "sandbox setup: unexpected message");
        }
        j->notify_fd = fds[0];
        j->scratch_fd = fds[1];
        if (want == 4) {
                j->dns_fd = fds[2];
                j->relay_fd = fds[3];
        }
        /* Second message: EOF when execve succeeded, or why it did not. */
        r = read_msg(j, timeout_ms, want, &m, fds, &got_fds);
        if (r == 0)
                return 0;
        if (r < 0 || got_fds)
                return err_set(err, r < 0 ? r : -EBADMSG, "sandbox setup: bad message");
        if (m.kind == JAIL_MSG_EXEC_FAILED) {
                *ret_exec_class = m.code;
                return err_set(err, -ENOEXEC, "%s", m.text);
        }
        return err_set(err, m.code ? -m.code : -EIO, "sandbox setup: %s", m.text);
}

void jail_kill(jail *j) {
        if (j->pidfd >= 0)
                (void)syscall(SYS_pidfd_send_signal, j->pidfd, SIGKILL, NULL, 0);
        else if (j->pid > 0)
                kill(j->pid, SIGKILL);
}

void jail_kill_and_reap(jail *j) {
        if (j->pidfd < 0) {
                pid_kill_and_reap(j->pid);
                return;
        }
        /* By pidfd: the init's pid may have been reaped and reused by
         * now, its pidfd cannot. */
        jail_kill(j);
        siginfo_t si;
        while (waitid((idtype_t)P_PIDFD, (id_t)j->pidfd, &si, WEXITED) < 0 && errno == EINTR)
                ;
}

int jail_interrupt(jail *j) {
        if (j->pidfd < 0)
                return -ESRCH;
        return syscall(SYS_pidfd_send_signal, j->pidfd, SIGINT, NULL, 0) < 0 ? -errno : 0;
}

void jail_release(jail *j) {
        int *fds[] = {&j->pidfd, &j->sock, &j->status_fd, &j->notify_fd, &j->scratch_fd, &j->dns_fd, &j->relay_fd};
        for (size_t i = 0; i < ELEMENTSOF(fds); i++)
                if (*fds[i] >= 0) {
                        close(*fds[i]);
                        *fds[i] = -1;
                }
}
