/* ward serve's parent: the privileged process. It owns the listening
 * socket, forks the unprivileged front (front.c) and one host process per
 * run or session (host.c), and is the only one that decides: who a token
 * is, what a tenant may ask, which session is whose. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "basic/error.h"
#include "basic/limits.h"
#include "policy/policy.h"

typedef struct serve_opts {
        const char *listen;      /* "127.0.0.1:8080" */
        const char *config_path; /* NULL: one local tenant, no token */
        const char *audit_path;  /* NULL: no audit log */
        unsigned max_sessions;   /* whole server */
        unsigned max_runs;       /* at once, whole server */
        unsigned pool;           /* warm sandboxes kept per language */
        const char *tier_path;   /* a policy file for the local tenant's tier (no config) */
        /* The face. NULL: HTTP on `listen` (front.c). Otherwise a function
         * run in the front process with the parent's socket, stdin and
         * stdout (ward mcp's); it returns the process's exit status. */
        int (*front_fn)(int parent_fd, void *ctx);
        void *front_ctx;
        const char *name; /* how messages on stderr begin; NULL: "ward serve" */
        /* The HTTP front's screening and TLS (front-guard.c, front.h); 0
         * and NULL: the defaults, plain HTTP. */
        unsigned max_connections;
        unsigned header_deadline_s, body_deadline_s;
        const char *allow_hosts[WARD_API_ALLOW_HOSTS_MAX];
        unsigned n_allow_hosts;
        const char *tls_cert, *tls_key; /* PEM files, both or neither */
        bool insecure_http;             /* a non-loopback --listen without TLS */
} serve_opts;

/* Runs the server until SIGTERM/SIGINT (drained) or the front's end.
 * Returns the process exit status; a setup error is printed first. */
int serve_main(const serve_opts *o, ward_error *err);
