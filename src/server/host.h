/* Host processes: ward serve's parent forks one per one-shot run and one
 * per session, so that each sandbox has a single-threaded supervisor of
 * its own and a crash of one touches no other. A host talks to the parent
 * in frames over one socket and exits when its work is done. */
#pragma once

#include <stdint.h>

#include "exec/session.h"
#include "server/request.h"

/* In a host process: the audit log's fd (-1: none) and the tenant its
 * lines name. */
void host_audit_init(int fd, const char *tenant);

/* How the server's messages on stderr begin: "ward serve" or "ward mcp". */
extern const char *serve_log_name;

/* One run: the result document of ward run --json as the reply to id,
 * with stdout and stderr as chunks first when stream. Returns the exit
 * status for the host process. */
int host_run(int fd, uint64_t id, const run_request *rq, bool stream);

/* A session: starts it, answers id with {"started": true} or an error,
 * then serves cell and file requests until "end" or the parent's EOF. */
int host_session(int fd, uint64_t id, const session_request *sr, const char *session_id);

/* A warm sandbox for the pool: starts a session with pool_policy, says
 * {"ready": true} (frame id 0), then waits for exactly one piece of work:
 * "script" (a one-shot run whose body is checked again against tier) or
 * "adopt" (it becomes a session), and never a second. */
int host_pool(int fd, const policy *pool_policy, const policy *tier, const char *language);
