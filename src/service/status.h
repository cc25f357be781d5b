/* How a run or a cell ended, in words for people: one sentence per status,
 * the same whichever face shows it (`ward run`'s "ward: ..." line on
 * stderr, the text of an MCP tool result). The statuses themselves are the
 * result document's (supervise/result.h, exec/session.c). */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Declared, not included: a face that only has documents (mcp/) needs
 * none of supervise/'s types. */
struct policy;
struct result;

typedef struct status_facts {
        const char *status; /* as in the result document: "timeout", "network_limit", ... */
        int exit_code;      /* -1 when none */
        int signal;         /* 0 when none */
        const char *limit;  /* the first "limit" event's name (wall_time, network_bytes_in, ...), or NULL */
        uint64_t value;     /* that limit's value (ms, bytes, a count); 0 when not known */
        const char *detail; /* with "error": what failed, or NULL */
} status_facts;

/* The facts of a finished run, with the limits' values from its policy.
 * The strings point into r: it must outlive *ret. */
void status_facts_from_result(const struct result *r, const struct policy *p, status_facts *ret);
/* The facts a result or cell document gives (no limit values: a document
 * does not carry its policy). The strings point into doc. */
void status_facts_from_doc(const json_t *doc, status_facts *ret);

/* One sentence, starting with the status's name and without a face's
 * prefix: "timeout: the wall-time limit (1000ms) ended the run". With
 * "error" and a detail, the detail itself. */
void status_text(const status_facts *f, char *out, size_t len);
