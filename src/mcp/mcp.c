/* The MCP front of ward's service (see mcp.h): the protocol loop,
 * JSON-RPC and the front's state. JSON-RPC lines in, frames out; the tools
 * and their arguments are mcp-tools.c's, the rendering of answers as tool
 * results mcp-render.c's.
 *
 * One thread, one poll loop over three fds: the client's stdin (read in
 * 64 KiB pieces and cut into lines, each capped at WARD_MCP_LINE_MAX: a
 * longer one is skipped to its newline and answered with an error), the
 * parent's socket (frames, read with the incremental frame reader), and
 * stdout, written whole line by line. Nothing else is ever written to
 * stdout; logs go to stderr.
 *
 * Each tools/call becomes one FRAME_REQUEST with a fresh frame id; the
 * pending table maps that id back to the JSON-RPC id, the tool and the
 * progress token. notifications/cancelled sends FRAME_CANCEL (the parent
 * stops a run, or has a cell interrupted) and drops the answer when it
 * comes. At the end of stdin every session this client opened is
 * deleted, the answers are waited for (WARD_MCP_END_WAIT_MS at most), and
 * the front returns 0.
 *
 * Arguments that do not match the tools' table are -32602 here; what
 * they mean and whether the tier allows them is the parent's call, whose
 * refusals come back as tool results with isError, as do runs that
 * failed. */
#include "mcp/mcp.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/clock.h"
#include "basic/fd.h"
#include "basic/jsontext.h"
#include "mcp/mcp-internal.h"
#include "server/ops.h"
#include "ward-version.h"
#include "server/frame.h"
#include "server/front.h"

#define READ_BLOCK (64u << 10)

/* JSON-RPC error codes. */
enum {
        RPC_PARSE = -32700,
        RPC_INVALID_REQUEST = -32600,
        RPC_NO_METHOD = -32601,
        RPC_INVALID_PARAMS = -32602,
        RPC_INTERNAL = -32603,
};

/* ---- the front's state ---- */

typedef struct pending {
        bool used;
        uint64_t fid;   /* the frame id */
        json_t *rpc_id; /* NULL: the front's own request (EOF's session ends) */
        enum mcp_kind kind;
        json_t *progress; /* the client's progressToken, or NULL */
        double progress_n;
        bool cancelled;
        char session[WARD_API_SESSION_ID_MAX + 1];
        char *path;
} pending;

static struct mcp {
        mcp_ctx *ctx;
        int in_fd, parent_fd;
        frame_reader rd;
        char *line;
        size_t line_len, line_alloc;
        bool discarding, eof, out_gone;
        bool initialized;
        int log_level; /* index in levels[] */
        uint64_t next_fid;
        pending pend[WARD_MCP_PENDING_MAX];
        char sessions[WARD_MCP_SESSIONS_MAX][WARD_API_SESSION_ID_MAX + 1];
} M;

static const char *const levels[] = {"debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"};

/* One line on stderr, in one write; stdout is the protocol's alone. */
#define logf_(...) fd_write_line(STDERR_FILENO, NULL, __VA_ARGS__)

/* One message to the client, whole, as one line. Blocking: a client that
 * reads nothing stops the front, which is all it can do to us. */
static void send_msg(json_t *msg) {
        if (!msg)
                return;
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = json_text(msg, JSON_COMPACT, WARD_MCP_OUT_MAX, 1, &text, &len);
        json_decref(msg);
        if (r < 0 || M.out_gone) {
                if (r < 0)
                        logf_("ward mcp: cannot encode an answer: %s", strerror(-r));
                return;
        }
        for (size_t off = 0; off < len;) {
                ssize_t w = write(STDOUT_FILENO, text + off, len - off);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0 && errno == EAGAIN) {
                        struct pollfd pf = {.fd = STDOUT_FILENO, .events = POLLOUT};
                        (void)poll(&pf, 1, -1);
                        continue;
                }
                if (w <= 0) {
                        M.out_gone = true; /* the client went away: as good as EOF */
                        M.eof = true;
                        return;
                }
                off += (size_t)w;
        }
}

static void send_result(const json_t *id, json_t *result) {
        send_msg(json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id, "result", result));
}

