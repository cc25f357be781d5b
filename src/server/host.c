/* Host processes (see host.h). */
#include "server/host.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "audit/audit.h"
#include "basic/fd.h"
#include "basic/limits.h"
#include "exec/files.h"
#include "exec/lang.h"
#include "server/frame.h"
#include "server/front.h"
#include "server/reply.h"
#include "service/audit.h"
#include "service/run.h"
#include "service/session.h"
#include "supervise/supervise.h"

typedef struct stream_ctx {
        int fd;
        uint64_t id;
        bool ending; /* the parent ended the session, or went away, during a cell */
} stream_ctx;

static void on_output(void *ctx, int stream, const char *data, size_t len) {
        stream_ctx *c = ctx;
        (void)reply_chunk(c->fd, c->id, stream == 1 ? "stdout" : "stderr", data, len);
}

/* The audit log, when ward serve has one: every run and every cell is a
 * line, with the tenant and the session it belongs to. */
const char *serve_log_name = "ward serve";

static int audit_fd = -1;
static char audit_tenant[72], audit_session[40];

void host_audit_init(int fd, const char *tenant) {
        audit_fd = fd;
        snprintf(audit_tenant, sizeof audit_tenant, "%s", tenant ? tenant : "");
}

static void audit_from(const json_t *m) {
        const char *t = json_string_value(json_object_get(m, "tenant"));
        const char *sid = json_string_value(json_object_get(m, "session"));
        if (t)
                snprintf(audit_tenant, sizeof audit_tenant, "%s", t);
        if (sid)
                snprintf(audit_session, sizeof audit_session, "%s", sid);
}

/* A failed audit line is said on stderr: the answer has its result, and
 * the log's writer is the one who must hear of it. */
static void audit(const json_t *doc, const char *kind, const policy *p, const char *code, size_t code_len,
                  char *const *argv, size_t max_len) {
        if (audit_fd < 0 || !doc)
                return;
        service_audit_rec rec = {
                .kind = kind,
                .doc = doc,
                .policy = p,
                .code = code,
                .code_len = code_len,
                .argv = argv,
                .tenant = audit_tenant,
                .session = audit_session,
                .max_len = max_len,
        };
        ward_error err = {0};
        if (service_audit(audit_fd, &rec, &err) < 0)
                fprintf(stderr, "%s: %s\n", serve_log_name, err.msg);
}

static int reply_result(int fd, uint64_t id, const result *res, const run_request *rq) {
        json_t *doc = result_to_json(res);
        if (!doc)
                return reply_error(fd, id, 503, "unavailable", NULL, 1, "out of memory");
        audit(doc, "run", &rq->policy, rq->code, rq->code_len, rq->argv, result_text_max(rq->policy.output) + 4096);
        return reply_json(fd, id, 200, doc);
}

/* The service's request for a run request. */
static service_run_req run_req_of(const run_request *rq, stream_ctx *sc, bool stream) {
        return (service_run_req){
                .policy = &rq->policy,
                .language = rq->language,
                .argv = rq->argv,
                .argc = rq->language[0] ? 0 : rq->argc,
                .code = rq->code,
                .code_len = rq->code_len,
                .files = rq->files,
                .n_files = rq->n_files,
                .stdin_data = rq->stdin_data,
                .stdin_len = rq->stdin_len,
                .stdin_fd = -1,
                .stdout_fd = -1,
                .stderr_fd = -1,
                .on_output = stream ? on_output : NULL,
                .ctx = sc,
                /* The same path a warm sandbox takes, and the only one
                 * that places files. */
                .via_driver = service_run_via_driver_ok(rq->language, rq->stdin_data != NULL),
        };
}

int host_run(int fd, uint64_t id, const run_request *rq, bool stream) {
        stream_ctx sc = {.fd = fd, .id = id};
        service_run_req srq = run_req_of(rq, &sc, stream);
        result res;
        result_init(&res, rq->policy.output);
        ward_error err = {0};
        int r = service_run(&srq, &res, &err) < 0 ? reply_ward_error(fd, id, &err) : reply_result(fd, id, &res, rq);
        result_free(&res);
        return r < 0 ? 1 : 0;
}

static const char *str(const json_t *o, const char *key) {
        return json_string_value(json_object_get(o, key));
}

/* During a cell the parent sends only a cancel for it (its client went
 * away) or the session's end (parent.c answers anything else with 409):
 * either stops the cell. */
