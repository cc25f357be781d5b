/* The jail: the kernel concerns of one sandbox, one file each, and the
 * ordered recipe that applies them (contain.c).
 *
 * Nothing here knows about languages or results; the supervisor hands a
 * prepared jail_spec to jail_spawn() and gets back the handles it watches. */
#pragma once

#include <linux/filter.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "basic/error.h"
#include "policy/policy.h"

/* Protections, as reported in a result's "protections". */
enum {
        PROT_USERNS = 1u << 0,
        PROT_PIDNS = 1u << 1,
        PROT_MOUNTNS = 1u << 2,
        PROT_NETNS = 1u << 3,
        PROT_IPCNS = 1u << 4,
        PROT_UTSNS = 1u << 5,
        PROT_CGROUPNS = 1u << 6,
        PROT_SECCOMP = 1u << 7,
        PROT_LANDLOCK = 1u << 8,
        PROT_CGROUP_MEMORY = 1u << 9,
        PROT_CGROUP_PIDS = 1u << 10,
        PROT_CGROUP_CPU = 1u << 11,
        PROT_NO_NEW_PRIVS = 1u << 12,
        PROT_CAPS_DROPPED = 1u << 13,
        PROT_NET_NONE = 1u << 14,      /* loopback only */
        PROT_NET_ALLOWLIST = 1u << 15, /* egress only through ward's allowlist */
};
const char *prot_name(unsigned bit); /* "userns", ... */

/* ---- cgroup.c ---- */
/* The files read while and after a run, opened once when the cgroup is
 * made: a warm sandbox's answer waits for these reads (see cgroup.c). */
enum { CG_STAT_CPU, CG_STAT_MEM_PEAK, CG_STAT_MEM_EVENTS, CG_STAT_PIDS_EVENTS, CG_STAT_N };

typedef struct cgroup {
        int version;  /* 0 none, 1 or 2 */
        char *dir[4]; /* v1: memory, pids, cpuacct, cpu; v2: dir[0] */
        bool memory, pids, cpu;
        bool cpu_rate;  /* its CPU bandwidth is capped (cpu.max, cfs quota) */
        bool stat_open; /* stat_fd[] holds fds (-1 where a file is missing) */
        int stat_fd[CG_STAT_N];
} cgroup;

typedef struct cgroup_stats {
        uint64_t memory_peak;
        uint64_t oom_kills;
        uint64_t cpu_ns;
        uint64_t pids_max_hits;
} cgroup_stats;

/* Creates the run's cgroup with the policy's limits under the caller's own
 * cgroup, removing first any cgroup a dead ward run left there. */
int cgroup_create(cgroup *cg, const policy *p, ward_error *err);
/* Removes, in each hierarchy, the ward-* cgroups under the caller's own
 * cgroup whose ward is no longer alive (and kills what is left in them):
 * what cgroup_create does first, for a ward that starts without making a
 * cgroup at once (ward serve and ward mcp, whose hosts a SIGKILL of the
 * whole server left no time to clean up). */
void cgroup_reap_stale(void);
int cgroup_attach(const cgroup *cg, pid_t pid, ward_error *err);

/* How the program joins the run's cgroup without anyone migrating it from
 * outside: on v2 the init clones it straight in (CLONE_INTO_CGROUP), on v1
 * it writes "0" to each hierarchy's "tasks" file itself. The fds are
 * opened here, in ward, with its credentials, and passed to the init.
 * Moving one's own single thread skips the kernel's global threadgroup
 * lock, whose write side waits for an RCU grace period: ward writing the
 * child's pid to cgroup.procs would stall for milliseconds. */
