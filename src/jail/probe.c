/* Probing the host for ward doctor: each protection is tried, not guessed.
 *
 * A namespace, the seccomp filter or a landlock ruleset can only be tried
 * by a process that then carries it, so each of those attempts runs in a
 * forked child that reports the step it failed at and the errno over a
 * pipe, and is always reaped (killed first if it outlives its time). The
 * cgroup check reads what the caller may write, then creates and removes
 * the run's cgroup with cgroup_create(), so that its verdict is the run
 * path's own. When something is missing, the sysctls, security modules and
 * container signs that explain such a failure are read to name the cause:
 * a peer sandbox that only says "Operation not permitted" leaves its user
 * guessing between half a dozen of them.
 *
 * Nothing here prints. Children only ever leave through _exit. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/clock.h"
#include "basic/fd.h"
#include "basic/limits.h"
#include "jail/jail.h"
#include "jail/probe.h"
#include "policy/policy.h"

#ifndef SECCOMP_GET_NOTIF_SIZES
#define SECCOMP_GET_NOTIF_SIZES 3
#endif

/* A probe child that has not finished by then is stuck (a notification
 * nobody answers, a hung file system): it is killed and reported. */
#define PROBE_CHILD_TIMEOUT_MS 5000

/* The way out a policy offers, where there is one. */
#define WAIVE_CGROUPS "accept rlimit-only limits with \"allow_without\": [\"cgroups\"] in the policy"
#define WAIVE_LANDLOCK "run without landlock with \"allow_without\": [\"landlock\"] in the policy"

/* ---- what the host says about itself ---- */

typedef struct facts {
        uid_t euid;
        bool privileged;         /* CAP_SYS_ADMIN in the initial user namespace */
        bool in_userns;          /* not in the initial user namespace */
        char uid_map[96];        /* its mapping, when in_userns */
        int seccomp_mode;        /* "Seccomp:" of /proc/self/status, -1 unknown */
        int unpriv_userns_clone; /* kernel.unprivileged_userns_clone, -1 absent */
        int max_user_ns;         /* user.max_user_namespaces, -1 absent */
        int aa_restrict;         /* kernel.apparmor_restrict_unprivileged_userns, -1 absent */
        char container[160];     /* signs of a container, "" when none */
        int kmajor, kminor;
} facts;

static int parse_long(const char *s, int base, long *ret) {
        char *end;
        errno = 0;
        long v = strtol(s, &end, base);
        if (errno || end == s || (*end && *end != '\n' && *end != ' ' && *end != '\t'))
                return -EINVAL;
        *ret = v;
        return 0;
}

/* A sysctl or other file holding one integer; -1 when absent or unreadable. */
static int read_int(const char *path) {
        _cleanup_free_ char *text = NULL;
        long v;
        if (fd_read_file(path, 64, &text, NULL) < 0 || parse_long(text, 10, &v) < 0 || v < INT_MIN || v > INT_MAX)
                return -1;
        return (int)v;
}

static void read_status(facts *f) {
        _cleanup_free_ char *text = NULL;
        f->seccomp_mode = -1;
        if (fd_read_file("/proc/self/status", 64 * 1024, &text, NULL) < 0)
                return;
        const char *s = strstr(text, "\nSeccomp:");
        long v;
        if (s && parse_long(s + strlen("\nSeccomp:"), 10, &v) == 0)
                f->seccomp_mode = (int)v;
        const char *c = strstr(text, "\nCapEff:");
        if (c) {
                char *end;
                errno = 0;
                unsigned long long caps = strtoull(c + strlen("\nCapEff:"), &end, 16);
                /* The unprivileged_userns_clone and AppArmor restrictions
                 * exempt CAP_SYS_ADMIN of the initial namespace only. */
                if (!errno && end != c + strlen("\nCapEff:"))
                        f->privileged = caps & (1ull << CAP_SYS_ADMIN);
        }
}

/* In the initial user namespace uid_map is the one line "0 0 4294967295". */
static void read_userns(facts *f) {
        _cleanup_free_ char *text = NULL;
        unsigned long inside, outside, count;
        if (fd_read_file("/proc/self/uid_map", 64 * 1024, &text, NULL) < 0 ||
            sscanf(text, "%lu %lu %lu", &inside, &outside, &count) != 3) // NOLINT(cert-err34-c): the kernel writes it
                return;
        const char *nl = strchr(text, '\n');
        bool more = nl && nl[1] != '\0';
        if (inside == 0 && outside == 0 && count == 4294967295ul && !more) {
                f->in_userns = false;
                return;
        }
        f->in_userns = true;
        snprintf(f->uid_map, sizeof f->uid_map, "%lu %lu %lu%s", inside, outside, count, more ? " ..." : "");
}

static void read_container(facts *f) {
        _cleanup_free_ char *kind = NULL;
        if (access("/.dockerenv", F_OK) == 0)
                snprintf(f->container, sizeof f->container, "a Docker container (/.dockerenv exists)");
        else if (access("/run/.containerenv", F_OK) == 0)
                snprintf(f->container, sizeof f->container, "a Podman container (/run/.containerenv exists)");
        else if (fd_read_file("/run/systemd/container", 256, &kind, NULL) == 0 && *kind) {
                kind[strcspn(kind, "\n")] = '\0';
                snprintf(f->container, sizeof f->container, "a container (/run/systemd/container says '%s')", kind);
        } else if (f->in_userns)
                snprintf(f->container, sizeof f->container,
                         "a user namespace (uid_map \"%s\"), as in an unprivileged container", f->uid_map);
}

static void read_facts(facts *f, const char *release) {
        memset(f, 0, sizeof *f);
        f->euid = geteuid();
        read_status(f);
        read_userns(f);
        if (f->in_userns)
                f->privileged = false;
        f->unpriv_userns_clone = read_int("/proc/sys/kernel/unprivileged_userns_clone");
        f->max_user_ns = read_int("/proc/sys/user/max_user_namespaces");
        f->aa_restrict = read_int("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
        read_container(f);
        // NOLINTNEXTLINE(cert-err34-c): uname's release from the kernel; a malformed one only reads as kernel 0.0
        if (sscanf(release, "%d.%d", &f->kmajor, &f->kminor) != 2)
                f->kmajor = f->kminor = 0;
}

static bool kernel_at_least(const facts *f, int major, int minor) {
        return f->kmajor > major || (f->kmajor == major && f->kminor >= minor);
}

/* ---- text ---- */

static const char *ename(int negerr) {
        const char *n = strerrorname_np(-negerr);
        return n ? n : "?";
}

__attribute__((format(printf, 3, 4))) static void put(char *buf, size_t size, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, size, fmt, ap);
        va_end(ap);
}