static bool cell_cancelled(void *ctx) {
        stream_ctx *c = ctx;
        frame f;
        frame_caps caps = {.json_max = 4096, .blob_max = 0};
        if (frame_read(c->fd, caps, &f) < 0) {
                c->ending = true; /* the parent is gone, or broke the protocol */
                return true;
        }
        bool cancel = f.hdr.type == FRAME_CANCEL && f.hdr.id == c->id;
        if (f.hdr.type == FRAME_REQUEST) {
                json_error_t jerr;
                json_t *m = json_loadb(f.json, f.hdr.json_len, 0, &jerr);
                const char *op = str(m, "op");
                cancel = c->ending = !op || strcmp(op, "end") == 0;
                json_decref(m);
        }
        frame_free(&f);
        return cancel;
}

/* Returns false when the session is to end (see cell_cancelled). */
static bool serve_cell(int fd, uint64_t id, session *s, const json_t *m) {
        stream_ctx sc = {.fd = fd, .id = id};
        json_t *code = json_object_get(m, "code");
        cell_opts co = {
                .wall_ms = (uint64_t)json_integer_value(json_object_get(m, "wall_ms")),
                .cpu_ms = (uint64_t)json_integer_value(json_object_get(m, "cpu_ms")),
                .on_output = json_is_true(json_object_get(m, "stream")) ? on_output : NULL,
                .ctx = &sc,
                .cancel_fd = fd,
                .cancelled = cell_cancelled,
        };
        json_t *doc = NULL;
        ward_error err = {0}, audit_err = {0};
        if (!json_is_string(code) || !co.wall_ms || !co.cpu_ms) {
                (void)reply_error(fd, id, 400, "invalid_field", "code", 0, "code: missing");
                return true;
        }
        service_audit_ctx a = {.fd = audit_fd, .tenant = audit_tenant, .session = audit_session};
        if (service_cell(s, json_string_value(code), json_string_length(code), &co, &a, &doc, &audit_err, &err) < 0) {
                (void)reply_error(fd, id, 503, "unavailable", NULL, 1, "%s", err.msg);
                return !sc.ending;
        }
        /* A failed audit line is said on stderr: the answer has its
         * result, and the log's writer is the one who must hear of it. */
        if (audit_err.code)
                fprintf(stderr, "%s: %s\n", serve_log_name, audit_err.msg);
        (void)reply_json(fd, id, 200, doc);
        return !sc.ending;
}

static void serve_file(int fd, uint64_t id, session *s, const char *op, const json_t *m, const frame *f) {
        static const struct {
                const char *name;
                service_file_op op;
        } ops[] = {
                {"file.put", SERVICE_FILE_PUT},
                {"file.get", SERVICE_FILE_GET},
                {"file.delete", SERVICE_FILE_DELETE},
                {"file.list", SERVICE_FILE_LIST},
        };
        size_t k = 0;
        while (k < ELEMENTSOF(ops) && strcmp(ops[k].name, op) != 0)
                k++;
        if (k == ELEMENTSOF(ops)) {
                (void)reply_error(fd, id, 400, "invalid_field", NULL, 0, "unknown operation");
                return;
        }
        const char *path = str(m, k == SERVICE_FILE_LIST ? "dir" : "path");
        service_file_req rq = {
                .op = ops[k].op,
                .path = path,
                .data = f->blob,
                .len = f->hdr.blob_len,
                .max = WARD_API_FILE_MAX,
        };
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        json_t *list = NULL;
        ward_error err = {0};
        if (service_files(s, &rq, &data, &len, &list, &err) < 0) {
                (void)reply_ward_error(fd, id, &err);
                return;
        }
        switch (rq.op) {
        case SERVICE_FILE_PUT:
                (void)reply_json(fd, id, 201,
                                 json_pack("{s:s, s:I}", "path", path ? path : "", "size", (json_int_t)rq.len));
                break;
        case SERVICE_FILE_GET:
                (void)reply_blob(fd, id, 200, "application/octet-stream", data, len);
                break;
        case SERVICE_FILE_DELETE:
                (void)reply_json(fd, id, 204, json_null());
                break;
        case SERVICE_FILE_LIST:
                (void)reply_json(fd, id, 200, json_pack("{s:o}", "files", list));
                break;
        }
}

