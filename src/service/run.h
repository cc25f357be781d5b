/* The service: the operations every face of ward reaches through one API
 * (ward run, ward serve's host processes and so ward mcp, and the faces to
 * come). A face turns its input into these requests and renders what
 * comes back; what a run is, how files are placed and how the audit
 * record is made is written here once.
 *
 * run.c: one-shot runs, cold or on a started (warm) session's sandbox.
 * session.c: a session's files, and a cell with its audit record.
 * audit.c: the audit record of a run or a cell, with its digests.
 * status.c: the words for a result's status, for people. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "basic/error.h"
#include "exec/session.h"
#include "policy/policy.h"
#include "supervise/result.h"

/* A file placed in the sandbox's work dir before the code runs. */
typedef struct service_file {
        char *path; /* relative to the work dir */
        char *data;
        size_t len;
} service_file;

typedef struct service_run_req {
        const policy *policy;
        const char *language; /* NULL or "": argv is the command */
        char *const *argv;    /* the command, or the script's arguments after the language's own */
        size_t argc;
        const char *code; /* with a language */
        size_t code_len;
        const service_file *files; /* need via_driver */
        size_t n_files;
        const char *stdin_data; /* the program's stdin, or */
        size_t stdin_len;
        int stdin_fd;             /* copied to it as it is read; -1: none */
        int stdout_fd, stderr_fd; /* output mirrored here as it comes; -1: kept only */
        /* Output as it comes (stream 1 or 2), besides keeping it. */
        void (*on_output)(void *ctx, int stream, const char *data, size_t len);
        void *ctx;
        /* Runs the code through its language's REPL driver in a session's
         * sandbox, as a warm sandbox runs it (ward serve: so that a run's
         * result does not depend on whether the pool served it); files
         * can only be placed this way. Needs a language with a driver and
         * no stdin. */
        bool via_driver;
} service_run_req;

/* Runs rq to its end: 0 with *res filled (whatever the program did, a
 * limit, a setup failure as STATUS_ERROR), or a negative errno with err
 * saying why nothing could run (err->reason for an API: "invalid_field"
 * with the field, "unavailable" when a sandbox could not be had). res must
 * be result_init()ed by the caller. Leaves no process, cgroup or fd. */
int service_run(const service_run_req *rq, result *res, ward_error *err);

/* The same on a session already started (a warm sandbox): the files are
 * placed in its work dir, then the code runs as a script; the session is
 * spent afterwards. */
int service_run_on(session *s, const service_run_req *rq, result *res, ward_error *err);

/* Whether a request of this language, with or without stdin, can run via
 * the driver (and so on a warm sandbox). */
bool service_run_via_driver_ok(const char *language, bool has_stdin);
