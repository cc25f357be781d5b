/* Control groups: one per run, under the caller's own cgroup.
 *
 * v2 where the host mounts the unified hierarchy at /sys/fs/cgroup, v1
 * (memory, pids, cpu, cpuacct) where that is what the host has. A run's
 * cgroup is named ward-<owner pid>-<n>; when the owner is gone (ward was
 * SIGKILLed), the next ward start kills what is inside and removes it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <linux/magic.h>

#include "basic/cleanup.h"
#include "basic/fd.h"
#include "basic/limits.h"
#include "basic/parse.h"
#include "jail/jail.h"

/* v1: cpuacct accounts CPU time (the supervisor enforces the limit from
 * it); the cpu controller caps the rate (cfs quota). Where the two are
 * co-mounted, one directory serves both. */
enum { V1_MEMORY, V1_PIDS, V1_CPUACCT, V1_CPU, V1_N };
static const char *const v1_names[V1_N] = {"memory", "pids", "cpuacct", "cpu"};

int cgroup_detect_version(void) {
        struct statfs sf;
        if (statfs("/sys/fs/cgroup", &sf) < 0)
                return 0;
        if (sf.f_type == CGROUP2_SUPER_MAGIC)
                return 2;
        if (sf.f_type == TMPFS_MAGIC && access("/sys/fs/cgroup/memory", F_OK) == 0)
                return 1;
        return 0;
}

/* The caller's path in one hierarchy, from the text of /proc/self/cgroup:
 * "0::/x" for v2, "N:memory:/x" or "N:cpu,cpuacct:/x" for v1. */
int cgroup_self_path(const char *proc_cgroup, const char *controller, char **ret) {
        _cleanup_free_ char *text = strdup(proc_cgroup);
        if (!text)
                return -ENOMEM;
        char *save_line;
        // NOLINTNEXTLINE(clang-analyzer-unix.Malloc): text is freed by _cleanup_free_, which the analyzer does not model
        for (char *line = strtok_r(text, "\n", &save_line); line; line = strtok_r(NULL, "\n", &save_line)) {
                char *c1 = strchr(line, ':');
                char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c2)
                        continue;
                *c2 = '\0';
                char *ctrls = c1 + 1;
                bool match = false;
                if (!controller) {
                        match = *ctrls == '\0';
                } else {
                        char *save;
                        for (char *t = strtok_r(ctrls, ",", &save); t; t = strtok_r(NULL, ",", &save))
                                match |= strcmp(t, controller) == 0;
                }
                if (match) {
                        *ret = strdup(c2 + 1);
                        return *ret ? 0 : -ENOMEM;
                }
        }
        return -ENOENT;
}

/* The mount point of a v1 controller, from the text of
 * /proc/self/mountinfo. */
int cgroup_v1_mount(const char *mountinfo, const char *controller, char **ret) {
        _cleanup_free_ char *text = strdup(mountinfo);
        if (!text)
                return -ENOMEM;
        char *save_line;
        // NOLINTNEXTLINE(clang-analyzer-unix.Malloc): text is freed by _cleanup_free_, which the analyzer does not model
        for (char *line = strtok_r(text, "\n", &save_line); line; line = strtok_r(NULL, "\n", &save_line)) {
                char *sep = strstr(line, " - cgroup ");
                if (!sep)
                        continue;
                /* Field 5 is the mount point; the super options are last. */
                char mnt[1024];
                if (sscanf(line, "%*s %*s %*s %*s %1023s", mnt) != 1)
                        continue;
                char *opts = strrchr(sep, ' ');
                if (!opts)
                        continue;
                char *save;
                for (char *t = strtok_r(opts + 1, ",", &save); t; t = strtok_r(NULL, ",", &save))
                        if (strcmp(t, controller) == 0) {
                                *ret = strdup(mnt);
                                return *ret ? 0 : -ENOMEM;
                        }
        }
        return -ENOENT;
}

static int write_value(const char *dir, const char *file, const char *value) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, file);
        return fd_write_file(path, value);
}

static int parse_u64_text(const char *text, uint64_t *ret) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(text, &end, 10);
        if (errno || end == text)
                return -EINVAL;
        *ret = v;
        return 0;
}

/* "key value" lines, as in memory.events, pids.events, cpu.stat. */
static int parse_keyed_text(const char *text, const char *key, uint64_t *ret) {
        size_t klen = strlen(key);
        for (const char *line = text; line && *line;) {
                const char *nl = strchr(line, '\n');
                if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
                        *ret = strtoull(line + klen + 1, NULL, 10);
                        return 0;
                }
                line = nl ? nl + 1 : NULL;
        }
        return -ENOENT;
}