/* Serves cell and file requests until "end" or the parent's EOF. */
static void session_loop(int fd, session *s) {
        frame_caps caps = {.json_max = WARD_API_BODY_MAX + WARD_API_REQUEST_JSON_SLACK, .blob_max = WARD_API_FILE_MAX};
        for (;;) {
                /* The session may die between cells (a background process
                 * took the driver down): the next cell restarts it. */
                struct pollfd pf = {.fd = fd, .events = POLLIN};
                int wait_ms = session_idle(s, fd, 1000) ? 0 : 1000;
                if (poll(&pf, 1, wait_ms) <= 0)
                        continue;
                frame f;
                if (frame_read(fd, caps, &f) < 0)
                        break; /* the parent is gone, or ended us */
                if (f.hdr.type == FRAME_CANCEL) {
                        frame_free(&f); /* for a cell that has answered already */
                        continue;
                }
                json_error_t jerr;
                json_t *m = json_loads(f.json, 0, &jerr);
                const char *op = str(m, "op");
                if (!op || strcmp(op, "end") == 0) {
                        json_decref(m);
                        frame_free(&f);
                        break;
                }
                bool go_on = true;
                if (strcmp(op, "cell") == 0)
                        go_on = serve_cell(fd, f.hdr.id, s, m);
                else if (strncmp(op, "file.", 5) == 0)
                        serve_file(fd, f.hdr.id, s, op, m, &f);
                else
                        (void)reply_error(fd, f.hdr.id, 400, "invalid_field", NULL, 0, "unknown operation");
                json_decref(m);
                frame_free(&f);
                if (!go_on)
                        break;
        }
}

int host_session(int fd, uint64_t id, const session_request *sr, const char *session_id) {
        session *s = NULL;
        snprintf(audit_session, sizeof audit_session, "%s", session_id);
        ward_error err = {0};
        if (session_start(&sr->policy, sr->language, &s, &err) < 0) {
                (void)reply_error(fd, id, 503, "unavailable", NULL, 1, "%s", err.msg);
                return 1;
        }
        session_limit_idle_cpu(s, sr->idle_cpu_ms);
        if (reply_json(fd, id, 200, json_pack("{s:b}", "started", 1)) < 0) {
                session_free(s);
                return 1;
        }
        session_loop(fd, s);
        session_free(s);
        return 0;
}

/* A one-shot run on the warm sandbox: files placed, the code run as a
 * script, the result as the reply. The sandbox is spent afterwards. */
static int pool_script(int fd, uint64_t id, session *s, const json_t *m, const policy *tier) {
        run_request rq;
        ward_error e = {0};
        if (request_run(json_object_get(m, "body"), tier, &rq, &e) < 0) {
                /* The parent checked the same body with the same tier. */
                run_request_free(&rq);
                return reply_ward_error(fd, id, &e);
        }
        stream_ctx sc = {.fd = fd, .id = id};
        service_run_req srq = run_req_of(&rq, &sc, json_is_true(json_object_get(m, "stream")));
        result res;
        result_init(&res, rq.policy.output);
        ward_error err = {0};
        int r = service_run_on(s, &srq, &res, &err) < 0 ? reply_ward_error(fd, id, &err)
                                                        : reply_result(fd, id, &res, &rq);
        result_free(&res);
        run_request_free(&rq);
        return r;
}

int host_pool(int fd, const policy *pool_policy, const policy *tier, const char *language) {
        session *s = NULL;
        ward_error err = {0};
        if (session_start(pool_policy, language, &s, &err) < 0) {
                (void)reply_error(fd, 0, 503, "unavailable", NULL, 1, "%s", err.msg);
                return 1;
        }
        /* Waiting or adopted, it may use between cells what a cell of the
         * tier may. */
        session_limit_idle_cpu(s, tier->cpu_time_ms);
        if (reply_json(fd, 0, 200, json_pack("{s:b}", "ready", 1)) < 0) {
                session_free(s);
                return 1;
        }
        /* Waiting: the sandbox is watched (its denied syscalls answered)
         * until the parent hands it one piece of work. */
        frame_caps caps = {.json_max = WARD_API_BODY_MAX + WARD_API_REQUEST_JSON_SLACK, .blob_max = 0};
        int status = 0;
        for (;;) {
                struct pollfd pf = {.fd = fd, .events = POLLIN};
                if (!session_idle(s, fd, 1000)) {
                        status = 1; /* it died waiting: the parent starts another */
                        break;
                }
                if (poll(&pf, 1, 0) <= 0)
                        continue;
                frame f;
                if (frame_read(fd, caps, &f) < 0)
                        break;
                json_error_t jerr;
                json_t *m = json_loads(f.json, 0, &jerr);
                const char *op = str(m, "op");
                audit_from(m);
                if (op && strcmp(op, "script") == 0) {
                        prctl(PR_SET_NAME, "ward-run", 0, 0, 0);
                        status = pool_script(fd, f.hdr.id, s, m, tier) < 0;
                } else if (op && strcmp(op, "adopt") == 0) {
                        prctl(PR_SET_NAME, "ward-session", 0, 0, 0);
                        /* It becomes a session: the same loop as one
                         * started cold. */
                        if (reply_json(fd, f.hdr.id, 200, json_pack("{s:b}", "started", 1)) >= 0)
                                session_loop(fd, s);
                }
                json_decref(m);
                frame_free(&f);
                break;
        }
        session_free(s);
        return status;
}
