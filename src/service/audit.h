/* The audit record of a run or a cell (see service/run.h): the result
 * document, the digests of the policy and of what ran, and who asked;
 * written by audit/ as one line. ward run and ward serve write the same
 * record through this one function. */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "basic/error.h"
#include "policy/policy.h"

typedef struct service_audit_rec {
        const char *kind;  /* "run", "cell"; NULL: not recorded (ward run) */
        const json_t *doc; /* the result or cell document */
        const policy *policy;
        const char *code; /* what ran: the code, or */
        size_t code_len;
        char *const *argv;   /* the command (NULL-terminated) */
        const char *tenant;  /* NULL: not recorded (ward run) */
        const char *session; /* NULL or "": none */
        size_t max_len;      /* the longest line it may be */
} service_audit_rec;

/* Appends the record to the audit log fd. Rich outputs (charts) are named
 * by their types, not copied: the log records what happened, and stays
 * bounded. 0, or a negative errno with err set. */
int service_audit(int fd, const service_audit_rec *rec, ward_error *err);