typedef struct cgroup_join {
        int version; /* 0 (no cgroup), 1 or 2 */
        int fds[4];  /* v2: the directory, then cgroup.procs (fallback);
                        v1: "tasks" of each distinct hierarchy */
        unsigned n;
} cgroup_join;
int cgroup_join_prepare(const cgroup *cg, cgroup_join *ret, ward_error *err);
int cgroup_join_self(const cgroup_join *j); /* v1, or v2 without clone-into */
void cgroup_join_close(cgroup_join *j);
int cgroup_cpu_ns(const cgroup *cg, uint64_t *ret);
void cgroup_read_stats(const cgroup *cg, cgroup_stats *st);
void cgroup_destroy(cgroup *cg); /* kills what is left, removes the dirs */
/* Which hierarchy this host offers, for messages and ward doctor. */
int cgroup_detect_version(void);
/* From the text of /proc/self/cgroup: the caller's path in the hierarchy
 * of `controller` (NULL: the v2 one). */
int cgroup_self_path(const char *proc_cgroup, const char *controller, char **ret);
/* From the text of /proc/self/mountinfo: where a v1 controller is mounted. */
int cgroup_v1_mount(const char *mountinfo, const char *controller, char **ret);

/* ---- seccomp-rules.c (build time) and seccomp.c ---- */
/* The allowlist as libseccomp rules; denied calls go to the supervisor as
 * user notifications. seccomp-gen compiles it once, at build time. */
int seccomp_build(scmp_filter_ctx *ret, bool mediate_net, ward_error *err);
/* The BPF program libseccomp makes of ctx (malloc'd). */
int seccomp_export_program(scmp_filter_ctx ctx, struct sock_filter **ret, size_t *ret_len);
/* The compiled programs (generated seccomp-filter.c): without and with
 * network mediation. */
extern const struct sock_filter seccomp_program[];
extern const size_t seccomp_program_len;
extern const struct sock_filter seccomp_program_net[];
extern const size_t seccomp_program_net_len;
/* In the child: loads a program and returns the notification fd. */
int seccomp_install(bool mediate_net);
/* The machinery shared with ward serve's front, which builds its own
 * allowlist with libseccomp at start-up: a filter whose default action is
 * def_action and that kills a process calling through another
 * architecture's table, and each named call allowed without conditions (a
 * name this architecture lacks is skipped). */
int seccomp_filter_new(uint32_t def_action, scmp_filter_ctx *ret, ward_error *err);
int seccomp_allow_names(scmp_filter_ctx ctx, const char *const *names, size_t n, ward_error *err);

/* ---- landlock.c ---- */
int landlock_abi(void); /* < 1: unavailable */
/* In the child: read+exec everywhere, write only below the writable paths. */
int landlock_apply(int abi, const char *const *writable, size_t n, const char *const *write_files, size_t nf);
/* Every right this ABI knows handled (files, device ioctls, TCP bind and
 * connect, scopes) and no rule: no path can be opened at all. -EOPNOTSUPP
 * when abi < 1. */
int landlock_deny_all(int abi);

/* ---- caps.c ---- */
/* Empties the bounding, ambient, inheritable, permitted and effective
 * sets, and reads the last three back. A bounding capability that cannot
 * be dropped for want of CAP_SETPCAP is an error, unless ret_bounding_kept
 * is given: then *ret_bounding_kept says one stayed. */
int caps_drop_all(bool *ret_bounding_kept);
/* From root to uid/gid for good: the bounding set emptied while
 * CAP_SETPCAP is held, no supplementary groups, every id changed and
 * checked. */
int caps_drop_root(uid_t uid, gid_t gid, ward_error *err);

/* ---- userns.c ---- */
int userns_write_maps(pid_t pid, uid_t outer_uid, gid_t outer_gid, ward_error *err);
/* The namespaces a process that confines itself moves into with
 * unshare(): user, network, IPC, UTS and mount (a new pid namespace would
 * take only its children). Its ids stay unmapped: it holds the overflow
 * ids inside. Returns 0 or a negative errno. */
int userns_unshare_self(void);