/* Appends to what buf already holds. */
__attribute__((format(printf, 3, 4))) static void add(char *buf, size_t size, const char *fmt, ...) {
        size_t len = strnlen(buf, size);
        if (len + 1 >= size)
                return;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf + len, size - len, fmt, ap);
        va_end(ap);
}

#define DETAIL(c, ...) put((c)->detail, sizeof((c)->detail), __VA_ARGS__)
#define DETAIL_ADD(c, ...) add((c)->detail, sizeof((c)->detail), __VA_ARGS__)
#define HINT(c, ...) put((c)->hint, sizeof((c)->hint), __VA_ARGS__)
#define HINT_ADD(c, ...) add((c)->hint, sizeof((c)->hint), __VA_ARGS__)

static void seccomp_cause(probe_check *c, const facts *f, const char *what) {
        DETAIL_ADD(c,
                   "; ward itself runs under a seccomp filter (Seccomp: 2 in /proc/self/status)%s%s, which "
                   "refuses %s",
                   *f->container ? " in " : "", f->container, what);
        HINT(c,
             "allow %s in that filter's profile (e.g. docker run --security-opt seccomp=unconfined, or a "
             "custom profile), or run ward outside it",
             what);
}

static void apparmor_cause(probe_check *c, const facts *f) {
        DETAIL_ADD(c,
                   "; kernel.apparmor_restrict_unprivileged_userns is 1: AppArmor lets uid %u create a user "
                   "namespace but gives it no capabilities there",
                   (unsigned)f->euid);
        HINT(c, "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 (persist in /etc/sysctl.d/), or load an "
                "AppArmor profile for the ward binary that has the 'userns,' rule, or run ward as root");
}

/* ---- forked probes ---- */

/* Every step a probe child can fail at, for the messages. */
enum {
        STEP_NONE,
        STEP_USERNS,
        STEP_SETGROUPS,
        STEP_UID_MAP,
        STEP_GID_MAP,
        STEP_UNSHARE,
        STEP_USE,
        STEP_NNP,
        STEP_LOAD,
};

typedef struct outcome {
        int step;   /* the failed step, when error is set */
        int error;  /* negative errno; 0 when the child succeeded */
        int signal; /* the child was killed by this signal */
        bool timed_out;
        bool no_child; /* the child could not be started: error says why */
} outcome;

/* Runs fn in a forked child. fn returns 0 or a negative errno and sets
 * *step as it goes; a failure travels back as {step, errno} on a pipe. A
 * child that succeeds writes nothing, so that a probe which has loaded a
 * seccomp filter needs no system call but exit_group afterwards. */
static void run_child(int (*fn)(const void *arg, int *step), const void *arg, outcome *out) {
        memset(out, 0, sizeof *out);
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0) {
                out->error = -errno;
                out->no_child = true;
                return;
        }
        _cleanup_close_ int rd = p[0];
        _cleanup_close_ int wr = p[1];
        /* A probe must never outlive the report. */
        _cleanup_pid_ pid_t pid = fork();
        if (pid < 0) {
                out->error = -errno;
                out->no_child = true;
                return;
        }
        if (pid == 0) {
                int step = STEP_NONE;
                int r = fn(arg, &step);
                if (r < 0) {
                        int msg[2] = {step, r};
                        (void)!write(wr, msg, sizeof msg);
                        _exit(1);
                }
                _exit(0);
        }
        close(TAKE_FD(wr));

        /* EOF on the pipe: the child (and any grandchild) is gone. */
        uint64_t deadline = clock_mono_ms() + PROBE_CHILD_TIMEOUT_MS;
        int msg[2] = {0, 0};
        size_t got = 0;
        for (;;) {
                int left = clock_ms_left(deadline);
                if (left == 0) {
                        out->timed_out = true;
                        return; /* the scope kills and reaps it */
                }
                struct pollfd pfd = {.fd = rd, .events = POLLIN};
                int n = poll(&pfd, 1, left);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        out->error = -errno;
                        out->no_child = true;
                        return;
                }
                if (n == 0)
                        continue;
                ssize_t k = read(rd, (char *)msg + got, sizeof msg - got);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                got += (size_t)k;
                if (got == sizeof msg)
                        break;
        }
        int status;
        while (waitpid(pid, &status, 0) < 0) {
                if (errno != EINTR) {
                        out->error = -errno;
                        out->no_child = true;
                        return;
                }
        }
        // NOLINTNEXTLINE(clang-analyzer-deadcode.DeadStores): read by the _cleanup_pid_ at scope exit: the child is reaped, nothing to kill
        pid = -1;
        if (WIFSIGNALED(status)) {
                out->signal = WTERMSIG(status);
        } else if (WIFEXITED(status) && WEXITSTATUS(status) == 1 && got == sizeof msg && msg[1] < 0) {
                out->step = msg[0];
                out->error = msg[1];
        } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                out->error = -EPROTO;
        }
}

/* Fills the detail and hint for the ways any probe child can fail that are
 * not about the probe itself. Returns true when it did. */
