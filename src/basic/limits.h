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
#define WARD_ERROR_FIELD_MAX 64u                   /* bytes of the input field an error names */
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
/* CPU bandwidth, in thousandths of a core: cpu.max (v2) or
 * cpu.cfs_quota_us (v1) over a period of WARD_CPU_PERIOD_US. The least is
 * the kernel's smallest quota (1 ms) in that period. */
#define WARD_CPU_RATE_DEFAULT_MILLI 1000u
#define WARD_CPU_RATE_MIN_MILLI 10u
#define WARD_CPU_RATE_MAX_MILLI (1024u * 1000u)
#define WARD_CPU_PERIOD_US 100000u

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
#define WARD_DRIVER_LINE_SLACK (64u * 1024u)      /* a line's envelope beyond the output limit */
#define WARD_CELL_BUNDLES_MAX 1000u               /* results and displays one cell may give */
#define WARD_FILES_LIST_MAX 10000u                /* entries a file listing or a cell's change list walks */
#define WARD_FILES_DEPTH_MAX 32                   /* directories deep a file listing goes */
#define WARD_LINE_MAX 1024u                       /* one line a confined process writes on stderr */

/* Network allowlist: defaults and the most a policy may ask. */
#define WARD_NET_CONNECTIONS_DEFAULT 256u
#define WARD_NET_CONNECTIONS_MAX 65536u
#define WARD_NET_BYTES_OUT_DEFAULT (256ull << 20)
#define WARD_NET_BYTES_IN_DEFAULT (1ull << 30)
#define WARD_NET_BYTES_MAX (1ull << 40)
#define NET_RULES_MAX 256u         /* rules in one list of a policy (allow or deny) */
#define NET_HOSTS_MAX 256u         /* entries of a policy's hosts map */
#define WARD_NET_NAMES_MAX 4096u   /* names one run's DNS answers give addresses to */
#define WARD_NET_RECORDS_MAX 1024u /* destinations one run's network record keeps */

/* JSON from outside (API bodies, request frames, MCP messages, a session
 * driver's lines): values and nesting, checked before jansson builds a
 * tree (basic/jsontext.h). */
#define WARD_JSON_VALUES_MAX 65536u
#define WARD_JSON_DEPTH_MAX 64u