/* The stat files, held open: one pread each time instead of an open, a
 * stat, two reads and a close. Each is a few lines (v2's memory.events and
 * cpu.stat the longest, well under the buffer). */
static int pread_text(const cgroup *cg, int which, char *buf, size_t size) {
        int fd = cg->stat_open ? cg->stat_fd[which] : -1;
        if (fd < 0)
                return -ENOENT;
        ssize_t n = pread(fd, buf, size - 1, 0);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        return 0;
}

static int stat_u64(const cgroup *cg, int which, uint64_t *ret) {
        char buf[1024];
        int r = pread_text(cg, which, buf, sizeof buf);
        return r < 0 ? r : parse_u64_text(buf, ret);
}

static int stat_keyed(const cgroup *cg, int which, const char *key, uint64_t *ret) {
        char buf[4096];
        int r = pread_text(cg, which, buf, sizeof buf);
        return r < 0 ? r : parse_keyed_text(buf, key, ret);
}

static void open_stats(cgroup *cg) {
        static const char *const v1[CG_STAT_N] = {"cpuacct.usage", "memory.max_usage_in_bytes", "memory.oom_control",
                                                  "pids.events"};
        static const char *const v2[CG_STAT_N] = {"cpu.stat", "memory.peak", "memory.events", "pids.events"};
        static const int v1_dir[CG_STAT_N] = {V1_CPUACCT, V1_MEMORY, V1_MEMORY, V1_PIDS};
        char path[4096];
        for (int i = 0; i < CG_STAT_N; i++) {
                const char *dir = cg->version == 1 ? cg->dir[v1_dir[i]] : cg->dir[0];
                cg->stat_fd[i] = -1;
                if (!dir)
                        continue;
                snprintf(path, sizeof path, "%s/%s", dir, cg->version == 1 ? v1[i] : v2[i]);
                cg->stat_fd[i] = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        }
        cg->stat_open = true;
}

static void close_stats(cgroup *cg) {
        for (int i = 0; cg->stat_open && i < CG_STAT_N; i++)
                if (cg->stat_fd[i] >= 0)
                        close(cg->stat_fd[i]);
        cg->stat_open = false;
}

static void kill_procs(const char *dir) {
        char path[4096];
        for (int round = 0; round < 50; round++) {
                _cleanup_free_ char *text = NULL;
                snprintf(path, sizeof path, "%s/cgroup.procs", dir);
                if (fd_read_file(path, 1 << 20, &text, NULL) < 0 || !*text)
                        return;
                for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
                        long pid = strtol(line, NULL, 10);
                        if (pid > 1)
                                kill((pid_t)pid, SIGKILL);
                }
                struct timespec ts = {0, 2 * 1000 * 1000};
                nanosleep(&ts, NULL);
        }
}

static void remove_dir(const char *dir) {
        /* Usually the run's init is gone and took its pid namespace with
         * it: the cgroup is empty and one rmdir is enough. */
        if (rmdir(dir) == 0 || errno == ENOENT)
                return;
        if (write_value(dir, "cgroup.kill", "1") < 0) /* v2, kernel 5.14+ */
                kill_procs(dir);
        for (int i = 0; i < 200; i++) {
                if (rmdir(dir) == 0 || errno == ENOENT)
                        return;
                if (errno != EBUSY)
                        return;
                kill_procs(dir);
                struct timespec ts = {0, 5 * 1000 * 1000};
                nanosleep(&ts, NULL);
        }
}

/* The owner's pid in the name of a cgroup that ward made ("ward-<pid>-<n>",
 * see next_name), or -1 for any other name. Strict: the whole name must
 * match, each number in range. */
static pid_t name_owner(const char *name) {
        if (strncmp(name, "ward-", 5) != 0)
                return -1;
        const char *start = name + 5, *dash = strchr(start, '-');
        char pid[16];
        uint64_t owner, n;
        if (!dash || dash == start || (size_t)(dash - start) >= sizeof pid)
                return -1;
        memcpy(pid, start, (size_t)(dash - start));
        pid[dash - start] = '\0';
        if (parse_uint64(pid, 1, INT32_MAX, &owner) < 0 || parse_uint64(dash + 1, 0, UINT32_MAX, &n) < 0)
                return -1;
        return (pid_t)owner;
}