static bool child_trouble(probe_check *c, const outcome *o, const facts *f) {
        if (o->no_child) {
                c->error = o->error;
                DETAIL(c, "could not run a probe: %s (%s)", strerror(-o->error), ename(o->error));
                HINT(c, "try again; if it persists, the process or memory limits of this user are exhausted");
                return true;
        }
        if (o->timed_out) {
                c->error = -ETIMEDOUT;
                DETAIL(c, "the probe did not finish within %d ms and was killed", PROBE_CHILD_TIMEOUT_MS);
                HINT(c, "run ward doctor again; a probe that hangs points at a stuck file system or a security "
                        "module waiting on a decision");
                return true;
        }
        if (o->signal) {
                c->error = -EINTR;
                DETAIL(c, "the probe was killed by signal %d (%s)", o->signal, strsignal(o->signal));
                if (o->signal == SIGSYS) {
                        DETAIL_ADD(c, ": a seccomp filter that ward runs under kills processes for this call");
                        if (*f->container)
                                DETAIL_ADD(c, " (ward runs in %s)", f->container);
                        HINT(c, "run ward without that seccomp filter, or with a profile that allows the call");
                }
                return true;
        }
        if (o->error == -EPROTO && o->step == STEP_NONE) {
                c->error = o->error;
                DETAIL(c, "the probe ended without saying why");
                return true;
        }
        return false;
}

/* ---- namespaces ---- */

static const struct ns_kind {
        int probe;
        int flag;
        const char *what; /* for messages */
        const char *flag_name;
        const char *proc;   /* /proc/self/ns/<proc> exists when the kernel has the namespace */
        const char *config; /* the kernel option that builds it in */
        const char *max;    /* /proc/sys/user/<max> caps how many there may be */
        const char *use;    /* what the child then does in it, NULL for nothing */
} ns_kinds[] = {
        {PROBE_USERNS, CLONE_NEWUSER, "user namespace", "CLONE_NEWUSER", "user", "CONFIG_USER_NS",
         "max_user_namespaces", "write its uid and gid maps"},
        {PROBE_PIDNS, CLONE_NEWPID, "pid namespace", "CLONE_NEWPID", "pid", "CONFIG_PID_NS", "max_pid_namespaces",
         "start its init"},
        {PROBE_MOUNTNS, CLONE_NEWNS, "mount namespace", "CLONE_NEWNS", "mnt", NULL, "max_mnt_namespaces",
         "make its mounts private"},
        {PROBE_NETNS, CLONE_NEWNET, "network namespace", "CLONE_NEWNET", "net", "CONFIG_NET_NS", "max_net_namespaces",
         "bring up its loopback"},
        {PROBE_IPCNS, CLONE_NEWIPC, "IPC namespace", "CLONE_NEWIPC", "ipc", "CONFIG_IPC_NS", "max_ipc_namespaces",
         NULL},
        {PROBE_UTSNS, CLONE_NEWUTS, "UTS namespace", "CLONE_NEWUTS", "uts", "CONFIG_UTS_NS", "max_uts_namespaces",
         "set its host name"},
        {PROBE_CGROUPNS, CLONE_NEWCGROUP, "cgroup namespace", "CLONE_NEWCGROUP", "cgroup", "CONFIG_CGROUPS",
         "max_cgroup_namespaces", NULL},
};

typedef struct ns_arg {
        const struct ns_kind *kind;
        uid_t uid;
        gid_t gid;
} ns_arg;

/* In the child: as in ward run, every namespace is made inside a new user
 * namespace, whoever the caller is. The user namespace probe also writes
 * the id maps (from inside, which is allowed for one's own ids), since that
 * is where AppArmor's restriction first shows. */
static int ns_child(const void *argp, int *step) {
        const ns_arg *a = argp;
        const struct ns_kind *k = a->kind;
        char map[64];
        int r;
        *step = STEP_USERNS;
        if (unshare(CLONE_NEWUSER) < 0)
                return -errno;
        if (k->flag == CLONE_NEWUSER) {
                *step = STEP_SETGROUPS;
                r = fd_write_file("/proc/self/setgroups", "deny");
                if (r < 0)
                        return r;
                *step = STEP_UID_MAP;
                snprintf(map, sizeof map, "%u %u 1", WARD_SANDBOX_UID, (unsigned)a->uid);
                if ((r = fd_write_file("/proc/self/uid_map", map)) < 0)
                        return r;
                *step = STEP_GID_MAP;
                snprintf(map, sizeof map, "%u %u 1", WARD_SANDBOX_GID, (unsigned)a->gid);
                return fd_write_file("/proc/self/gid_map", map);
        }
        *step = STEP_UNSHARE;
        if (unshare(k->flag) < 0)
                return -errno;
        *step = STEP_USE;
        switch (k->flag) {
        case CLONE_NEWPID: {
                /* The first child is the namespace's init. */
                pid_t init = fork();
                if (init < 0)
                        return -errno;
                if (init == 0)
                        _exit(0);
                int status;
                while (waitpid(init, &status, 0) < 0)
                        if (errno != EINTR)
                                return -errno;
                return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
        }
        case CLONE_NEWNS:
                /* Only this child's new mount namespace is changed. */
                return mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ? -errno : 0;
        case CLONE_NEWNET:
                return netns_loopback_up();
        case CLONE_NEWUTS:
                return sethostname(WARD_SANDBOX_HOSTNAME, strlen(WARD_SANDBOX_HOSTNAME)) < 0 ? -errno : 0;
        default:
                return 0;
        }
}

