/* ward serve's parent: the privileged process. It owns the listening
 * socket, forks the unprivileged front (front.c) and one host process per
 * run or session (host.c), and is the only one that decides: who a token
 * is, what a tenant may ask, which session is whose. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "basic/error.h"
#include "policy/policy.h"

typedef struct serve_opts {
        const char *listen;      /* "127.0.0.1:8080" */
        const char *config_path; /* NULL: one local tenant, no token */
        const char *audit_path;  /* NULL: no audit log */
        unsigned max_sessions;   /* whole server */
        unsigned max_runs;       /* at once, whole server */
        unsigned pool;           /* warm sandboxes kept per language */
} serve_opts;

/* Runs the server until SIGTERM/SIGINT (drained) or the front's end.
 * Returns the process exit status; a setup error is printed first. */
int serve_main(const serve_opts *o, ward_error *err);
