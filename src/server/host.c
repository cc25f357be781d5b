/* Host processes (see host.h). */
#include "server/host.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "audit/audit.h"
#include "basic/digest.h"
#include "basic/fd.h"
#include "basic/limits.h"
#include "exec/files.h"
#include "exec/lang.h"
#include "server/apierror.h"
#include "server/frame.h"
#include "server/front.h"
#include "server/reply.h"
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
        json_t *line = json_deep_copy(doc);
        char policy_sha[DIGEST_HEX_LEN], subject_sha[DIGEST_HEX_LEN];
        if (!line || policy_digest(p, policy_sha) < 0) {
                json_decref(line);
                fprintf(stderr, "%s: audit: out of memory\n", serve_log_name);
                return;
        }
        if (code) {
                digest_sha256_hex(code, code_len, subject_sha);
        } else {
                digest_ctx *dc = digest_new();
                for (char *const *a = argv; dc && a && *a; a++)
                        digest_add(dc, *a, strlen(*a) + 1);
                if (dc)
                        digest_finish(dc, subject_sha);
                else
                        subject_sha[0] = '\0';
        }
        /* Rich outputs (charts) are named by their types, not copied: the
         * log records what happened, and stays bounded. */
        static const char *const rich[] = {"results", "displays"};
        for (size_t i = 0; i < ELEMENTSOF(rich); i++) {
                json_t *arr = json_object_get(line, rich[i]), *types = json_array();
                size_t k;
                json_t *bundle;
                json_array_foreach(arr, k, bundle) {
                        const char *mime;
                        json_t *v;
                        json_t *names = json_array();
                        json_object_foreach(bundle, mime, v) {
                                json_array_append_new(names, json_string(mime));
                        }
                        json_array_append_new(types, names);
                }
                if (arr)
                        json_object_set_new(line, rich[i], types);
                else
                        json_decref(types);
        }
        json_object_set_new(line, "kind", json_string(kind));
        json_object_set_new(line, "tenant", json_string(audit_tenant));
        if (audit_session[0])
                json_object_set_new(line, "session", json_string(audit_session));
        ward_error err = {0};
        if (audit_append(audit_fd, max_len, line, policy_sha, code ? "code_sha256" : "argv_sha256", subject_sha, &err) <
            0)
                fprintf(stderr, "%s: %s\n", serve_log_name, err.msg);
        json_decref(line);
}

static int reply_result(int fd, uint64_t id, const result *res, const run_request *rq) {
        json_t *doc = result_to_json(res);
        if (!doc)
                return reply_error(fd, id, 503, "unavailable", NULL, 1, "out of memory");
        audit(doc, "run", &rq->policy, rq->code, rq->code_len, rq->argv, result_text_max(rq->policy.output) + 4096);
        return reply_json(fd, id, 200, doc);
}

/* A language with a driver runs in a session's sandbox as a script, so
 * that files can be placed in its work dir first: the same path a warm
 * sandbox from the pool takes. */
static int run_in_session(int fd, uint64_t id, const run_request *rq, const cell_opts *co, result *res) {
        session *s = NULL;
        ward_error err = {0};
        if (session_start(&rq->policy, rq->language, &s, &err) < 0)
                return reply_error(fd, id, 503, "unavailable", NULL, 1, "%s", err.msg);
        for (size_t i = 0; i < rq->n_files; i++) {
                if (files_put(session_home_fd(s), rq->files[i].path, rq->files[i].data, rq->files[i].len, &err) < 0) {
                        const char *code;
                        int st = (int)apierror_status(&err, &code);
                        session_free(s);
                        return reply_error(fd, id, st, code, "files", 0, "files[%zu]: %s", i, err.msg);
                }
        }
        int r = session_script(s, rq->code, rq->code_len, co, res, &err);
        session_free(s);
        if (r < 0)
                return reply_error(fd, id, 503, "unavailable", NULL, 1, "%s", err.msg);
        return reply_result(fd, id, res, rq);
}