/* Removes ward-<pid>-* cgroups whose owner is no longer alive. */
static void reap_stale(const char *parent) {
        DIR *d = opendir(parent);
        if (!d)
                return;
        struct dirent *de;
        while ((de = readdir(d))) {
                pid_t owner = name_owner(de->d_name);
                if (owner <= 0 || (kill(owner, 0) == 0 || errno == EPERM))
                        continue;
                char path[4096];
                snprintf(path, sizeof path, "%s/%s", parent, de->d_name);
                remove_dir(path);
        }
        closedir(d);
}

void cgroup_reap_stale(void) {
        _cleanup_free_ char *proc_cgroup = NULL, *mountinfo = NULL;
        int v = cgroup_detect_version();
        if (v == 0 || fd_read_file("/proc/self/cgroup", WARD_PROC_FILE_MAX, &proc_cgroup, NULL) < 0 ||
            (v == 1 && fd_read_file("/proc/self/mountinfo", WARD_PROC_FILE_MAX, &mountinfo, NULL) < 0))
                return;
        /* v2: the one hierarchy; v1: each controller's (co-mounted ones
         * twice, which finds nothing the second time). */
        for (int i = 0; i < (v == 1 ? V1_N : 1); i++) {
                _cleanup_free_ char *mnt = NULL, *self = NULL;
                if (cgroup_self_path(proc_cgroup, v == 1 ? v1_names[i] : NULL, &self) < 0 ||
                    (v == 1 && cgroup_v1_mount(mountinfo, v1_names[i], &mnt) < 0))
                        continue;
                char parent[4096];
                snprintf(parent, sizeof parent, "%s%s", v == 1 ? mnt : "/sys/fs/cgroup",
                         strcmp(self, "/") == 0 ? "" : self);
                reap_stale(parent);
        }
}

static int next_name(char *buf, size_t len) {
        static unsigned counter;
        return snprintf(buf, len, "ward-%ld-%u", (long)getpid(), ++counter) < (int)len ? 0 : -ENAMETOOLONG;
}

/* v1: the lowest CPU quota of dir's ancestors, per WARD_CPU_PERIOD_US
 * (UINT64_MAX: none). Each level's cpu.cfs_quota_us is -1 when it sets
 * none; above the hierarchy's root there is no such file. */
static uint64_t v1_ancestor_rate(const char *dir) {
        char path[4096];
        uint64_t least = UINT64_MAX;
        snprintf(path, sizeof path, "%s", dir);
        for (int depth = 0; depth < 64; depth++) {
                char *slash = strrchr(path, '/');
                if (!slash || slash == path)
                        break;
                *slash = '\0';
                _cleanup_free_ char *q = NULL, *per = NULL;
                char file[4096 + 32];
                snprintf(file, sizeof file, "%s/cpu.cfs_quota_us", path);
                if (fd_read_file(file, 64, &q, NULL) < 0)
                        break;
                snprintf(file, sizeof file, "%s/cpu.cfs_period_us", path);
                uint64_t quota, period;
                if (q[0] == '-' || parse_u64_text(q, &quota) < 0 || fd_read_file(file, 64, &per, NULL) < 0 ||
                    parse_u64_text(per, &period) < 0 || period == 0)
                        continue;
                uint64_t rate = quota * WARD_CPU_PERIOD_US / period;
                if (rate < least)
                        least = rate;
        }
        return least;
}

/* CPU bandwidth: at most rate_milli thousandths of a core, as a quota of
 * CPU time per period of WARD_CPU_PERIOD_US. Cgroups cap the rate, not
 * the total: a process a session leaves running between cells cannot
 * take more than this while the supervisor's reads of the usage catch up
 * with it. */