static void explain_userns(probe_check *c, const outcome *o, const facts *f) {
        int e = -o->error;
        if (o->step != STEP_USERNS) {
                const char *file = o->step == STEP_SETGROUPS ? "setgroups"
                                   : o->step == STEP_UID_MAP ? "uid_map"
                                                             : "gid_map";
                DETAIL(c, "created a user namespace, but writing its /proc/self/%s failed: %s (%s)", file, strerror(e),
                       ename(o->error));
                if (!f->privileged && f->aa_restrict == 1)
                        apparmor_cause(c, f);
                else if (f->seccomp_mode == 2)
                        seccomp_cause(c, f, "the writes");
                else
                        HINT(c, "a security module (AppArmor, SELinux) may forbid the write: look for a denial in the "
                                "kernel log (dmesg), or run ward as root");
                return;
        }
        DETAIL(c, "unshare(CLONE_NEWUSER) failed: %s (%s)", strerror(e), ename(o->error));
        if ((e == EINVAL || e == ENOSYS) && access("/proc/self/ns/user", F_OK) < 0) {
                DETAIL_ADD(c, "; this kernel was built without user namespaces (CONFIG_USER_NS)");
                HINT(c, "use a kernel built with CONFIG_USER_NS=y");
        } else if ((e == ENOSPC || e == EUSERS) && f->max_user_ns == 0) {
                DETAIL_ADD(c, "; user.max_user_namespaces is 0%s",
                           f->in_userns ? " in the user namespace ward runs in" : "");
                HINT(c, "sysctl -w user.max_user_namespaces=15000 (persist in /etc/sysctl.d/)");
        } else if (e == ENOSPC || e == EUSERS) {
                DETAIL_ADD(c,
                           "; the limit of user namespaces (user.max_user_namespaces=%d) is used up, or 32 "
                           "levels of nesting are reached",
                           f->max_user_ns);
                HINT(c, "raise user.max_user_namespaces with sysctl -w, or find what holds so many user namespaces");
        } else if ((e == EPERM || e == EACCES) && !f->privileged && f->unpriv_userns_clone == 0) {
                DETAIL_ADD(c,
                           "; kernel.unprivileged_userns_clone is 0: only root may create user namespaces, and "
                           "ward runs as uid %u",
                           (unsigned)f->euid);
                HINT(c, "sysctl -w kernel.unprivileged_userns_clone=1 (persist in /etc/sysctl.d/), or run ward as "
                        "root");
        } else if ((e == EPERM || e == EACCES) && !f->privileged && f->aa_restrict == 1) {
                apparmor_cause(c, f);
        } else if ((e == EPERM || e == EACCES) && f->seccomp_mode == 2) {
                seccomp_cause(c, f, "unshare and clone with namespace flags");
        } else if ((e == EPERM || e == EACCES) && f->in_userns) {
                DETAIL_ADD(c, "; ward runs in %s, which does not allow nested user namespaces", f->container);
                HINT(c, "allow nesting in the container (e.g. LXD: security.nesting=true), or run ward on the host");
        } else if (e == EPERM || e == EACCES) {
                DETAIL_ADD(c,
                           "; none of the usual causes applies (unprivileged_userns_clone %d, "
                           "max_user_namespaces %d, AppArmor restriction %d, seccomp %d): a chroot or a security "
                           "module may forbid it",
                           f->unpriv_userns_clone, f->max_user_ns, f->aa_restrict, f->seccomp_mode);
                HINT(c, "look for a denial in the kernel log (dmesg); a chrooted ward cannot create user namespaces");
        }
}

static void explain_ns(probe_check *c, const struct ns_kind *k, const outcome *o, const facts *f) {
        int e = -o->error;
        if (o->step == STEP_USERNS) {
                DETAIL(c,
                       "not tried: ward makes every namespace inside a new user namespace, which could not be "
                       "created (%s, %s)",
                       strerror(e), ename(o->error));
                HINT(c, "see userns");
                return;
        }
        if (o->step == STEP_UNSHARE)
                DETAIL(c, "created a user namespace, but unshare(%s) failed: %s (%s)", k->flag_name, strerror(e),
                       ename(o->error));
        else
                DETAIL(c, "created the %s, but could not %s in it: %s (%s)", k->what, k->use ? k->use : "use it",
                       strerror(e), ename(o->error));
        char path[64];
        snprintf(path, sizeof path, "/proc/sys/user/%s", k->max);
        int max = read_int(path);
        snprintf(path, sizeof path, "/proc/self/ns/%s", k->proc);
        if (o->step == STEP_UNSHARE && e == EINVAL && k->config && access(path, F_OK) < 0) {
                DETAIL_ADD(c, "; this kernel was built without it (%s)", k->config);
                HINT(c, "use a kernel built with %s=y", k->config);
        } else if (e == ENOSPC && max == 0) {
                DETAIL_ADD(c, "; user.%s is 0", k->max);
                HINT(c, "sysctl -w user.%s=15000 (persist in /etc/sysctl.d/)", k->max);
        } else if (e == ENOSPC) {
                DETAIL_ADD(c, "; the limit user.%s=%d is used up", k->max, max);
                HINT(c, "raise user.%s with sysctl -w", k->max);
        } else if ((e == EPERM || e == EACCES) && !f->privileged && f->aa_restrict == 1) {
                apparmor_cause(c, f);
        } else if ((e == EPERM || e == EACCES) && f->seccomp_mode == 2) {
                seccomp_cause(c, f, o->step == STEP_UNSHARE ? "unshare with namespace flags" : "the call");
        } else {
                HINT(c, "look for a denial in the kernel log (dmesg); a security module may forbid it");
        }
}

static void probe_namespaces(probe_report *rep, const facts *f) {
        for (size_t i = 0; i < ELEMENTSOF(ns_kinds); i++) {
                const struct ns_kind *k = &ns_kinds[i];
                probe_check *c = &rep->checks[k->probe];
                ns_arg a = {.kind = k, .uid = geteuid(), .gid = getegid()};
                outcome o;
                run_child(ns_child, &a, &o);
                if (child_trouble(c, &o, f))
                        continue;
                if (o.error == 0) {
                        c->available = true;
                        if (k->flag == CLONE_NEWUSER)
                                DETAIL(c, "created a user namespace and wrote its uid and gid maps");
                        else
                                DETAIL(c, "created %s %s in a new user namespace%s%s",
                                       k->flag == CLONE_NEWIPC ? "an" : "a", k->what, k->use ? " and could " : "",
                                       k->use ? k->use : "");
                        continue;
                }
                c->error = o.error;
                if (k->flag == CLONE_NEWUSER)
                        explain_userns(c, &o, f);
                else
                        explain_ns(c, k, &o, f);
        }
}

/* ---- seccomp ---- */

/* In the child: what the program does last in ward run, with ward's own
 * filter. After it nothing but exit_group is called, which the filter
 * allows: any other call would wait for a supervisor that is not there. */
static int seccomp_child(const void *arg, int *step) {
        (void)arg;
        *step = STEP_NNP;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;
        *step = STEP_LOAD;
        int fd = seccomp_install(false);
        return fd < 0 ? fd : 0;
}

