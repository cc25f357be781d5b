/* The operations of ward serve, one function each, as ops.c's table
 * names them: each gets a request whose fields the table has checked and
 * the tenant its token named. Runs and sessions become host processes
 * (parent.c) or take a warm sandbox (pool.c); cells and file operations
 * are handed to their session's host. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "basic/cleanup.h"
#include "basic/clock.h"
#include "exec/files.h"
#include "exec/session.h"
#include "server/host.h"
#include "server/reply.h"
#include "server/request.h"
#include "server/server.h"
#include "service/run.h"

static json_t *rfc3339(uint64_t ms) {
        time_t t = (time_t)(ms / 1000);
        struct tm tm;
        char out[32];
        gmtime_r(&t, &tm);
        strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
        return json_string(out);
}

typedef struct run_arg {
        uint64_t id;
        const run_request *rq;
        bool stream;
} run_arg;

static int run_host_main(int fd, void *arg) {
        run_arg *a = arg;
        return host_run(fd, a->id, a->rq, a->stream);
}

typedef struct session_arg {
        uint64_t id;
        const session_request *sr;
        const char *session_id;
} session_arg;

static int session_host_main(int fd, void *arg) {
        session_arg *a = arg;
        return host_session(fd, a->id, a->sr, a->session_id);
}

json_t *session_json(const server *s, const host *h) {
        const char *tier_name = s->cfg.tier.name ? s->cfg.tier.name : "default";
        uint64_t expires = h->created_ms + h->max_lifetime_ms;
        uint64_t idle_end = h->last_used_ms + h->idle_timeout_ms;
        return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:I, s:I, s:I}", "id", h->id, "language", h->language,
                         "tier", tier_name, "state", h->req_id ? "busy" : "idle", "created_at", rfc3339(h->created_ms),
                         "last_used_at", rfc3339(h->last_used_ms), "expires_at",
                         rfc3339(idle_end < expires ? idle_end : expires), "idle_timeout_ms",
                         (json_int_t)h->idle_timeout_ms, "max_lifetime_ms", (json_int_t)h->max_lifetime_ms,
                         "execution_count", (json_int_t)h->execution_count);
}

static int err_reply(server *s, tenant *t, uint64_t id, const ward_error *e) {
        COUNT_ADD(s, t, rejected_total, 1);
        return reply_ward_error(s->front_fd, id, e);
}

/* Whether the tenant may start more this minute: runs, cells and new
 * sessions count alike, each a sandbox or work in one. 429 if not. */
static bool rate_ok(server *s, uint64_t id, tenant *t) {
        if (tenant_rate_ok(t))
                return true;
        COUNT_ADD(s, t, rejected_total, 1);
        (void)reply_error(s->front_fd, id, 429, "quota", NULL, tenant_rate_retry_s(t),
                          "tenant '%s' started %u runs, cells and sessions this minute, its quota", t->name,
                          t->runs_per_minute);
        return false;
}

void op_run(server *s, const op_request *r, tenant *t) {
        uint64_t id = r->id;
        const json_t *body = r->body; /* an object: the table requires it */
        if (t->runs >= t->max_runs) {
                COUNT_ADD(s, t, rejected_total, 1);
                (void)reply_error(s->front_fd, id, 429, "quota", NULL, 1,
                                  "tenant '%s' has %u runs in progress, its quota", t->name, t->max_runs);
                return;
        }
        if (!rate_ok(s, id, t))
                return;
        if (hosts_count(s, HOST_RUN) >= s->o->max_runs) {
                COUNT_ADD(s, t, rejected_total, 1);
                (void)reply_error(s->front_fd, id, 503, "unavailable", NULL, 1, "the server is running %u runs",
                                  s->o->max_runs);
                return;
        }
        run_request rq;
        ward_error e = {0};
        if (request_run(body, &s->cfg.tier, &rq, &e) < 0) {
                (void)err_reply(s, t, id, &e);
                run_request_free(&rq);
                return;
        }
        bool stream = r->stream;
        host *h = NULL;
        bool warm_ok = service_run_via_driver_ok(rq.language, rq.stdin_data != NULL);
        if (warm_ok && request_pool_fits(&rq.policy, &s->cfg.tier) && (h = pool_take(s, rq.language)))
                h = pool_hand_over(s, h, id,
                                   json_pack("{s:s, s:O, s:b, s:s}", "op", "script", "body", body, "stream", stream,
                                             "tenant", t->name),
                                   t->name, HOST_RUN);
        if (!h) {
                if (warm_ok)
                        s->pool_misses++;
                run_arg a = {.id = id, .rq = &rq, .stream = stream};
                h = host_spawn(s, HOST_RUN, t->name, run_host_main, &a);
        }
        run_request_free(&rq);
        if (!h) {
                (void)reply_error(s->front_fd, id, 503, "unavailable", NULL, 1, "cannot start a run: %s",
                                  strerror(errno));
                return;
        }
        tenant_take_host(t, h);
        h->req_id = id;
        h->started_mono_ms = clock_mono_ms();
        t->runs++;
        t->window_runs++;
        COUNT_ADD(s, t, runs_total, 1);
}