static int set_cpu_rate(cgroup *cg, const char *dir, uint64_t rate_milli, ward_error *err) {
        uint64_t quota = rate_milli * WARD_CPU_PERIOD_US / 1000;
        char v[64];
        int r;
        if (cg->version == 2) {
                snprintf(v, sizeof v, "%" PRIu64 " %u", quota, WARD_CPU_PERIOD_US);
                if ((r = write_value(dir, "cpu.max", v)) < 0)
                        return err_set(err, r, "cgroup v2: cpu.max: %s", strerror(-r));
        } else {
                /* The period first: the quota is checked against it. */
                snprintf(v, sizeof v, "%u", WARD_CPU_PERIOD_US);
                if ((r = write_value(dir, "cpu.cfs_period_us", v)) < 0)
                        return err_set(err, r, "cgroup v1: cpu.cfs_period_us: %s", strerror(-r));
                snprintf(v, sizeof v, "%" PRIu64, quota);
                r = write_value(dir, "cpu.cfs_quota_us", v);
                /* v1 refuses a quota above an ancestor's (ward inside a
                 * container given fewer cores): that one caps the run
                 * already, harder than asked. */
                if (r == -EINVAL && v1_ancestor_rate(dir) <= quota)
                        r = 0;
                if (r < 0)
                        return err_set(err, r, "cgroup v1: cpu.cfs_quota_us: %s", strerror(-r));
        }
        cg->cpu_rate = true;
        return 0;
}

static int create_v2(cgroup *cg, const policy *p, ward_error *err) {
        _cleanup_free_ char *self = NULL, *proc_cgroup = NULL;
        int r = fd_read_file("/proc/self/cgroup", WARD_PROC_FILE_MAX, &proc_cgroup, NULL);
        if (r >= 0)
                r = cgroup_self_path(proc_cgroup, NULL, &self);
        if (r < 0)
                return err_set(err, r, "cgroup v2: cannot find this process's cgroup: %s", strerror(-r));
        char parent[4096], name[64], leaf[64];
        // NOLINTNEXTLINE(clang-analyzer-unix.Malloc): self is freed by _cleanup_free_, which the analyzer does not model
        snprintf(parent, sizeof parent, "/sys/fs/cgroup%s", strcmp(self, "/") == 0 ? "" : self);
        /* Already moved into our own leaf by an earlier run of this process
         * (below): the runs' cgroups go next to it. */
        snprintf(leaf, sizeof leaf, "/ward-%ld-0", (long)getpid());
        size_t plen = strlen(parent), llen = strlen(leaf);
        if (plen > llen && strcmp(parent + plen - llen, leaf) == 0)
                parent[plen - llen] = '\0';
        reap_stale(parent);
        /* The controllers must be enabled for children of our cgroup. That
         * fails with EBUSY while the cgroup itself holds processes (v2's
         * "no internal processes" rule; the root is exempt): ward, started
         * alone in a delegated cgroup, then moves into a leaf of its own,
         * ward-<pid>-0, as a service manager would, and tries again. */
        r = write_value(parent, "cgroup.subtree_control", "+memory +pids +cpu");
        if (r == -EBUSY) {
                char path[4096 + 64];
                snprintf(path, sizeof path, "%s%s", parent, leaf);
                if (mkdir(path, 0755) == 0 || errno == EEXIST) {
                        if (write_value(path, "cgroup.procs", "0") == 0)
                                r = write_value(parent, "cgroup.subtree_control", "+memory +pids +cpu");
                }
                if (r == -EBUSY)
                        return err_set(err, r,
                                       "cgroup v2: %s holds other processes than ward, so it cannot hold the runs' "
                                       "cgroups too; start ward in a cgroup of its own, e.g. with systemd-run "
                                       "--user --scope -p Delegate=yes",
                                       parent);
        }
        if (r < 0)
                return err_set(err, r,
                               "cgroup v2: cannot enable memory, pids and cpu controllers in %s: %s "
                               "(run ward in a delegated cgroup, e.g. systemd-run --user --scope -p Delegate=yes)",
                               parent, strerror(-r));
        if ((r = next_name(name, sizeof name)) < 0)
                return err_set(err, r, "cgroup name");
        if (asprintf(&cg->dir[0], "%s/%s", parent, name) < 0)
                return -ENOMEM;
        if (mkdir(cg->dir[0], 0755) < 0) {
                r = -errno;
                free(cg->dir[0]);
                cg->dir[0] = NULL;
                return err_set(err, r, "cgroup v2: mkdir in %s: %s", parent, strerror(-r));
        }
        cg->version = 2;
        char v[32];
        snprintf(v, sizeof v, "%" PRIu64, p->memory);
        if ((r = write_value(cg->dir[0], "memory.max", v)) < 0)
                return err_set(err, r, "cgroup v2: memory.max: %s", strerror(-r));
        (void)write_value(cg->dir[0], "memory.swap.max", "0"); /* absent without swap accounting */
        (void)write_value(cg->dir[0], "memory.oom.group", "1");
        cg->memory = true;
        snprintf(v, sizeof v, "%" PRIu64, p->pids);
        if ((r = write_value(cg->dir[0], "pids.max", v)) < 0)
                return err_set(err, r, "cgroup v2: pids.max: %s", strerror(-r));
        cg->pids = true;
        return set_cpu_rate(cg, cg->dir[0], p->cpu_rate_milli, err);
}