static void probe_seccomp(probe_report *rep, const facts *f) {
        probe_check *c = &rep->checks[PROBE_SECCOMP];
        struct seccomp_notif_sizes sizes;
        if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0) {
                int e = errno;
                c->error = -e;
                DETAIL(c, "seccomp(SECCOMP_GET_NOTIF_SIZES) failed: %s (%s)", strerror(e), ename(-e));
                if (e == EINVAL && !kernel_at_least(f, 5, 5)) {
                        DETAIL_ADD(c, "; this kernel has no seccomp user notification");
                        HINT(c, "use Linux 5.5 or later");
                } else if (f->seccomp_mode == 2) {
                        seccomp_cause(c, f, "seccomp()");
                } else {
                        DETAIL_ADD(c, "; this kernel lacks seccomp filters (CONFIG_SECCOMP_FILTER) or user "
                                      "notification");
                        HINT(c, "use a kernel built with CONFIG_SECCOMP_FILTER=y, Linux 5.5 or later");
                }
                return;
        }
        outcome o;
        run_child(seccomp_child, NULL, &o);
        if (child_trouble(c, &o, f))
                return;
        if (o.error == 0) {
                c->available = true;
                DETAIL(c, "loaded ward's filter with a user-notification listener%s",
                       f->seccomp_mode == 2 ? " (stacked on the filter ward already runs under)" : "");
                return;
        }
        int e = -o.error;
        c->error = o.error;
        if (o.step == STEP_NNP) {
                DETAIL(c, "prctl(PR_SET_NO_NEW_PRIVS) failed: %s (%s)", strerror(e), ename(o.error));
                return;
        }
        DETAIL(c, "loading ward's filter with SECCOMP_FILTER_FLAG_NEW_LISTENER failed: %s (%s)", strerror(e),
               ename(o.error));
        if (e == EBUSY) {
                DETAIL_ADD(c, "; a seccomp filter that ward already runs under has a notification listener of its "
                              "own (a container manager intercepting system calls, such as LXD or Sysbox), and a "
                              "process may have only one");
                HINT(c, "run ward outside that container, or turn off the manager's system call interception");
        } else if (e == ENOMEM) {
                DETAIL_ADD(c, "; the filters stacked on ward would exceed the kernel's limit of 32768 instructions");
                HINT(c, "run ward under fewer or smaller seccomp filters");
        } else if ((e == EPERM || e == EACCES || e == ENOSYS) && f->seccomp_mode == 2) {
                seccomp_cause(c, f, "seccomp()");
        } else if (e == EINVAL) {
                DETAIL_ADD(c, "; the kernel does not know the listener flag");
                HINT(c, "use Linux 5.5 or later");
        }
}

/* ---- landlock ---- */

/* In the child: a ruleset of the ABI the run would use, applied. */
static int landlock_child(const void *arg, int *step) {
        const int *abi = arg;
        static const char *const writable[] = {"/"};
        *step = STEP_NNP;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;
        *step = STEP_LOAD;
        return landlock_apply(*abi, writable, ELEMENTSOF(writable), NULL, 0);
}

static void probe_landlock(probe_report *rep, const facts *f) {
        probe_check *c = &rep->checks[PROBE_LANDLOCK];
        int abi = landlock_abi();
        rep->landlock_abi = abi;
        if (abi < 1) {
                /* landlock_abi() says whether; the errno of the same call says why not. */
                int e = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION) < 0 ? errno
                                                                                                           : EPROTO;
                c->error = -e;
                DETAIL(c, "landlock_create_ruleset(LANDLOCK_CREATE_RULESET_VERSION) failed: %s (%s)", strerror(e),
                       ename(-e));
                _cleanup_free_ char *lsm = NULL;
                bool have_lsm = fd_read_file("/sys/kernel/security/lsm", 4096, &lsm, NULL) == 0;
                if (have_lsm)
                        lsm[strcspn(lsm, "\n")] = '\0';
                if (e == EOPNOTSUPP) {
                        DETAIL_ADD(c, "; landlock is built into this kernel but was not enabled at boot%s%s%s",
                                   have_lsm ? " (active security modules: " : "", have_lsm ? lsm : "",
                                   have_lsm ? ")" : "");
                        HINT(c, "add landlock to the kernel's lsm= boot parameter%s%s and reboot, or " WAIVE_LANDLOCK,
                             have_lsm ? ", e.g. lsm=landlock," : "", have_lsm ? lsm : "");
                } else if ((e == ENOSYS && kernel_at_least(f, 5, 13) && f->seccomp_mode == 2) ||
                           ((e == EPERM || e == EACCES) && f->seccomp_mode == 2)) {
                        seccomp_cause(c, f, "the landlock system calls");
                        HINT_ADD(c, ", or " WAIVE_LANDLOCK);
                } else if (e == ENOSYS) {
                        DETAIL_ADD(c, "; this kernel has no landlock (Linux 5.13 or later with "
                                      "CONFIG_SECURITY_LANDLOCK=y)");
                        HINT(c, "use a kernel with landlock, or " WAIVE_LANDLOCK);
                } else {
                        HINT(c, WAIVE_LANDLOCK);
                }
                return;
        }
        outcome o;
        run_child(landlock_child, &abi, &o);
        if (child_trouble(c, &o, f)) {
                HINT_ADD(c, "%s" WAIVE_LANDLOCK, *c->hint ? "; or " : "");
                return;
        }
        if (o.error < 0) {
                c->error = o.error;
                DETAIL(c, "ABI %d, but applying a ruleset failed at %s: %s (%s)", abi,
                       o.step == STEP_NNP ? "no_new_privs" : "landlock_restrict_self", strerror(-o.error),
                       ename(o.error));
                if (f->seccomp_mode == 2)
                        seccomp_cause(c, f, "the landlock system calls");
                HINT_ADD(c, "%s" WAIVE_LANDLOCK, *c->hint ? ", or " : "");
                return;
        }
        c->available = true;
        DETAIL(c, "ABI %d: a ruleset was applied in a test child; %s", abi,
               abi >= 6 ? "abstract unix sockets and signals are also scoped"
                        : "abstract unix sockets and signals are scoped only from ABI 6 (Linux 6.12)");
}

/* ---- cgroups ---- */

static const char *const cg_checks[3] = {"memory", "pids", "cpu"};

