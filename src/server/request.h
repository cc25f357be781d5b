/* What the parent accepts from the front, field by field: each API body
 * becomes a typed request, or a ward_error with the reason a client sees
 * ("invalid_field", "unknown_field", "over_tier", "forbidden", "too_large",
 * "unavailable", "internal"; apierror.c gives each its HTTP status) and
 * the field at fault. Limits are applied on top of the tenant's tier and
 * may only lower it. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/limits.h"

#include "policy/policy.h"
#include "service/run.h"

typedef service_file req_file; /* a file a run places in its work dir */

typedef struct run_request {
        policy policy;
        char language[16]; /* "" with argv */
        char **argv;       /* NULL-terminated, or NULL */
        size_t argc;
        char *code;
        size_t code_len;
        req_file *files;
        size_t n_files;
        char *stdin_data;
        size_t stdin_len;
} run_request;

int request_run(const json_t *body, const policy *tier, run_request *ret, ward_error *e);
void run_request_free(run_request *r);

typedef struct session_request {
        policy policy; /* the session's limits; wall_time is its lifetime */
        char language[16];
        uint64_t idle_timeout_ms; /* within the tier's session bounds */
        uint64_t max_lifetime_ms;
        uint64_t idle_cpu_ms; /* CPU it may use between cells: the tier's per cell */
} session_request;

int request_session(const json_t *body, const policy *tier, session_request *ret, ward_error *e);

typedef struct cell_request {
        const char *code; /* borrowed from the body */
        size_t code_len;
        uint64_t wall_ms, cpu_ms;
} cell_request;

int request_cell(const json_t *body, const policy *tier, cell_request *ret, ward_error *e);

/* Whether a request's policy can run in a warm sandbox of the tier. */
bool request_pool_fits(const policy *p, const policy *tier);
/* The policy warm sandboxes start with: the tier, living as long as a
 * session may (each run and cell has its own time limits). */
int request_pool_policy(const policy *tier, policy *ret);