void op_session_create(server *s, const op_request *r, tenant *t) {
        uint64_t id = r->id;
        const json_t *body = r->body; /* an object when present (the table) */
        json_t *empty = NULL;
        if (!body)
                body = empty = json_object();
        if (t->sessions >= t->max_sessions) {
                COUNT_ADD(s, t, rejected_total, 1);
                (void)reply_error(s->front_fd, id, 429, "quota", NULL, 5, "tenant '%s' has %u sessions, its quota",
                                  t->name, t->max_sessions);
                json_decref(empty);
                return;
        }
        if (!rate_ok(s, id, t)) {
                json_decref(empty);
                return;
        }
        if (hosts_count(s, HOST_SESSION) >= s->o->max_sessions) {
                COUNT_ADD(s, t, rejected_total, 1);
                (void)reply_error(s->front_fd, id, 503, "unavailable", NULL, 5, "the server holds %u sessions",
                                  s->o->max_sessions);
                json_decref(empty);
                return;
        }
        session_request sr;
        ward_error e = {0};
        int rr = request_session(body, &s->cfg.tier, &sr, &e);
        json_decref(empty);
        if (rr < 0) {
                (void)err_reply(s, t, id, &e);
                policy_free(&sr.policy);
                return;
        }
        /* The id is a capability among a tenant's sessions: 96 random
         * bits, or no session at all. */
        char sid[32];
        uint8_t rnd[12];
        if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
                policy_free(&sr.policy);
                (void)reply_error(s->front_fd, id, 503, "unavailable", NULL, 1, "no randomness for a session id");
                return;
        }
        int n = snprintf(sid, sizeof sid, "ses_");
        for (size_t i = 0; i < sizeof rnd; i++)
                n += snprintf(sid + n, sizeof sid - (size_t)n, "%02x", rnd[i]);
        host *h = NULL;
        if (request_pool_fits(&sr.policy, &s->cfg.tier) && sr.policy.output == s->cfg.tier.output &&
            (h = pool_take(s, sr.language)))
                h = pool_hand_over(s, h, id,
                                   json_pack("{s:s, s:s, s:s}", "op", "adopt", "tenant", t->name, "session", sid),
                                   t->name, HOST_SESSION);
        if (!h) {
                s->pool_misses++;
                session_arg a = {.id = id, .sr = &sr, .session_id = sid};
                h = host_spawn(s, HOST_SESSION, t->name, session_host_main, &a);
        }
        if (!h) {
                policy_free(&sr.policy);
                (void)reply_error(s->front_fd, id, 503, "unavailable", NULL, 1, "cannot start a session: %s",
                                  strerror(errno));
                return;
        }
        tenant_take_host(t, h);
        snprintf(h->id, sizeof h->id, "%s", sid);
        snprintf(h->language, sizeof h->language, "%s", sr.language);
        h->created_ms = h->last_used_ms = clock_real_ms();
        h->started_mono_ms = clock_mono_ms();
        h->idle_timeout_ms = sr.idle_timeout_ms;
        h->max_lifetime_ms = sr.max_lifetime_ms;
        h->req_id = id;
        h->creating = true;
        t->sessions++;
        t->window_runs++;
        policy_free(&sr.policy);
}

void op_session_list(server *s, const op_request *r, tenant *t) {
        uint64_t id = r->id;
        json_t *arr = json_array();
        for (size_t i = 0; i < s->n_hosts; i++) {
                host *h = s->hosts[i];
                if (h->kind == HOST_SESSION && !h->creating && !h->ending && tenant_owns(t, h))
                        json_array_append_new(arr, session_json(s, h));
        }
        (void)reply_json(s->front_fd, id, 200, json_pack("{s:o}", "sessions", arr));
}

/* A request for a session's host (text NULL: it could not be made); the
 * host is busy with it until it answers. */