static bool word_in(const char *list, const char *word) {
        size_t n = strlen(word);
        for (const char *p = list; p && *p;) {
                p += strspn(p, " \t\n,");
                size_t len = strcspn(p, " \t\n,");
                if (len == n && strncmp(p, word, n) == 0)
                        return true;
                p += len;
        }
        return false;
}

/* cgroup.c's parsers, into fixed buffers. */
static int copy_out(int r, char *found, char *buf, size_t size) {
        if (r < 0)
                return r;
        int n = snprintf(buf, size, "%s", found);
        free(found);
        return n >= 0 && (size_t)n < size ? 0 : -ENAMETOOLONG;
}

static int self_cgroup(const char *proc_cgroup, const char *controller, char *buf, size_t size) {
        char *found = NULL;
        int r = cgroup_self_path(proc_cgroup, controller, &found);
        return copy_out(r, found, buf, size);
}

static int v1_mount_point(const char *mountinfo, const char *controller, char *buf, size_t size) {
        char *found = NULL;
        int r = cgroup_v1_mount(mountinfo, controller, &found);
        return copy_out(r, found, buf, size);
}

static int writable(const char *path) {
        return faccessat(AT_FDCWD, path, W_OK, AT_EACCESS) < 0 ? -errno : 0;
}

static void not_writable(probe_check *c, int version, const char *path, int r, const facts *f) {
        DETAIL_ADD(c, "%s is not writable by uid %u: %s (%s)", path, (unsigned)f->euid, strerror(-r), ename(r));
        if (r == -EROFS) {
                DETAIL_ADD(c, "; the cgroup file system is mounted read-only%s%s", *f->container ? " in " : "",
                           f->container);
                HINT(c, "give ward a writable cgroup mount (container runtimes mount it read-only by default), "
                        "or " WAIVE_CGROUPS);
        } else if (version == 1) {
                /* On v1 a user may move its own processes into a cgroup
                 * it can write, and ward nests its cgroups below that. */
                HINT(c,
                     "run ward as root, or as root give uid %u a cgroup of its own in the memory, pids and "
                     "cpuacct hierarchies (mkdir, chown -R %u) and start ward from a shell moved into it (echo $$ "
                     "> cgroup.procs there), or " WAIVE_CGROUPS,
                     (unsigned)f->euid, (unsigned)f->euid);
        } else {
                /* A delegated cgroup (systemd-run -p Delegate=yes) is not
                 * enough on v2: ward would be a process in it, and the
                 * kernel then refuses to enable controllers for its
                 * children (see the EBUSY case below). */
                HINT(c, "run ward as root from the root cgroup, or " WAIVE_CGROUPS);
        }
}

static void probe_cgroups_v2(probe_report *rep, const char *proc_cgroup, const facts *f) {
        char self[WARD_PATH_MAX], dir[WARD_PATH_MAX + 32], path[WARD_PATH_MAX + 64];
        _cleanup_free_ char *controllers = NULL, *enabled = NULL;
        int r = self_cgroup(proc_cgroup, NULL, self, sizeof self);
        if (r < 0) {
                for (int i = 0; i < 3; i++) {
                        probe_check *c = &rep->checks[PROBE_CGROUP_MEMORY + i];
                        c->error = r;
                        DETAIL(c, "cgroup v2: this process has no \"0::\" line in /proc/self/cgroup");
                        HINT(c, WAIVE_CGROUPS);
                }
                return;
        }
        snprintf(dir, sizeof dir, "/sys/fs/cgroup%s", strcmp(self, "/") == 0 ? "" : self);
        snprintf(path, sizeof path, "%s/cgroup.controllers", dir);
        if (fd_read_file(path, 4096, &controllers, NULL) < 0)
                controllers = NULL;
        snprintf(path, sizeof path, "%s/cgroup.subtree_control", dir);
        int sub_w = writable(path);
        int dir_w = writable(dir);
        for (int i = 0; i < 3; i++) {
                probe_check *c = &rep->checks[PROBE_CGROUP_MEMORY + i];
                const char *ctl = cg_checks[i];
                if (!controllers || !word_in(controllers, ctl)) {
                        c->error = -ENOENT;
                        if (controllers)
                                controllers[strcspn(controllers, "\n")] = '\0';
                        DETAIL(c,
                               "cgroup v2: the %s controller is not available to %s (its cgroup.controllers: "
                               "\"%s\"): the parent cgroup did not delegate it",
                               ctl, dir, controllers ? controllers : "unreadable");
                        HINT(c,
                             "enable %s in the parent's cgroup.subtree_control (as root), or run ward as root "
                             "from the root cgroup, or " WAIVE_CGROUPS,
                             ctl);
                } else if (dir_w < 0 || sub_w < 0) {
                        c->error = dir_w < 0 ? dir_w : sub_w;
                        DETAIL(c, "cgroup v2: ");
                        not_writable(c, 2, dir_w < 0 ? dir : path, c->error, f);
                } else {
                        c->available = true;
                        DETAIL(c, "cgroup v2: %s is in %s/cgroup.controllers, and the caller may write there", ctl,
                               dir);
                }
        }
}

static void probe_cgroups_v1(probe_report *rep, const char *proc_cgroup, const facts *f) {
        _cleanup_free_ char *mountinfo = NULL;
        int r = fd_read_file("/proc/self/mountinfo", WARD_PROC_FILE_MAX, &mountinfo, NULL);
        for (int i = 0; i < 3; i++) {
                probe_check *c = &rep->checks[PROBE_CGROUP_MEMORY + i];
                /* ward accounts CPU time with cpuacct on v1 (the supervisor
                 * enforces the limit); it sets no cpu controller limit. */
                const char *ctl = i == 2 ? "cpuacct" : cg_checks[i];
                char mnt[1024], self[WARD_PATH_MAX], dir[WARD_PATH_MAX + 1024];
                if (r < 0) {
                        c->error = r;
                        DETAIL(c, "cgroup v1: cannot read /proc/self/mountinfo: %s", strerror(-r));
                        HINT(c, WAIVE_CGROUPS);
                        continue;
                }
                int e = v1_mount_point(mountinfo, ctl, mnt, sizeof mnt);
                if (e < 0) {
                        c->error = e;
                        DETAIL(c, "cgroup v1: the %s controller is not mounted", ctl);
                        HINT(c, "mount it (mount -t cgroup -o %s cgroup /sys/fs/cgroup/%s, as root), or " WAIVE_CGROUPS,
                             ctl, ctl);
                        continue;
                }
                if ((e = self_cgroup(proc_cgroup, ctl, self, sizeof self)) < 0) {
                        c->error = e;
                        DETAIL(c, "cgroup v1: /proc/self/cgroup names no %s cgroup for this process", ctl);
                        HINT(c, WAIVE_CGROUPS);
                        continue;
                }
                snprintf(dir, sizeof dir, "%s%s", mnt, strcmp(self, "/") == 0 ? "" : self);
                if ((e = writable(dir)) < 0) {
                        c->error = e;
                        DETAIL(c, "cgroup v1: %s is mounted at %s, but this process's cgroup there, ", ctl, mnt);
                        not_writable(c, 1, dir, e, f);
                        continue;
                }
                c->available = true;
                DETAIL(c, "cgroup v1: %s is mounted at %s and this process's cgroup there (%s) is writable", ctl, mnt,
                       dir);
        }
}