static int create_v1(cgroup *cg, const policy *p, ward_error *err) {
        char name[64];
        _cleanup_free_ char *proc_cgroup = NULL, *mountinfo = NULL;
        int r = next_name(name, sizeof name);
        if (r < 0)
                return err_set(err, r, "cgroup name");
        if ((r = fd_read_file("/proc/self/cgroup", WARD_PROC_FILE_MAX, &proc_cgroup, NULL)) < 0 ||
            (r = fd_read_file("/proc/self/mountinfo", WARD_PROC_FILE_MAX, &mountinfo, NULL)) < 0)
                return err_set(err, r, "cgroup v1: cannot read /proc/self: %s", strerror(-r));
        cg->version = 1;
        for (int i = 0; i < V1_N; i++) {
                _cleanup_free_ char *mnt = NULL, *self = NULL;
                if ((r = cgroup_v1_mount(mountinfo, v1_names[i], &mnt)) < 0)
                        return err_set(err, r, "cgroup v1: the %s controller is not mounted", v1_names[i]);
                if ((r = cgroup_self_path(proc_cgroup, v1_names[i], &self)) < 0) {
                        // NOLINTNEXTLINE(clang-analyzer-unix.Malloc): mnt is freed by _cleanup_free_, which the analyzer does not model
                        return err_set(err, r, "cgroup v1: cannot find this process's %s cgroup", v1_names[i]);
                }
                char parent[4096];
                // NOLINTNEXTLINE(clang-analyzer-unix.Malloc): self is freed by _cleanup_free_, which the analyzer does not model
                snprintf(parent, sizeof parent, "%s%s", mnt, strcmp(self, "/") == 0 ? "" : self);
                /* cpu and cpuacct may be co-mounted: one directory serves both. */
                for (int j = 0; j < i; j++) {
                        size_t plen = strlen(parent);
                        if (cg->dir[j] && strncmp(cg->dir[j], parent, plen) == 0 && cg->dir[j][plen] == '/') {
                                if (!(cg->dir[i] = strdup(cg->dir[j])))
                                        return -ENOMEM;
                                break;
                        }
                }
                if (cg->dir[i])
                        continue;
                reap_stale(parent);
                if (asprintf(&cg->dir[i], "%s/%s", parent, name) < 0) {
                        cg->dir[i] = NULL;
                        return -ENOMEM;
                }
                if (mkdir(cg->dir[i], 0755) < 0) {
                        r = -errno;
                        free(cg->dir[i]);
                        cg->dir[i] = NULL;
                        return err_set(err, r, "cgroup v1: mkdir in %s: %s", parent, strerror(-r));
                }
        }
        char v[32];
        snprintf(v, sizeof v, "%" PRIu64, p->memory);
        if ((r = write_value(cg->dir[V1_MEMORY], "memory.limit_in_bytes", v)) < 0)
                return err_set(err, r, "cgroup v1: memory.limit_in_bytes: %s", strerror(-r));
        /* With swap accounting, memsw caps memory and swap together: the
         * same value means no swap at all. */
        (void)write_value(cg->dir[V1_MEMORY], "memory.memsw.limit_in_bytes", v);
        cg->memory = true;
        snprintf(v, sizeof v, "%" PRIu64, p->pids);
        if ((r = write_value(cg->dir[V1_PIDS], "pids.max", v)) < 0)
                return err_set(err, r, "cgroup v1: pids.max: %s", strerror(-r));
        cg->pids = true;
        return set_cpu_rate(cg, cg->dir[V1_CPU], p->cpu_rate_milli, err);
}

int cgroup_create(cgroup *cg, const policy *p, ward_error *err) {
        memset(cg, 0, sizeof *cg);
        int v = cgroup_detect_version(), r;
        if (v == 2)
                r = create_v2(cg, p, err);
        else if (v == 1)
                r = create_v1(cg, p, err);
        else
                r = err_set(err, -ENOENT, "no cgroup hierarchy is mounted at /sys/fs/cgroup");
        if (r >= 0) {
                /* The CPU limit is ward's to enforce: its usage must be
                 * readable, from the file held open for the run. */
                uint64_t ns;
                open_stats(cg);
                if ((r = cgroup_cpu_ns(cg, &ns)) < 0)
                        r = err_set(err, r, "cgroup v%d: cannot read the CPU usage (%s): %s", cg->version,
                                    cg->version == 1 ? "cpuacct.usage" : "cpu.stat usage_usec", strerror(-r));
                cg->cpu = r >= 0;
        }
        if (r < 0)
                cgroup_destroy(cg);
        return r;
}

