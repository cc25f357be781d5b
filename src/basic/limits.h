/* Named caps on everything a user controls.
 *
 * Every buffer that holds outside input has its bound here, in one place,
 * so that a reviewer can see at a glance how much a request may cost. */
#pragma once

#define WARD_POLICY_FILE_MAX (256u * 1024u)        /* bytes of a policy file */
#define WARD_CODE_MAX (16u * 1024u * 1024u)        /* bytes of code from -c, FILE or - */
#define WARD_ARGV_MAX 1024u                        /* arguments of the sandboxed command */
#define WARD_ENV_MAX 256u                          /* --env entries */
#define WARD_ENV_ENTRY_MAX (64u * 1024u)           /* bytes of one NAME=VALUE */
#define WARD_MOUNTS_MAX 64u                        /* extra --ro/--rw binds */
#define WARD_PATH_MAX 4096u                        /* bytes of a path */
#define WARD_ERROR_MAX 512u                        /* bytes of an error message */
#define WARD_EVENTS_MAX 512u                       /* distinct audit events kept per run */
#define WARD_OUTPUT_MAX (1024ull * 1024 * 1024)    /* the largest --output a policy may ask */
#define WARD_OUTPUT_COPY_FILES_MAX 10000u          /* files copied out of /output */
#define WARD_POLICY_TEXT_MAX (16u * 1024u * 1024u) /* a policy's canonical JSON */
#define WARD_PROC_FILE_MAX (1024u * 1024u)         /* bytes read of /proc/self/{cgroup,mountinfo} */

/* Ranges policy values must fall in. */
#define WARD_MEMORY_MIN (4ull << 20)
#define WARD_MEMORY_MAX (1ull << 40)
#define WARD_PIDS_MIN 1u
#define WARD_PIDS_MAX 65536u
#define WARD_TIME_MIN_MS 1ull
#define WARD_TIME_MAX_MS (24ull * 3600 * 1000)
#define WARD_DISK_MIN (64ull << 10)
#define WARD_DISK_MAX (1ull << 40)
#define WARD_FILE_SIZE_MAX (1ull << 40)
#define WARD_VIOLATIONS_MAX 1000000u

/* Sandbox identity. */
#define WARD_SANDBOX_UID 1000u
#define WARD_SANDBOX_GID 1000u
#define WARD_SANDBOX_HOME "/home/user"
#define WARD_SANDBOX_HOSTNAME "ward"
/* The program's RLIMIT_NOFILE, soft and hard: it can never hold fd
 * WARD_SETUP_FD, the one number seccomp lets sendmsg() use unmediated with
 * the network allowlist (the setup socket that carries the seccomp
 * listener to ward, before execve). */
#define WARD_SANDBOX_NOFILE 4096u
#define WARD_SETUP_FD 4096
/* Where a session's REPL driver finds its control socket. */
#define WARD_CTL_FD 100
/* A cell's audit line beyond its outputs: results, error, file changes. */
#define WARD_DRIVER_AUDIT_SLACK (1024u * 1024u)
#define WARD_DRIVER_MSG_MAX (64u * 1024u * 1024u) /* bytes of one line from a REPL driver */
#define WARD_FILES_LIST_MAX 10000u                /* entries a file listing or a cell's change list walks */

/* Network allowlist: defaults and the most a policy may ask. */
#define WARD_NET_CONNECTIONS_DEFAULT 256u
#define WARD_NET_CONNECTIONS_MAX 65536u
#define WARD_NET_BYTES_OUT_DEFAULT (256ull << 20)
#define WARD_NET_BYTES_IN_DEFAULT (1ull << 30)
#define WARD_NET_BYTES_MAX (1ull << 40)