/* ward makes one cgroup with all three controllers, or runs with none:
 * one that is missing takes the others with it. */
static void probe_cgroups(probe_report *rep, const facts *f) {
        int v = cgroup_detect_version();
        rep->cgroup_version = v;
        _cleanup_free_ char *proc_cgroup = NULL;
        int r = fd_read_file("/proc/self/cgroup", WARD_PROC_FILE_MAX, &proc_cgroup, NULL);
        for (int i = 0; i < 3; i++)
                rep->checks[PROBE_CGROUP_MEMORY + i].available = false;
        if (v == 0 || r < 0) {
                for (int i = 0; i < 3; i++) {
                        probe_check *c = &rep->checks[PROBE_CGROUP_MEMORY + i];
                        c->error = r < 0 ? r : -ENOENT;
                        if (r < 0)
                                DETAIL(c, "cannot read /proc/self/cgroup: %s", strerror(-r));
                        else
                                DETAIL(c, "no cgroup hierarchy is mounted at /sys/fs/cgroup (neither cgroup2 nor a "
                                          "v1 tmpfs with a memory hierarchy)");
                        HINT(c, "mount one (mount -t cgroup2 cgroup2 /sys/fs/cgroup, as root), or " WAIVE_CGROUPS);
                }
                return;
        }
        if (v == 2)
                probe_cgroups_v2(rep, proc_cgroup, f);
        else
                probe_cgroups_v1(rep, proc_cgroup, f);

        const char *missing = NULL;
        for (int i = 0; i < 3 && !missing; i++)
                if (!rep->checks[PROBE_CGROUP_MEMORY + i].available)
                        missing = rep->checks[PROBE_CGROUP_MEMORY + i].name;
        if (missing) {
                for (int i = 0; i < 3; i++) {
                        probe_check *c = &rep->checks[PROBE_CGROUP_MEMORY + i];
                        if (!c->available)
                                continue;
                        c->available = false;
                        c->error = -ENOENT;
                        DETAIL_ADD(c,
                                   "; but ward makes one cgroup with memory, pids and cpu together, so without %s "
                                   "a run has none",
                                   missing);
                        HINT(c, "see %s", missing);
                }
                return;
        }

        /* What may be written is not all that matters (v2 refuses to
         * enable controllers under a cgroup that holds processes, v1 may
         * refuse a limit): the verdict is the run path's own. */
        _cleanup_(policy_free) policy p;
        policy_init_default(&p);
        cgroup cg;
        ward_error err = {0};
        r = cgroup_create(&cg, &p, &err);
        if (r < 0) {
                for (int i = 0; i < 3; i++) {
                        probe_check *c = &rep->checks[PROBE_CGROUP_MEMORY + i];
                        c->available = false;
                        c->error = r;
                        DETAIL(c, "creating the run's cgroup as ward run does failed: %s", err.msg);
                        if (r == -EBUSY && v == 2) {
                                DETAIL_ADD(c, " (EBUSY: ward makes its cgroups under its own, and cgroup v2 lets a "
                                              "cgroup other than the root enable controllers for its children only "
                                              "while it holds no process; ward's own cgroup holds ward)");
                                HINT(c,
                                     "start ward from the root cgroup (as root: echo $$ > "
                                     "/sys/fs/cgroup/cgroup.procs, then run ward from that shell), or " WAIVE_CGROUPS);
                        } else if (r == -EACCES || r == -EPERM || r == -EROFS) {
                                HINT(c, "run ward as root, or " WAIVE_CGROUPS);
                        } else {
                                HINT(c, WAIVE_CGROUPS);
                        }
                }
                return;
        }
        cgroup_destroy(&cg);
        for (int i = 0; i < 3; i++)
                DETAIL_ADD(&rep->checks[PROBE_CGROUP_MEMORY + i], "; created and removed a cgroup with the default "
                                                                  "limits, as ward run does");
}

/* ---- kernel interfaces ward run cannot do without ---- */

static void probe_pidfd(probe_report *rep, const facts *f) {
        probe_check *c = &rep->checks[PROBE_PIDFD];
        _cleanup_close_ int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
        if (fd >= 0) {
                c->available = true;
                DETAIL(c, "pidfd_open on this process works");
                return;
        }
        int e = errno;
        c->error = -e;
        DETAIL(c, "pidfd_open failed: %s (%s); ward run watches and kills the sandbox through a pidfd", strerror(e),
               ename(-e));
        if (e == ENOSYS && kernel_at_least(f, 5, 3) && f->seccomp_mode == 2)
                seccomp_cause(c, f, "pidfd_open");
        else if (e == ENOSYS)
                HINT(c, "use Linux 5.3 or later");
}

static void probe_close_range(probe_report *rep, const facts *f) {
        probe_check *c = &rep->checks[PROBE_CLOSE_RANGE];
        /* No fd reaches INT_MAX (fs.nr_open is capped below it), so this
         * range is above every open fd and nothing is closed. */
        if (syscall(SYS_close_range, (unsigned)INT_MAX, ~0u, 0u) == 0) {
                c->available = true;
                DETAIL(c, "close_range works");
                return;
        }
        int e = errno;
        c->error = -e;
        DETAIL(c, "close_range failed: %s (%s); ward falls back to closing what /proc/self/fd lists", strerror(e),
               ename(-e));
        if (e == ENOSYS && kernel_at_least(f, 5, 9) && f->seccomp_mode == 2)
                seccomp_cause(c, f, "close_range");
        else if (e == ENOSYS)
                HINT(c, "Linux 5.9 or later has it; nothing needs doing");
}