int host_run(int fd, uint64_t id, const run_request *rq, bool stream) {
        stream_ctx sc = {.fd = fd, .id = id};
        result res;
        result_init(&res, rq->policy.output);
        int r;
        if (rq->language[0] && session_language_ok(rq->language) && !rq->stdin_data) {
                cell_opts co = {.wall_ms = rq->policy.wall_time_ms,
                                .cpu_ms = rq->policy.cpu_time_ms,
                                .on_output = stream ? on_output : NULL,
                                .ctx = &sc};
                r = run_in_session(fd, id, rq, &co, &res);
        } else {
                const lang *l = rq->language[0] ? lang_find(rq->language) : NULL;
                _cleanup_free_ char **argv = l ? lang_argv(l, NULL, 0) : NULL;
                /* stdin is a memfd the loop reads like any file: nothing
                 * has to feed it while the sandbox may not read. */
                int in = -1;
                if (rq->stdin_data &&
                    ((in = memfd_create("ward-stdin", MFD_CLOEXEC)) < 0 ||
                     fd_write_full(in, rq->stdin_data, rq->stdin_len) < 0 || lseek(in, 0, SEEK_SET) < 0)) {
                        if (in >= 0)
                                close(in);
                        result_free(&res);
                        return reply_error(fd, id, 503, "unavailable", NULL, 1, "cannot hold stdin") < 0;
                }
                supervise_req req = {
                        .policy = &rq->policy,
                        .argv = l ? argv : rq->argv,
                        .code = rq->code,
                        .code_len = rq->code_len,
                        .code_name = l ? l->file_name : NULL,
                        .stdin_fd = in,
                        .stdout_fd = -1,
                        .stderr_fd = -1,
                        .on_output = stream ? on_output : NULL,
                        .ctx = &sc,
                };
                ward_error err = {0};
                if ((l && !argv) || supervise_run(&req, &res, &err) < 0)
                        r = reply_error(fd, id, 400, "invalid_field", NULL, 0, "%s",
                                        err.msg[0] ? err.msg : "out of memory");
                else
                        r = reply_result(fd, id, &res, rq);
                if (in >= 0)
                        close(in);
        }
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
        ward_error err = {0};
        if (!json_is_string(code) || !co.wall_ms || !co.cpu_ms) {
                (void)reply_error(fd, id, 400, "invalid_field", "code", 0, "code: missing");
                return true;
        }
        if (session_cell(s, json_string_value(code), json_string_length(code), &co, &doc, &err) < 0) {
                (void)reply_error(fd, id, 503, "unavailable", NULL, 1, "%s", err.msg);
                return !sc.ending;
        }
        audit(doc, "cell", session_policy(s), json_string_value(code), json_string_length(code), NULL,
              result_text_max(session_policy(s)->output) + WARD_DRIVER_AUDIT_SLACK);
        (void)reply_json(fd, id, 200, doc);
        return !sc.ending;
}

static void serve_file(int fd, uint64_t id, session *s, const char *op, const json_t *m, const frame *f) {
        ward_error err = {0};
        int home = session_home_fd(s);
        const char *path = str(m, "path");
        int r;
        if (home < 0) {
                (void)reply_error(fd, id, 503, "unavailable", NULL, 1, "the session is restarting");
                return;
        }
        if (strcmp(op, "file.put") == 0) {
                r = files_put(home, path ? path : "", f->blob ? f->blob : "", f->hdr.blob_len, &err);
                if (r >= 0) {
                        (void)reply_json(fd, id, 201,
                                         json_pack("{s:s, s:I}", "path", path, "size", (json_int_t)f->hdr.blob_len));
                        return;
                }
        } else if (strcmp(op, "file.get") == 0) {
                _cleanup_free_ char *data = NULL;
                size_t len = 0;
                r = files_get(home, path ? path : "", WARD_API_FILE_MAX, &data, &len, &err);
                if (r >= 0) {
                        (void)reply_blob(fd, id, 200, "application/octet-stream", data, len);
                        return;
                }
        } else if (strcmp(op, "file.delete") == 0) {
                r = files_delete(home, path ? path : "", &err);
                if (r >= 0) {
                        (void)reply_json(fd, id, 204, json_null());
                        return;
                }
        } else {
                json_t *list = NULL;
                const char *dir = str(m, "dir");
                r = files_list(home, dir ? dir : "", &list, &err);
                if (r >= 0) {
                        (void)reply_json(fd, id, 200, json_pack("{s:o}", "files", list));
                        return;
                }
        }
        const char *code;
        int st = (int)apierror_status(&err, &code);
        (void)reply_error(fd, id, st, code, strcmp(op, "file.list") == 0 ? "dir" : "path", 0, "%s", err.msg);
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
        cell_opts co = {.wall_ms = rq.policy.wall_time_ms,
                        .cpu_ms = rq.policy.cpu_time_ms,
                        .on_output = json_is_true(json_object_get(m, "stream")) ? on_output : NULL,
                        .ctx = &sc};
        result res;
        result_init(&res, rq.policy.output);
        int r = 0;
        ward_error err = {0};
        for (size_t i = 0; i < rq.n_files && r == 0; i++) {
                if (files_put(session_home_fd(s), rq.files[i].path, rq.files[i].data, rq.files[i].len, &err) < 0) {
                        const char *code;
                        int st = (int)apierror_status(&err, &code);
                        r = reply_error(fd, id, st, code, "files", 0, "files[%zu]: %s", i, err.msg);
                        r = r < 0 ? r : 1;
                }
        }
        if (r == 0) {
                if (session_script(s, rq.code, rq.code_len, &co, &res, &err) < 0)
                        r = reply_error(fd, id, 503, "unavailable", NULL, 1, "%s", err.msg);
                else
                        r = reply_result(fd, id, &res, &rq);
        }
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
