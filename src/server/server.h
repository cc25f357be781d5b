/* ward serve's parent, inside: the state its files share.
 *
 * parent.c is the loop and the host processes, tenants.c the config and
 * its tenants, pool.c the warm pool, ops.c the table that admits each
 * request from the front, handlers.c the operations themselves. Nothing
 * outside src/server/ includes this header. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "basic/digest.h"
#include "basic/error.h"
#include "exec/lang.h"
#include "policy/policy.h"
#include "server/frame.h"
#include "server/ops.h"
#include "server/parent.h"

#define RUNS_PER_MINUTE_DEFAULT 600u /* a configured tenant's, unless its quotas say */
#define RUNS_PER_MINUTE_LOCAL 60000u /* the local tenant's: runs at once bound it first */
/* A configured tenant's sessions and runs at once, unless its quotas say:
 * this fraction of the server's (--max-sessions, --max-runs), at least 1,
 * so that no one tenant takes every slot by default. */
#define TENANT_SHARE_DIVISOR 4u
#define HOST_END_GRACE_MS 5000
#define POOL_REFILL_DELAY_MS 20

/* What /metrics counts, for the whole server and for each tenant. */
typedef struct counters {
        uint64_t runs_total, runs_failed, sessions_total, cells_total, requests_total, rejected_total;
        uint64_t run_ms_sum;
} counters;

/* Adds n to a counter of the server's and of the tenant's. */
#define COUNT_ADD(s, t, field, n)        \
        do {                             \
                (s)->count.field += (n); \
                (t)->count.field += (n); \
        } while (0)

/* A tenant is its name and its token together: sessions, runs and counts
 * belong to both, so that a reload that removes a tenant, renames it or
 * gives its name another token hands nothing of the old one on. */
typedef struct tenant {
        char *name;
        char token_sha256[DIGEST_HEX_LEN]; /* "" for the local tenant */
        unsigned max_sessions, max_runs, runs_per_minute;
        bool admin; /* /metrics shows it the whole server's (the local tenant's too) */
        /* use */
        unsigned sessions, runs;
        uint64_t window_start_ms;
        unsigned window_runs; /* runs, cells and sessions started in the window */
        counters count;
} tenant;

typedef struct config {
        tenant *tenants;
        size_t n_tenants;
        bool tokens_required;
        policy tier;
} config;

typedef enum { HOST_RUN, HOST_SESSION, HOST_POOL } host_kind;

typedef struct host {
        host_kind kind;
        pid_t pid;
        int pidfd;
        int fd;
        frame_reader rd;
        char *tenant;    /* the tenant's name (a reload may replace the table) */
        uint64_t req_id; /* the front's request in progress; 0: none */
        bool creating;   /* the session's start is that request */
        bool cancelled;  /* the request in progress was cancelled: its answer is near */
        /* With the name, the tenant's token's hash: whose the host is. */
        char tenant_sha256[DIGEST_HEX_LEN];
        /* One cell that came while a cancelled cell ends: sent once that
         * one has answered, rather than refused as busy. */
        uint64_t next_id;
        char *next_text;
        bool warm; /* a pool host that said it is ready */
        bool ending;
        uint64_t end_sent_ms;
        /* sessions */
        char id[32];
        char language[16];
        uint64_t created_ms, last_used_ms; /* CLOCK_REALTIME ms */
        uint64_t idle_timeout_ms, max_lifetime_ms;
        uint64_t execution_count;
        uint64_t started_mono_ms;
} host;

typedef struct server {
        const serve_opts *o;
        config cfg;
        int listen_fd;
        char front_path[WARD_PATH_MAX]; /* ward-front */
        int tls_fds[2];                 /* --tls-cert, --tls-key, for the front; -1 without */
        int audit_fd;                   /* -1: no audit log */
        int front_fd;
        pid_t front_pid;
        int front_pidfd;
        frame_reader front_rd;
        host **hosts;
        size_t n_hosts, cap_hosts;
        bool draining;
        policy pool_policy;
        uint64_t pool_backoff_until[LANG_MAX]; /* per pooled language: its warm sandboxes fail to start */
        uint64_t refill_at;                    /* when to top the pool up (0: no need known) */
        /* metrics */
        uint64_t pool_hits, pool_misses;
        counters count;
} server;

/* tenants.c: the config file, the tenants and their quotas. */
int config_load(const serve_opts *o, bool loopback, config *ret, ward_error *err);
void config_free(config *c);
/* The tenant a host belongs to: the same name and the same token; NULL
 * when the config no longer has it. */
tenant *tenant_of_host(server *s, const host *h);
bool tenant_owns(const tenant *t, const host *h);
/* Makes the host the tenant's (after host_spawn or pool_hand_over). */
void tenant_take_host(const tenant *t, host *h);
/* SIGHUP: the new config c replaces the server's. Use and counts carry
 * over to a tenant with the same name and token; the sessions of a
 * tenant that is gone (removed, renamed, or its token changed) are ended
 * and its runs stopped. */
void config_replace(server *s, config *c);
/* The tenant a token names (the local tenant when none is required);
 * NULL for none. */
tenant *tenant_authenticate(server *s, const char *token);
/* Whether the tenant may start another run, cell or session this minute. */
bool tenant_rate_ok(tenant *t);
/* Seconds until the tenant's minute ends (for Retry-After). */
unsigned tenant_rate_retry_s(const tenant *t);

/* parent.c: host processes. */
typedef int (*host_fn)(int fd, void *arg);
/* Forks a host process; in the child, fn runs and the process exits. */
host *host_spawn(server *s, host_kind kind, const char *tenant_name, host_fn fn, void *arg);
/* Asks a host to end (a TERM follows if it does not). */
void host_end(host *h);
size_t hosts_count(const server *s, host_kind kind);
/* The tenant's session with this id; another tenant's is as unknown as a
 * missing one. */
host *host_find_session(server *s, const char *id, const tenant *t);

/* pool.c: warm sandboxes. */
void pool_refill(server *s);
void pool_schedule_refill(server *s);
host *pool_take(server *s, const char *language);
/* Hands a taken warm sandbox its one piece of work (msg, which it
 * steals) as request id of the tenant: it is a host of `kind` from then
 * on. NULL when it could not take it (it is ended then). */
host *pool_hand_over(server *s, host *h, uint64_t id, json_t *msg, const char *tenant_name, host_kind kind);
size_t pool_count(const server *s, bool warm);
/* A warm sandbox of this language could not start: no more for a while. */
void pool_start_failed(server *s, const char *language);

/* handlers.c: the operations (their rows are in ops.c). */
/* Runs the request's handler. */
void op_dispatch(server *s, const op_request *r, tenant *t);
void op_health(server *s, const op_request *r, tenant *t);
void op_metrics(server *s, const op_request *r, tenant *t);
void op_run(server *s, const op_request *r, tenant *t);
void op_session_create(server *s, const op_request *r, tenant *t);
void op_session_list(server *s, const op_request *r, tenant *t);
void op_session_get(server *s, const op_request *r, tenant *t);
void op_session_delete(server *s, const op_request *r, tenant *t);
/* cell and file.*: checked, then handed to the session's host. */
void op_session_forward(server *s, const op_request *r, tenant *t);
/* The session's state as the API shows it. */
json_t *session_json(const server *s, const host *h);
/* The cell that waited for a cancelled one goes to the host now. */
void session_send_next(server *s, host *h);