static void probe_clone3(probe_report *rep, const facts *f) {
        probe_check *c = &rep->checks[PROBE_CLONE3];
        int pidfd = -1;
        struct clone_args args = {
                .flags = CLONE_PIDFD,
                .pidfd = (uint64_t)(uintptr_t)&pidfd,
                .exit_signal = SIGCHLD,
        };
        /* A probe must never outlive the report. */
        _cleanup_pid_ pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
        if (pid == 0)
                _exit(0);
        int e = errno;
        _cleanup_close_ int fd = pidfd;
        if (pid > 0) {
                int status;
                while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                        ;
                // NOLINTNEXTLINE(clang-analyzer-deadcode.DeadStores): read by the _cleanup_pid_ at scope exit: the child is reaped, nothing to kill
                pid = -1;
                c->available = true;
                DETAIL(c, "clone3 with CLONE_PIDFD started and reaped a child");
                return;
        }
        c->error = -e;
        DETAIL(c, "clone3 failed: %s (%s); ward run starts every sandbox with clone3 and has no fallback", strerror(e),
               ename(-e));
        if (e == ENOSYS && kernel_at_least(f, 5, 3)) {
                DETAIL_ADD(c,
                           "; this kernel (%d.%d) has clone3, so a seccomp filter answers it with ENOSYS, as "
                           "Docker's default profile does to make libc fall back to clone",
                           f->kmajor, f->kminor);
                if (*f->container)
                        DETAIL_ADD(c, " (ward runs in %s)", f->container);
                HINT(c, "run ward under a seccomp profile that allows clone3 (e.g. docker run --security-opt "
                        "seccomp=unconfined), or outside the container");
        } else if (e == ENOSYS) {
                HINT(c, "use Linux 5.3 or later");
        }
}

/* ---- the report ---- */

/* open_tree (5.2) and mount_setattr (5.12), with which the sandbox's root
 * is built. Asked with arguments the kernel refuses after it has looked
 * the call up: EBADF or EINVAL means the call exists, ENOSYS that it does
 * not (or that a seccomp filter says so), EPERM that a filter refuses it. */
static void probe_mount_api(probe_report *rep, const facts *f) {
        probe_check *c = &rep->checks[PROBE_MOUNT_API];
        static const struct {
                const char *name;
                long nr;
                int major, minor;
        } calls[] = {{"open_tree", SYS_open_tree, 5, 2}, {"mount_setattr", SYS_mount_setattr, 5, 12}};
        for (size_t i = 0; i < ELEMENTSOF(calls); i++) {
                long r = syscall(calls[i].nr, -1, "", 0, NULL, 0);
                int e = r < 0 ? errno : 0;
                if (e == EBADF || e == EINVAL || e == ENOENT || e == 0)
                        continue;
                c->error = -e;
                DETAIL(c,
                       "%s failed: %s (%s); ward builds every sandbox's root with open_tree, move_mount and "
                       "mount_setattr",
                       calls[i].name, strerror(e), ename(-e));
                if (e == ENOSYS && !kernel_at_least(f, calls[i].major, calls[i].minor))
                        HINT(c, "use Linux %d.%d or later", calls[i].major, calls[i].minor);
                else
                        HINT(c,
                             "a seccomp filter around ward refuses %s: run ward outside it, or with a profile "
                             "that allows the new mount API",
                             calls[i].name);
                return;
        }
        c->available = true;
        DETAIL(c, "open_tree and mount_setattr exist");
}

static const struct {
        const char *name;
        bool required;
} check_defs[PROBE_N] = {
        [PROBE_USERNS] = {"userns", true},
        [PROBE_PIDNS] = {"pidns", true},
        [PROBE_MOUNTNS] = {"mountns", true},
        [PROBE_NETNS] = {"netns", true},
        [PROBE_IPCNS] = {"ipcns", true},
        [PROBE_UTSNS] = {"utsns", true},
        [PROBE_CGROUPNS] = {"cgroupns", true},
        [PROBE_SECCOMP] = {"seccomp", true},
        /* Landlock and cgroups may be waived by allow_without, but the
         * default policy does not. */
        [PROBE_LANDLOCK] = {"landlock", true},
        [PROBE_CGROUP_MEMORY] = {"cgroup-memory", true},
        [PROBE_CGROUP_PIDS] = {"cgroup-pids", true},
        [PROBE_CGROUP_CPU] = {"cgroup-cpu", true},
        /* Not protections, but ward run cannot start a sandbox without them. */
        [PROBE_PIDFD] = {"pidfd", true},
        [PROBE_CLOSE_RANGE] = {"close_range", false},
        [PROBE_CLONE3] = {"clone3", true},
        [PROBE_MOUNT_API] = {"mount-api", true},
};

int probe_host(probe_report *ret) {
        memset(ret, 0, sizeof *ret);
        for (int i = 0; i < PROBE_N; i++) {
                ret->checks[i].name = check_defs[i].name;
                ret->checks[i].required = check_defs[i].required;
        }
        struct utsname u;
        if (uname(&u) == 0)
                snprintf(ret->kernel, sizeof ret->kernel, "%s", u.release);
        facts f;
        read_facts(&f, ret->kernel);

        probe_namespaces(ret, &f);
        probe_seccomp(ret, &f);
        probe_landlock(ret, &f);
        probe_cgroups(ret, &f);
        probe_pidfd(ret, &f);
        probe_close_range(ret, &f);
        probe_clone3(ret, &f);
        probe_mount_api(ret, &f);

        ret->ok = true;
        for (int i = 0; i < PROBE_N; i++) {
                probe_check *c = &ret->checks[i];
                if (c->available)
                        c->hint[0] = '\0';
                else if (c->required)
                        ret->ok = false;
        }
        return 0;
}
