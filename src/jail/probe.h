/* Probing the host: which of ward's protections this caller can have here,
 * and, for each one it cannot, why and what would change that.
 *
 * Every check does what `ward run` does, as far as that can be done without
 * running a sandbox: namespaces are created, the seccomp filter and a
 * landlock ruleset are loaded, each in a forked child that is always
 * reaped; the cgroup check creates the run's cgroup with the default
 * policy's limits and removes it again. Nothing here prints: ward doctor
 * (src/cli/doctor.c) renders the report. */
#pragma once

#include <stdbool.h>

/* Room for one explanation; longer ones are cut. */
#define PROBE_TEXT_MAX 768u

/* The checks, in the order they are reported. The names of the protections
 * are those of a run's "protections" (prot_name), so that what a result
 * lacks can be looked up in the report. */
enum {
        PROBE_USERNS,
        PROBE_PIDNS,
        PROBE_MOUNTNS,
        PROBE_NETNS,
        PROBE_IPCNS,
        PROBE_UTSNS,
        PROBE_CGROUPNS,
        PROBE_SECCOMP,
        PROBE_LANDLOCK,
        PROBE_CGROUP_MEMORY,
        PROBE_CGROUP_PIDS,
        PROBE_CGROUP_CPU,
        PROBE_PIDFD,
        PROBE_CLOSE_RANGE,
        PROBE_CLONE3,
        PROBE_MOUNT_API,
        PROBE_N,
};

typedef struct probe_check {
        const char *name; /* "userns", "cgroup-memory", "clone3", ... */
        bool available;
        bool required;               /* by the default policy (or by ward run itself) */
        int error;                   /* negative errno of the step that failed, else 0 */
        char detail[PROBE_TEXT_MAX]; /* what was tried and what happened */
        char hint[PROBE_TEXT_MAX];   /* what to do about it; empty when available */
} probe_check;

typedef struct probe_report {
        probe_check checks[PROBE_N];
        int cgroup_version; /* cgroup_detect_version(): 0, 1 or 2 */
        int landlock_abi;   /* landlock_abi(): < 1 unavailable */
        char kernel[65];    /* uname -r */
        bool ok;            /* every required check is available */
} probe_report;

/* Fills *ret for the calling process. Each check's outcome, failures to
 * probe included, is recorded in its entry; the return value is 0, or a
 * negative errno when the report could not be made at all. */
int probe_host(probe_report *ret);