static void send_error(const json_t *id, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void send_error(const json_t *id, int code, const char *fmt, ...) {
        char text[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(text, sizeof text, fmt, ap);
        va_end(ap);
        json_t *null = json_null();
        send_msg(json_pack("{s:s, s:O, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", id ? id : null, "error", "code", code,
                           "message", text));
        json_decref(null);
}

/* notifications/message at a level, when the client asked for it. */
static void client_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void client_log(int level, const char *fmt, ...) {
        if (level < M.log_level || !M.initialized)
                return;
        char text[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(text, sizeof text, fmt, ap);
        va_end(ap);
        send_msg(json_pack("{s:s, s:s, s:{s:s, s:s, s:s}}", "jsonrpc", "2.0", "method", "notifications/message",
                           "params", "level", levels[level], "logger", "ward", "data", text));
}

static void progress(pending *p, const char *message) {
        if (!p->progress || p->cancelled)
                return;
        json_t *params = json_pack("{s:O, s:f}", "progressToken", p->progress, "progress", p->progress_n++);
        if (message)
                json_object_set_new(params, "message", json_string(message));
        send_msg(json_pack("{s:s, s:s, s:o}", "jsonrpc", "2.0", "method", "notifications/progress", "params", params));
}

static void pending_free(pending *p) {
        json_decref(p->rpc_id);
        json_decref(p->progress);
        free(p->path);
        memset(p, 0, sizeof *p);
}

static pending *pending_by_fid(uint64_t fid) {
        for (size_t i = 0; i < WARD_MCP_PENDING_MAX; i++)
                if (M.pend[i].used && M.pend[i].fid == fid)
                        return &M.pend[i];
        return NULL;
}

static size_t pending_count(void) {
        size_t n = 0;
        for (size_t i = 0; i < WARD_MCP_PENDING_MAX; i++)
                n += M.pend[i].used;
        return n;
}

static void session_track(const char *sid, bool add) {
        for (size_t i = 0; i < WARD_MCP_SESSIONS_MAX; i++) {
                if (add && !M.sessions[i][0]) {
                        snprintf(M.sessions[i], sizeof M.sessions[i], "%s", sid);
                        return;
                }
                if (!add && strcmp(M.sessions[i], sid) == 0) {
                        M.sessions[i][0] = '\0';
                        return;
                }
        }
}

/* Sends one FRAME_REQUEST; the pending entry is filled on success. The
 * parent ends a front that sends a frame over its caps, so that is
 * checked here. */
static int forward(json_t *msg, const void *blob, size_t blob_len, enum mcp_kind kind, const json_t *rpc_id,
                   const json_t *progress_token, const char *sid, const char *path, pending **ret) {
        pending *p = NULL;
        for (size_t i = 0; i < WARD_MCP_PENDING_MAX && !p; i++)
                if (!M.pend[i].used)
                        p = &M.pend[i];
        if (!p) {
                json_decref(msg);
                return -EBUSY;
        }
        /* The body travels as the blob, as the HTTP front sends it: the
         * parent reads a request's envelope before its body. */
        _cleanup_free_ char *text = NULL, *body_text = NULL;
        size_t len = 0, body_len = 0;
        json_t *body = json_object_get(msg, "body");
        int r = 0;
        if (body) {
                r = blob ? -EINVAL : json_text(body, JSON_COMPACT, WARD_API_BODY_MAX, 0, &body_text, &body_len);
                if (r == 0) {
                        blob = body_text;
                        blob_len = body_len;
                        r = json_object_del(msg, "body") < 0 ? -ENOMEM : 0;
                }
        }
        if (r == 0)
                r = json_text(msg, JSON_COMPACT, WARD_API_ENVELOPE_MAX, 0, &text, &len);
        json_decref(msg);
        if (r < 0)
                return r == -E2BIG ? -EMSGSIZE : r;
        if (blob_len > WARD_API_FILE_MAX)
                return -EFBIG;
        uint64_t fid = ++M.next_fid;
        r = frame_write_timeout(M.parent_fd, FRAME_REQUEST, fid, text, len, blob, blob_len, WARD_API_WRITE_TIMEOUT_MS);
        if (r < 0)
                return r;
        *p = (pending){.used = true, .fid = fid, .kind = kind};
        p->rpc_id = rpc_id ? json_deep_copy(rpc_id) : NULL;
        p->progress = progress_token ? json_deep_copy(progress_token) : NULL;
        if (sid)
                snprintf(p->session, sizeof p->session, "%s", sid);
        p->path = path ? strdup(path) : NULL;
        if (ret)
                *ret = p;
        return 0;
}

static void answer(pending *p, const frame *f) {
        json_error_t jerr;
        json_t *m = json_loadb(f->json, f->hdr.json_len, 0, &jerr);
        json_int_t status = json_integer_value(json_object_get(m, "status"));
        json_t *body = json_object_get(m, "body");
        if (p->kind == K_SCREATE && status == 201) {
                const char *sid = json_string_value(json_object_get(body, "id"));
                if (sid && (M.eof || !p->rpc_id || p->cancelled)) {
                        /* Nobody will use it: ended now. */
                        json_t *msg = json_pack("{s:s, s:s}", "op", op_name(OP_SESSION_DELETE), "session", sid);
                        if (forward(msg, NULL, 0, K_EOF_END, NULL, NULL, sid, NULL, NULL) < 0)
                                logf_("ward mcp: cannot end session %s", sid);
                } else if (sid) {
                        session_track(sid, true);
                }
        }
        if ((p->kind == K_END || p->kind == K_EOF_END) && status == 200)
                session_track(p->session, false);
        if (!p->rpc_id || p->cancelled || M.out_gone) {
                json_decref(m);
                return;
        }
        progress(p, "done");
        if (!json_is_object(m) || status < 200 || status > 599) {
                send_error(p->rpc_id, RPC_INTERNAL, "ward's server gave a malformed answer");
                json_decref(m);
                return;
        }
        if (status >= 400) {
                char text[1024];
                json_t *res = mcp_render_refusal(m, text, sizeof text);
                client_log(3, "%s", text);
                send_result(p->rpc_id, res);
                json_decref(m);
                return;
        }
        /* A frame without a blob has blob_len 0. */
        const char *error = NULL;
        json_t *res = mcp_render_answer(p->kind, m, f->blob ? f->blob : "", f->blob ? (size_t)f->hdr.blob_len : 0,
                                        p->session, p->path, &error);
        if (res)
                send_result(p->rpc_id, res);
        else if (error)
                send_error(p->rpc_id, RPC_INTERNAL, "%s", error);
        json_decref(m);
}

static void parent_frame(frame *f) {
        pending *p = pending_by_fid(f->hdr.id);
        if (!p)
                return; /* an answer nobody waits for */
        if (f->hdr.type == FRAME_CHUNK) {
                json_error_t jerr;
                json_t *c = json_loadb(f->json, f->hdr.json_len, 0, &jerr);
                const char *type = json_string_value(json_object_get(c, "type"));
                const char *data = json_string_value(json_object_get(c, "data"));
                char text[WARD_MCP_PROGRESS_TEXT_MAX + 32];
                snprintf(text, sizeof text, "%s: %.*s", type ? type : "output", (int)WARD_MCP_PROGRESS_TEXT_MAX,
                         data ? data : "");
                progress(p, text);
                json_decref(c);
                return;
        }
        if (f->hdr.type != FRAME_REPLY)
                return;
        answer(p, f);
        pending_free(p);
}

/* ---- requests from the client ---- */

static void tools_call(const json_t *id, const json_t *params) {
        const char *name = json_string_value(json_object_get(params, "name"));
        json_t *args = json_object_get(params, "arguments");
        if (!json_is_object(params) || !name) {
                send_error(id, RPC_INVALID_PARAMS, "tools/call: params.name must be a string");
                return;
        }
        if (args && !json_is_object(args)) {
                send_error(id, RPC_INVALID_PARAMS, "tools/call: params.arguments must be an object");
                return;
        }
        const mcp_tool *t = mcp_tool_find(name);
        if (!t) {
                send_error(id, RPC_INVALID_PARAMS, "unknown tool '%.64s'", name);
                return;
        }
        json_t *empty = json_object();
        if (!args)
                args = empty;
        char msg[512];
        if (mcp_check_args(t, args, msg, sizeof msg) < 0) {
                send_error(id, RPC_INVALID_PARAMS, "%s", msg);
                json_decref(empty);
                return;
        }
        const json_t *token = json_object_get(json_object_get(params, "_meta"), "progressToken");
        if (token && !json_is_string(token) && !json_is_integer(token))
                token = NULL;
        const char *sid = json_string_value(json_object_get(args, "session_id"));
        if (sid && !mcp_session_id_ok(sid)) {
                send_result(id, mcp_tool_result(json_pack("[o]", mcp_text_item("no such session (a session id is ses_ "
                                                                               "and hex digits, as session_create "
                                                                               "returned)")),
                                                NULL, true));
                json_decref(empty);
                return;
        }
        mcp_request rq;
        int r = mcp_tool_request(t, args, token != NULL, &rq, msg, sizeof msg);
        if (r < 0) {
                if (r == -EINVAL)
                        send_error(id, RPC_INVALID_PARAMS, "%s", msg);
                else
                        send_error(id, RPC_INTERNAL, "out of memory");
                json_decref(empty);
                return;
        }
        pending *p = NULL;
        r = forward(rq.msg, rq.blob, rq.blob_len, rq.kind, id, token, rq.sid, rq.path, &p);
        free(rq.blob);
        json_decref(empty); /* rq.sid and rq.path are copied by now */
        if (r == -EMSGSIZE || r == -EFBIG) {
                send_result(id, mcp_tool_result(json_pack("[o]", mcp_text_item("the request is larger than ward "
                                                                               "accepts")),
                                                NULL, true));
                return;
        }
        if (r == -EBUSY) {
                send_error(id, RPC_INTERNAL, "too many calls in flight (at most %u)", WARD_MCP_PENDING_MAX);
                return;
        }
        if (r < 0) {
                send_error(id, RPC_INTERNAL, "ward's server is not answering: %s", strerror(-r));
                logf_("ward mcp: the parent is gone: %s", strerror(-r));
                M.eof = true;
                return;
        }
        client_log(0, "%s: sent", mcp_tool_name(t));
        progress(p, "started");
}

static void cancelled(const json_t *params) {
        const json_t *rid = json_object_get(params, "requestId");
        if (!rid)
                return;
        for (size_t i = 0; i < WARD_MCP_PENDING_MAX; i++) {
                pending *p = &M.pend[i];
                if (p->used && p->rpc_id && !p->cancelled && json_equal(p->rpc_id, (json_t *)rid)) {
                        p->cancelled = true;
                        (void)frame_write_timeout(M.parent_fd, FRAME_CANCEL, p->fid, "{}", 2, NULL, 0,
                                                  WARD_API_WRITE_TIMEOUT_MS);
                        client_log(1, "request cancelled; its run is stopped");
                }
        }
}

static void initialize(const json_t *id, const json_t *params) {
        static const char *const versions[] = {WARD_MCP_PROTOCOLS};
        const char *asked = json_string_value(json_object_get(params, "protocolVersion"));
        const char *v = WARD_MCP_PROTOCOL;
        for (size_t i = 0; asked && i < ELEMENTSOF(versions); i++)
                if (strcmp(asked, versions[i]) == 0)
                        v = versions[i];
        char instructions[WARD_MCP_SUMMARY_MAX + 512];
        snprintf(instructions, sizeof instructions,
                 "ward runs code in isolated Linux sandboxes. run_code runs a program once; session_create, "
                 "session_exec and the session_files_* tools keep an interpreter and its files between calls. "
                 "Policy: %s",
                 M.ctx->summary);
        M.initialized = true;
        send_result(id, json_pack("{s:s, s:{s:{s:b}, s:{}}, s:{s:s, s:s, s:s}, s:s}", "protocolVersion", v,
                                  "capabilities", "tools", "listChanged", 0, "logging", "serverInfo", "name", "ward",
                                  "title", "ward sandbox", "version", WARD_VERSION, "instructions", instructions));
}

static void handle_message(const char *line, size_t len) {
        json_error_t jerr;
        json_t *m = json_load_bounded(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, JSON_BOUNDS_INPUT, &jerr);
        if (!m) {
                send_error(NULL, RPC_PARSE, "parse error: %s (line %d, column %d)", jerr.text, jerr.line, jerr.column);
                return;
        }
        if (json_is_array(m)) {
                send_error(NULL, RPC_INVALID_REQUEST, "batches are not supported: send one message a line");
                json_decref(m);
                return;
        }
        json_t *id = json_object_get(m, "id");
        const char *method = json_string_value(json_object_get(m, "method"));
        const char *version = json_string_value(json_object_get(m, "jsonrpc"));
        bool id_ok = !id || json_is_string(id) || json_is_integer(id);
        if (!json_is_object(m) || !version || strcmp(version, "2.0") != 0 || !id_ok ||
            (!method && !json_object_get(m, "result") && !json_object_get(m, "error"))) {
                send_error(id_ok ? id : NULL, RPC_INVALID_REQUEST,
                           "invalid request: a JSON-RPC 2.0 object with \"jsonrpc\": \"2.0\", a string \"method\" "
                           "and a string or integer \"id\" is expected");
                json_decref(m);
                return;
        }
        if (!method) { /* an answer to a request we never send */
                json_decref(m);
                return;
        }
        json_t *params = json_object_get(m, "params");
        if (!id) { /* a notification: never answered */
                if (strcmp(method, "notifications/cancelled") == 0)
                        cancelled(params);
                json_decref(m);
                return;
        }
        if (strcmp(method, "initialize") == 0) {
                initialize(id, params);
        } else if (strcmp(method, "ping") == 0) {
                send_result(id, json_object());
        } else if (!M.initialized) {
                send_error(id, RPC_INVALID_REQUEST, "'%.64s' before initialize: send initialize first", method);
        } else if (strcmp(method, "tools/list") == 0) {
                send_result(id, json_pack("{s:o}", "tools", mcp_tools_json(M.ctx->summary)));
        } else if (strcmp(method, "tools/call") == 0) {
                tools_call(id, params);
        } else if (strcmp(method, "logging/setLevel") == 0) {
                const char *lv = json_string_value(json_object_get(params, "level"));
                size_t i = 0;
                while (lv && i < ELEMENTSOF(levels) && strcmp(levels[i], lv) != 0)
                        i++;
                if (!lv || i == ELEMENTSOF(levels)) {
                        send_error(id, RPC_INVALID_PARAMS,
                                   "logging/setLevel: level must be one of debug, info, "
                                   "notice, warning, error, critical, alert, emergency");
                } else {
                        M.log_level = (int)i;
                        send_result(id, json_object());
                }
        } else {
                send_error(id, RPC_NO_METHOD, "method not found: '%.64s'", method);
        }
        json_decref(m);
}

/* One piece of stdin, cut into lines. */
static void feed(const char *data, size_t len) {
        while (len) {
                const char *nl = memchr(data, '\n', len);
                size_t take = nl ? (size_t)(nl - data) : len;
                if (!M.discarding) {
                        if (M.line_len + take > WARD_MCP_LINE_MAX) {
                                M.discarding = true;
                                free(M.line);
                                M.line = NULL;
                                M.line_len = M.line_alloc = 0;
                        } else if (take) {
                                if (M.line_len + take + 1 > M.line_alloc) {
                                        size_t n = M.line_alloc ? M.line_alloc : 4096;
                                        while (n < M.line_len + take + 1)
                                                n *= 2;
                                        char *p = realloc(M.line, n);
                                        if (!p) {
                                                M.discarding = true;
                                                free(M.line);
                                                M.line = NULL;
                                                M.line_len = M.line_alloc = 0;
                                        } else {
                                                M.line = p;
                                                M.line_alloc = n;
                                        }
                                }
                                if (!M.discarding) {
                                        memcpy(M.line + M.line_len, data, take);
                                        M.line_len += take;
                                }
                        }
                }
                if (!nl)
                        return;
                data += take + 1;
                len -= take + 1;
                if (M.discarding) {
                        M.discarding = false;
                        send_error(NULL, RPC_INVALID_REQUEST, "message larger than %u bytes: skipped",
                                   WARD_MCP_LINE_MAX);
                        continue;
                }
                size_t n = M.line_len;
                while (n && (M.line[n - 1] == '\r' || M.line[n - 1] == ' ' || M.line[n - 1] == '\t'))
                        n--;
                M.line_len = 0;
                if (n)
                        handle_message(M.line, n);
                /* A large line's buffer is not kept for ever. */
                if (M.line_alloc > (1u << 20)) {
                        free(M.line);
                        M.line = NULL;
                        M.line_len = M.line_alloc = 0;
                }
        }
}

/* stdin ended. The client may still read stdout (a script that wrote
 * its requests and closed): what is in flight is answered first, for at
 * most WARD_MCP_END_WAIT_MS, then runs still going are stopped. */
static size_t client_pending(void) {
        size_t n = 0;
        for (size_t i = 0; i < WARD_MCP_PENDING_MAX; i++)
                n += M.pend[i].used && M.pend[i].rpc_id && !M.pend[i].cancelled;
        return n;
}

/* Then every session this client holds is ended. */
static void end_all(void) {
        for (size_t i = 0; i < WARD_MCP_PENDING_MAX; i++) {
                pending *p = &M.pend[i];
                if (p->used && p->kind == K_RUN && !p->cancelled) {
                        p->cancelled = true;
                        (void)frame_write_timeout(M.parent_fd, FRAME_CANCEL, p->fid, "{}", 2, NULL, 0,
                                                  WARD_API_WRITE_TIMEOUT_MS);
                }
        }
        for (size_t i = 0; i < WARD_MCP_SESSIONS_MAX; i++) {
                if (!M.sessions[i][0])
                        continue;
                json_t *msg = json_pack("{s:s, s:s}", "op", op_name(OP_SESSION_DELETE), "session", M.sessions[i]);
                if (forward(msg, NULL, 0, K_EOF_END, NULL, NULL, M.sessions[i], NULL, NULL) < 0)
                        logf_("ward mcp: cannot end session %s", M.sessions[i]);
        }
}

static int serve(void) {
        char *buf = malloc(READ_BLOCK);
        if (!buf)
                return 1;
        uint64_t deadline = 0; /* of the current phase of the end (0: none yet) */
        bool ending = false;   /* the sessions' ends are sent */
        int status = 0;
        for (;;) {
                if (M.eof && !deadline)
                        deadline = clock_mono_ms() + WARD_MCP_END_WAIT_MS;
                if (M.eof && !ending && (client_pending() == 0 || clock_mono_ms() >= deadline)) {
                        end_all();
                        ending = true;
                        deadline = clock_mono_ms() + WARD_MCP_END_WAIT_MS;
                }
                if (ending && pending_count() == 0)
                        break;
                int timeout = -1;
                if (deadline) {
                        int left = clock_ms_left(deadline);
                        if (left == 0 && ending) {
                                logf_("ward mcp: %zu answers still missing at the end", pending_count());
                                break;
                        }
                        timeout = left;
                }
                struct pollfd pf[2] = {
                        {.fd = M.parent_fd, .events = POLLIN},
                        {.fd = M.eof ? -1 : M.in_fd, .events = POLLIN},
                };
                int n = poll(pf, 2, timeout);
                if (n < 0 && errno != EINTR) {
                        status = 1;
                        break;
                }
                if (n <= 0)
                        continue;
                if (pf[0].revents) {
                        int r = 0;
                        for (int k = 0; k < 64; k++) {
                                frame f;
                                r = frame_reader_read(&M.rd, M.parent_fd, &f);
                                if (r <= 0)
                                        break;
                                parent_frame(&f);
                                frame_free(&f);
                        }
                        if (r < 0 && r != -EAGAIN) {
                                if (r != -EPIPE)
                                        logf_("ward mcp: the server broke the protocol: %s", strerror(-r));
                                status = 1;
                                break;
                        }
                }
                if (pf[1].revents && !M.eof) {
                        ssize_t r = read(M.in_fd, buf, READ_BLOCK);
                        if (r < 0 && (errno == EINTR || errno == EAGAIN))
                                continue;
                        if (r <= 0) {
                                /* A last line without its newline still counts. */
                                if (!M.discarding && M.line_len)
                                        feed("\n", 1);
                                M.eof = true;
                                continue;
                        }
                        feed(buf, (size_t)r);
                }
        }
        free(buf);
        return status;
}

int mcp_front_main(int parent_fd, void *ctx_) {
        mcp_ctx *ctx = ctx_;
        M.ctx = ctx;
        M.parent_fd = parent_fd;
        M.in_fd = ctx->in_fd;
        M.log_level = 1; /* info */
        /* stdout is the client's; the parent's own fd 1 went to stderr. */
        if (dup2(ctx->out_fd, STDOUT_FILENO) < 0) {
                logf_("ward mcp: stdout: %s", strerror(errno));
                return 1;
        }
        front_opts fo = {.listen_fd = ctx->in_fd, .parent_fd = parent_fd};
        unsigned applied = 0;
        char missing[256];
        ward_error err = {0};
        if (front_confine(&fo, &applied, missing, sizeof missing, &err) < 0) {
                logf_("ward mcp: confinement failed: %s", err.msg);
                return 1;
        }
        if (missing[0])
                logf_("ward mcp: the front runs without %s", missing);
        if (fcntl(parent_fd, F_SETFL, fcntl(parent_fd, F_GETFL) | O_NONBLOCK) < 0) {
                logf_("ward mcp: parent socket: %s", strerror(errno));
                return 1;
        }
        frame_reader_init(&M.rd,
                          (frame_caps){.json_max = WARD_API_REPLY_JSON_MAX, .blob_max = WARD_API_REPLY_BLOB_MAX});
        int status = serve();
        frame_reader_free(&M.rd);
        for (size_t i = 0; i < WARD_MCP_PENDING_MAX; i++)
                if (M.pend[i].used)
                        pending_free(&M.pend[i]);
        free(M.line);
        return status;
}