/* ward serve: the HTTP front. */
#define WARD_API_MAX_CONNECTIONS 256u           /* concurrent client connections */
#define WARD_API_BODY_MAX (32u << 20)           /* a JSON request body: 413 above */
#define WARD_API_FILE_MAX (64ull << 20)         /* a PUT file body: 413 above */
#define WARD_API_TIMEOUT_S 60u                  /* an idle client connection */
#define WARD_API_TOKEN_MAX 512u                 /* bytes of a bearer token */
#define WARD_API_SESSION_ID_MAX 64u             /* bytes of a session id */
#define WARD_API_PEER_MAX 64u                   /* bytes of a client's address, as text */
#define WARD_API_HEADER_MEMORY (64u << 10)      /* a request's line and headers */
#define WARD_API_HEADER_VALUE_MAX 1024u         /* a header the parent asks the front to send */
#define WARD_API_CONTENT_TYPE_MAX 255u          /* a content type the parent names */
#define WARD_API_MESSAGE_MAX 256u               /* an error message the front writes itself */
#define WARD_API_ENVELOPE_MAX (16u << 10)       /* a request frame's JSON: op, token, session, path, dir, peer */
#define WARD_API_REQUEST_JSON_SLACK (64u << 10) /* parent to host: a request's JSON beyond its body's text */
#define WARD_API_REPLY_JSON_MAX (256u << 20)    /* JSON of a frame from the parent */
#define WARD_API_REPLY_BLOB_MAX (1ull << 30)    /* blob of a frame from the parent */
#define WARD_API_STREAM_QUEUE_MAX (16u << 20)   /* chunks waiting for a slow client */
#define WARD_API_BUFFERED_MAX (256ull << 20)    /* request bodies held at once, all clients: 503 above */
#define WARD_API_PARSES_MAX 4u                  /* bodies the front checks (parses) at once */
#define WARD_API_THREAD_STACK (1u << 20)        /* a connection thread's stack in the front */
#define WARD_API_FRONT_DATA_MAX (1ull << 30)    /* the front's RLIMIT_DATA: its heap, stacks, buffers */
#define WARD_API_WRITE_TIMEOUT_MS 10000         /* the parent takes none of a frame: it is gone */
#define WARD_API_REPLY_TIMEOUT_S (25u * 3600u)  /* no reply at all: longer than any run may last */
#define WARD_API_DRAIN_S 5u                     /* SIGTERM: in-flight requests may finish this long */
#define WARD_API_NOBODY 65534u                  /* the uid and gid the front drops to from root */
#define WARD_API_MAX_CONNECTIONS_MAX 4096u      /* the most --max-connections may ask */
#define WARD_API_HEADER_DEADLINE_S 30u          /* a request's line and headers, from the accept or the last answer */
#define WARD_API_BODY_DEADLINE_S 300u           /* a request's body, from the end of its headers */
#define WARD_API_DEADLINE_MAX_S 3600u           /* the most --header-deadline and --body-deadline may ask */
#define WARD_API_PER_IP_SHARE 2u                /* one client address holds at most 1/2 of the connections */
#define WARD_API_HEADERS_SHARE_NUM 3u           /* connections still sending headers: at most 3/4 of */
#define WARD_API_HEADERS_SHARE_DEN 4u           /* the connections, the oldest closed past it */
#define WARD_API_GUARD_TICK_MS 100u             /* how often the deadlines are checked */
#define WARD_API_ALLOW_HOSTS_MAX 16u            /* --allow-host names */
#define WARD_API_HOST_NAME_MAX 255u             /* bytes of one, with its port */
#define WARD_API_TLS_FILE_MAX (1u << 20)        /* bytes of --tls-cert or --tls-key */

/* ward serve: the parent, its tenants, sessions and runs. */
#define WARD_TENANTS_MAX 1024u       /* tenants in a --config file */
#define WARD_TENANT_RATE_MAX 100000u /* a tenant's runs_per_minute quota */
#define WARD_POOL_MAX 64u            /* warm sandboxes per language (--pool) */
#define WARD_RUN_FILES_MAX 256u      /* files one run request carries */
/* A tier's session bounds (its limits session_idle_timeout and
 * session_max_lifetime) unless its config says: the most a session may
 * ask, and what it gets when it asks nothing. */
#define WARD_SESSION_IDLE_DEFAULT_MS (10ull * 60 * 1000)     /* a session's idle timeout */
#define WARD_SESSION_LIFETIME_DEFAULT_MS (60ull * 60 * 1000) /* a session's lifetime */
#define WARD_SESSION_LIFETIME_MAX_MS (24ull * 3600 * 1000)   /* the longest any tier lets a session live */
/* Between cells, how often a session's CPU use is read: at most this far
 * apart, and sooner when what is left of its budget could be spent
 * sooner at its CPU rate, but never more often than the least. */
#define WARD_SESSION_IDLE_CHECK_MAX_MS 1000u
#define WARD_SESSION_IDLE_CHECK_MIN_MS 100u
#define WARD_CELL_WALL_DEFAULT_MS 30000ull /* a cell's wall time unless asked */

/* ward mcp. */
#define WARD_MCP_LINE_MAX (32u << 20)    /* one JSON-RPC message: an error above, then the next line */
#define WARD_MCP_OUT_MAX (1ull << 31)    /* one message to the client */
#define WARD_MCP_PENDING_MAX 256u        /* tool calls in flight at once */
#define WARD_MCP_SESSIONS_MAX 256u       /* sessions this client holds, ended at EOF */
#define WARD_MCP_END_WAIT_MS 10000       /* EOF: how long the sessions' ends are waited for */
#define WARD_MCP_SUMMARY_MAX 1024u       /* the policy summary in tool descriptions */
#define WARD_MCP_PROGRESS_TEXT_MAX 1000u /* output quoted in one progress notification */