static void hand_to_session(server *s, host *h, uint64_t id, const char *text, const void *blob, size_t blob_len) {
        if (!text || frame_write(h->fd, FRAME_REQUEST, id, text, strlen(text), blob, blob_len) < 0) {
                (void)reply_error(s->front_fd, id, 503, "unavailable", NULL, 1, "session %s is not answering", h->id);
                return;
        }
        h->req_id = id;
        h->cancelled = false;
        h->last_used_ms = clock_real_ms();
}

/* cell and file.*: checked here, then handed to the session's host. */
/* The tenant's session the request names, or a 404 answered. */
static host *session_of(server *s, const op_request *r, const tenant *t) {
        host *h = host_find_session(s, r->session, t);
        if (!h)
                (void)reply_error(s->front_fd, r->id, 404, "not_found", "session", 0, "no session '%s'", r->session);
        return h;
}

void op_session_get(server *s, const op_request *r, tenant *t) {
        host *h = session_of(s, r, t);
        if (h)
                (void)reply_json(s->front_fd, r->id, 200, session_json(s, h));
}

void op_session_delete(server *s, const op_request *r, tenant *t) {
        host *h = session_of(s, r, t);
        if (!h)
                return;
        json_t *info = session_json(s, h);
        json_object_set_new(info, "state", json_string("ended"));
        host_end(h);
        (void)reply_json(s->front_fd, r->id, 200, info);
}

void op_session_forward(server *s, const op_request *r, tenant *t) {
        host *h = session_of(s, r, t);
        if (!h)
                return;
        uint64_t id = r->id;
        const char *op = op_name(r->op);
        bool queue = h->req_id && h->cancelled && !h->next_id && r->op == OP_CELL;
        if (h->req_id && !queue) {
                COUNT_ADD(s, t, rejected_total, 1);
                (void)reply_error(s->front_fd, id, 409, "busy", NULL, 1, "session %s is running a cell", h->id);
                return;
        }
        json_t *fwd = NULL;
        if (r->op == OP_CELL) {
                const json_t *body = r->body; /* an object: the table requires it */
                cell_request cr;
                ward_error e = {0};
                if (!rate_ok(s, id, t))
                        return;
                if (request_cell(body, &s->cfg.tier, &cr, &e) < 0) {
                        (void)err_reply(s, t, id, &e);
                        return;
                }
                fwd = json_pack("{s:s, s:s%, s:I, s:I, s:b}", "op", "cell", "code", cr.code, cr.code_len, "wall_ms",
                                (json_int_t)cr.wall_ms, "cpu_ms", (json_int_t)cr.cpu_ms, "stream", r->stream);
                COUNT_ADD(s, t, cells_total, 1);
                t->window_runs++;
        } else {
                const char *path = r->path, *dir = r->dir;
                ward_error err = {0};
                bool list = r->op == OP_FILE_LIST;
                if (files_check_path(list ? (dir ? dir : "") : (path ? path : ""), list, &err) < 0) {
                        snprintf(err.field, sizeof err.field, "%s", list ? "dir" : "path");
                        (void)reply_ward_error(s->front_fd, id, &err);
                        return;
                }
                fwd = json_pack("{s:s, s:s?, s:s?}", "op", op, "path", path, "dir", dir);
        }
        _cleanup_free_ char *text = fwd ? json_dumps(fwd, JSON_COMPACT) : NULL;
        json_decref(fwd);
        if (queue && text) {
                h->next_id = id;
                h->next_text = TAKE_PTR(text);
                return;
        }
        hand_to_session(s, h, id, text, r->blob, r->blob_len); /* a blob: file.put's alone (the table) */
}

/* The cell that waited for a cancelled one goes to the host now. */
void session_send_next(server *s, host *h) {
        uint64_t id = h->next_id;
        _cleanup_free_ char *text = h->next_text;
        h->next_id = 0;
        h->next_text = NULL;
        if (id)
                hand_to_session(s, h, id, h->ending ? NULL : text, NULL, 0);
}

/* Hosts of this kind the tenant has now (ending ones not counted, as in
 * hosts_count). */
static size_t tenant_hosts(const server *s, const tenant *t, host_kind kind) {
        size_t n = 0;
        for (size_t i = 0; i < s->n_hosts; i++)
                n += s->hosts[i]->kind == kind && !s->hosts[i]->ending && tenant_owns(t, s->hosts[i]);
        return n;
}

/* An admin tenant (the local one, with no config) reads the whole
 * server's counters and the pool's; any other tenant the same counters of
 * its own runs, sessions, cells and requests only, and nothing of the
 * pool, which other tenants' work fills and empties. */
