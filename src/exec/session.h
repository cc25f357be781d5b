/* Sessions: a long-lived jail whose program is a REPL driver (runtimes/),
 * fed cells over a control socket. Variables and files persist between
 * cells; a cell past its time is interrupted and the session goes on; a
 * driver that dies or will not stop is replaced by a fresh one, and the
 * cell's answer says so.
 *
 * A session is driven by one thread of one process (ward serve gives each
 * its own host process); nothing here is thread-safe. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/error.h"
#include "policy/policy.h"
#include "supervise/result.h"

typedef struct session session;

/* python, node, bash: the languages with a driver. */
bool session_language_ok(const char *language);
const char *session_languages(void); /* "python, node, bash", for messages */

/* Starts the jail and waits until the driver is ready. p is copied by
 * reference: it must outlive the session. Its wall_time and cpu_time are
 * the session's whole life and CPU; memory, pids and disk its limits. */
int session_start(const policy *p, const char *language, session **ret, ward_error *err);

typedef struct cell_opts {
        uint64_t wall_ms; /* this cell's wall time */
        uint64_t cpu_ms;  /* and CPU time */
        /* Output as it comes, for streaming answers (may be NULL). */
        void (*on_output)(void *ctx, int stream, const char *data, size_t len);
        void *ctx;
        /* A cell nobody waits for any more: when cancel_fd is readable,
         * cancelled(ctx) is asked, and if it says so the cell is
         * interrupted as at its time limit and answers "cancelled"
         * (cancelled NULL: nothing is watched). */
        int cancel_fd;
        bool (*cancelled)(void *ctx);
} cell_opts;

/* Runs one cell and returns its answer document (see docs/openapi.json:
 * status, stdout, stderr, results, displays, error, execution_count,
 * files_changed, wall_ms, cpu_ms, events). A negative errno only when the
 * session could not be used or restarted at all. */
int session_cell(session *s, const char *code, size_t len, const cell_opts *o, json_t **ret, ward_error *err);

/* A one-shot run on a started (warm) session: the driver runs the code as
 * a program and exits; *res is filled as ward run fills it. The session is
 * spent afterwards: session_free() it. */
int session_script(session *s, const char *code, size_t len, const cell_opts *o, result *res, ward_error *err);

/* Between cells: answers the sandbox's denied syscalls and keeps its
 * background output for the next cell. Returns at most after timeout_ms,
 * or when fd (if >= 0) is readable. false when the session died. */
bool session_idle(session *s, int fd, int timeout_ms);
/* The most CPU the session's processes may use between cells (those a
 * cell left running): past it, session_idle() ends the sandbox, and the
 * next cell starts a fresh one and says why ("restart_reason":
 * "cpu_limit"). 0: no bound but the policy's. Each cell's answer says
 * what was used since the last one ("cpu_since_last_ms"). */
void session_limit_idle_cpu(session *s, uint64_t cpu_ms);

bool session_alive(const session *s);
uint64_t session_execution_count(const session *s);
const char *session_language(const session *s);
const policy *session_policy(const session *s);
/* An O_PATH fd to the session's home directory (its work dir), for the
 * file operations in exec/files.c. */
int session_home_fd(const session *s);

/* Ends the jail and frees everything: no process, cgroup or fd is left. */
void session_free(session *s);