int cgroup_attach(const cgroup *cg, pid_t pid, ward_error *err) {
        char v[32];
        snprintf(v, sizeof v, "%ld", (long)pid);
        for (int i = 0; i < 4; i++) {
                if (!cg->dir[i] || (i > 0 && cg->version == 2))
                        continue;
                int r = write_value(cg->dir[i], "cgroup.procs", v);
                if (r < 0)
                        return err_set(err, r, "cgroup: attach to %s: %s", cg->dir[i], strerror(-r));
        }
        return 0;
}

int cgroup_join_prepare(const cgroup *cg, cgroup_join *ret, ward_error *err) {
        cgroup_join j = {.version = cg->version, .fds = {-1, -1, -1, -1}};
        char path[4096];
        for (int i = 0; i < 4; i++) {
                bool shared = false;
                for (int k = 0; k < i; k++)
                        shared |= cg->dir[k] && cg->dir[i] && strcmp(cg->dir[k], cg->dir[i]) == 0;
                if (!cg->dir[i] || shared)
                        continue;
                int fd;
                if (cg->version == 2) {
                        snprintf(path, sizeof path, "%s", cg->dir[i]);
                        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        if (fd >= 0) {
                                j.fds[j.n++] = fd;
                                snprintf(path, sizeof path, "%s/cgroup.procs", cg->dir[i]);
                                fd = open(path, O_WRONLY | O_CLOEXEC);
                        }
                } else {
                        snprintf(path, sizeof path, "%s/tasks", cg->dir[i]);
                        fd = open(path, O_WRONLY | O_CLOEXEC);
                }
                if (fd < 0) {
                        int e = errno;
                        cgroup_join_close(&j);
                        return err_set(err, -e, "cgroup: open %s: %s", path, strerror(e));
                }
                j.fds[j.n++] = fd;
                if (cg->version == 2)
                        break;
        }
        *ret = j;
        return 0;
}

int cgroup_join_self(const cgroup_join *j) {
        if (j->version == 2)
                return write(j->fds[1], "0", 1) == 1 ? 0 : -errno;
        for (unsigned i = 0; i < j->n; i++)
                if (write(j->fds[i], "0", 1) != 1)
                        return -errno;
        return 0;
}

void cgroup_join_close(cgroup_join *j) {
        for (unsigned i = 0; i < 4; i++) {
                if (j->fds[i] >= 0)
                        close(j->fds[i]);
                j->fds[i] = -1;
        }
        j->n = 0;
}

int cgroup_cpu_ns(const cgroup *cg, uint64_t *ret) {
        if (cg->version == 1)
                return stat_u64(cg, CG_STAT_CPU, ret);
        if (cg->version == 2) {
                uint64_t us;
                int r = stat_keyed(cg, CG_STAT_CPU, "usage_usec", &us);
                if (r == 0)
                        *ret = us * 1000;
                return r;
        }
        return -ENOENT;
}

void cgroup_read_stats(const cgroup *cg, cgroup_stats *st) {
        memset(st, 0, sizeof *st);
        if (cg->version == 1 || cg->version == 2) {
                (void)stat_u64(cg, CG_STAT_MEM_PEAK, &st->memory_peak);
                (void)stat_keyed(cg, CG_STAT_MEM_EVENTS, "oom_kill", &st->oom_kills);
                (void)stat_keyed(cg, CG_STAT_PIDS_EVENTS, "max", &st->pids_max_hits);
        }
        (void)cgroup_cpu_ns(cg, &st->cpu_ns);
}

void cgroup_destroy(cgroup *cg) {
        close_stats(cg);
        for (int i = 0; i < 4; i++) {
                if (!cg->dir[i])
                        continue;
                bool shared = false;
                for (int j = 0; j < i; j++)
                        shared |= cg->dir[j] && strcmp(cg->dir[j], cg->dir[i]) == 0;
                if (!shared)
                        remove_dir(cg->dir[i]);
        }
        for (int i = 0; i < 4; i++)
                free(cg->dir[i]);
        memset(cg, 0, sizeof *cg);
}