void op_metrics(server *s, const op_request *r, tenant *t) {
        uint64_t id = r->id;
        bool all = t->admin;
        const counters *c = all ? &s->count : &t->count;
        size_t sessions = all ? hosts_count(s, HOST_SESSION) : tenant_hosts(s, t, HOST_SESSION);
        size_t runs = all ? hosts_count(s, HOST_RUN) : tenant_hosts(s, t, HOST_RUN);
        char text[4096];
        int n = snprintf(
                text, sizeof text,
                "# HELP ward_runs_total One-shot runs started.\n# TYPE ward_runs_total counter\n"
                "ward_runs_total %" PRIu64 "\n"
                "# HELP ward_runs_failed_total Runs whose supervisor ended without an answer.\n"
                "# TYPE ward_runs_failed_total counter\nward_runs_failed_total %" PRIu64 "\n"
                "# HELP ward_run_seconds_sum Wall time of answered runs.\n# TYPE ward_run_seconds_sum counter\n"
                "ward_run_seconds_sum %.3f\n"
                "# HELP ward_sessions_total Sessions created.\n# TYPE ward_sessions_total counter\n"
                "ward_sessions_total %" PRIu64 "\n"
                "# HELP ward_sessions Sessions open now.\n# TYPE ward_sessions gauge\nward_sessions %zu\n"
                "# HELP ward_runs_in_progress Runs in progress now.\n# TYPE ward_runs_in_progress gauge\n"
                "ward_runs_in_progress %zu\n"
                "# HELP ward_cells_total Cells run.\n# TYPE ward_cells_total counter\nward_cells_total %" PRIu64 "\n"
                "# HELP ward_requests_total API requests.\n# TYPE ward_requests_total counter\n"
                "ward_requests_total %" PRIu64 "\n"
                "# HELP ward_rejected_total Requests refused (bad input, quota, capacity).\n"
                "# TYPE ward_rejected_total counter\nward_rejected_total %" PRIu64 "\n",
                c->runs_total, c->runs_failed, (double)c->run_ms_sum / 1000.0, c->sessions_total, sessions, runs,
                c->cells_total, c->requests_total, c->rejected_total);
        if (all && n > 0 && (size_t)n < sizeof text)
                n += snprintf(text + n, sizeof text - (size_t)n,
                              "# HELP ward_pool_hits_total Runs and sessions served by a warm sandbox.\n"
                              "# TYPE ward_pool_hits_total counter\nward_pool_hits_total %" PRIu64 "\n"
                              "# HELP ward_pool_misses_total Runs and sessions started cold.\n"
                              "# TYPE ward_pool_misses_total counter\nward_pool_misses_total %" PRIu64 "\n"
                              "# HELP ward_pool_warm Warm sandboxes ready and waiting.\n# TYPE ward_pool_warm gauge\n"
                              "ward_pool_warm %zu\n"
                              "# HELP ward_pool_starting Warm sandboxes still starting.\n"
                              "# TYPE ward_pool_starting gauge\nward_pool_starting %zu\n",
                              s->pool_hits, s->pool_misses, pool_count(s, true), pool_count(s, false));
        (void)reply_blob(s->front_fd, id, 200, "text/plain; version=0.0.4", text,
                         n > 0 && (size_t)n < sizeof text ? (size_t)n : 0);
}

void op_health(server *s, const op_request *r, tenant *t) {
        (void)t; /* public: asked before any token */
        (void)reply_json(s->front_fd, r->id, 200, json_pack("{s:s}", "status", s->draining ? "draining" : "ok"));
}

/* Each operation's handler, by the enum ops.c's table admits it under. */
typedef void (*op_handler)(server *s, const op_request *r, tenant *t);
static const op_handler handlers[OP__COUNT] = {
        [OP_HEALTH] = op_health,
        [OP_METRICS] = op_metrics,
        [OP_RUN] = op_run,
        [OP_SESSION_CREATE] = op_session_create,
        [OP_SESSION_LIST] = op_session_list,
        [OP_SESSION_GET] = op_session_get,
        [OP_SESSION_DELETE] = op_session_delete,
        [OP_CELL] = op_session_forward,
        [OP_FILE_PUT] = op_session_forward,
        [OP_FILE_GET] = op_session_forward,
        [OP_FILE_DELETE] = op_session_forward,
        [OP_FILE_LIST] = op_session_forward,
};

void op_dispatch(server *s, const op_request *r, tenant *t) {
        /* r->op comes from op_request_parse: below OP__COUNT, and every
         * operation has its row above (a missing one is answered, not
         * called). */
        if (r->op < OP__COUNT && handlers[r->op])
                handlers[r->op](s, r, t);
        else
                (void)reply_error(s->front_fd, r->id, 500, "internal", NULL, 0, "operation without a handler");
}