/* ---- netns.c ---- */
int netns_loopback_up(void);
/* In the init, with the network allowlist: a UDP socket bound to
 * 127.0.0.1:53 (ward's resolver) and a TCP listener on 127.0.0.1 (ward's
 * relay), both in the sandbox's namespace, for ward. */
int netns_egress_sockets(int ret[2]);

/* ---- mount.c ---- */
typedef struct mount_plan {
        const policy *policy;
        const char *code; /* optional file written at /run/ward/<code_name> */
        size_t code_len;
        const char *code_name;
} mount_plan;
/* In the child: builds the root and pivots into it. *ret_scratch is an
 * O_PATH fd to the root of the writable scratch tmpfs. */
int mount_build_root(const mount_plan *plan, int *ret_scratch, ward_error *err);

/* ---- contain.c ---- */
typedef struct jail_spec {
        const policy *policy;
        char *const *argv; /* argv[0] is looked up in the sandbox PATH */
        char *const *envp;
        const char *code; /* optional, see mount_plan */
        size_t code_len;
        const char *code_name;
        int stdio[3];     /* the child's ends of the pipes */
        int ctl_fd;       /* -1, or a session's control socket: the program
                             gets it at WARD_CTL_FD, open across execve */
        int landlock_abi; /* 0 to run without landlock */
} jail_spec;

typedef struct jail {
        pid_t pid; /* the sandbox's init, as the host sees it */
        int pidfd;
        int sock;       /* setup messages, then EOF at execve */
        int status_fd;  /* the init reports the program's wait status */
        int notify_fd;  /* seccomp user notifications */
        int scratch_fd; /* O_PATH: root of the scratch tmpfs */
        bool with_net;  /* the network allowlist: the two below */
        int dns_fd;     /* UDP 127.0.0.1:53 in the sandbox's namespace */
        int relay_fd;   /* a TCP listener there, for relayed connections */
        unsigned protections;
} jail;

/* Exit-status classes for a program that never ran. */
enum { JAIL_EXEC_NOT_FOUND = 127, JAIL_EXEC_NOT_EXECUTABLE = 126 };
/* On the status pipe instead of a wait status: the init could not give up
 * its own privileges, and killed the program. */
#define JAIL_STATUS_INIT_FAILED INT32_MIN

typedef struct jail_msg {
        int32_t kind; /* JAIL_MSG_* */
        int32_t code; /* errno, or the exit class */
        char text[400];
} jail_msg;
enum { JAIL_MSG_ERROR = 1, JAIL_MSG_EXEC_FAILED = 2 };

/* Clones the init, which starts building the sandbox's root at once. */
int jail_spawn(const jail_spec *spec, jail *ret, ward_error *err);
/* Then, while it does, ward makes the run's cgroup and hands it over
 * (cg NULL: none, the policy allows rlimit-only limits). The program is
 * started inside it. */
int jail_send_cgroup(jail *j, const cgroup *cg, ward_error *err);
/* Waits, at most timeout_ms, for the setup to finish: 0 when the program
 * is executing, or an error (setup failure, -ETIMEDOUT, or exec failure
 * with *ret_exec_class set). */
int jail_wait_started(jail *j, int timeout_ms, int *ret_exec_class, ward_error *err);
void jail_kill(jail *j);
/* jail_kill(), then waits for the init: nothing of the sandbox is left
 * (its pid namespace dies with its init). */
void jail_kill_and_reap(jail *j);
/* Sends SIGINT to the program's process group, through the init. */
int jail_interrupt(jail *j);
void jail_release(jail *j); /* closes fds; the caller has reaped the init */
/* Closes every fd but the n in keep[] (sorted here, in place; duplicates
 * and negative numbers are allowed). Returns 0 or a negative errno. */
int jail_close_fds_except(int *keep, size_t n);

/* Lets the sandbox's init wipe ward's argv and environment from its memory,
 * so that /proc/1/cmdline and /proc/1/environ show nothing of the caller. */
void jail_set_process_memory(int argc, char **argv);
