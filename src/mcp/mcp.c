/* The MCP front of ward's service (see mcp.h): JSON-RPC lines in, frames
 * out.
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
 * comes. At the end of stdin
 * every session this client opened is deleted, the answers are waited
 * for (WARD_MCP_END_WAIT_MS at most), and the front returns 0.
 *
 * Arguments are checked here against the same table that tools/list
 * publishes as inputSchema (types, enums, ranges, required and unknown
 * properties: -32602); what they mean and whether the tier allows them is
 * the parent's call, whose refusals come back as tool results with
 * isError, as do runs that failed. */
#include "mcp/mcp.h"

#include <errno.h>
#include <nettle/base64.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
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
#include "basic/utf8.h"
#include "exec/lang.h"
#include "server/frame.h"
#include "service/status.h"
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

/* ---- the tools ---- */

enum ptype { P_STRING, P_INTEGER, P_NUMBER, P_FILES };

typedef struct prop {
        const char *name;
        enum ptype type;
        bool required;
        const char *const *enumv; /* NULL-terminated, or NULL */
        double min, max;          /* numbers only */
        unsigned langs;           /* strings: a language of this set (exec/lang.h), its names in the enum */
        const char *desc;
} prop;

enum tool_id { T_RUN, T_SCREATE, T_EXEC, T_FWRITE, T_FREAD, T_FLIST, T_END, T_MAX };

typedef struct tool {
        const char *name, *title, *desc;
        const prop *props;
        bool summary; /* the policy summary is added to the description */
        bool read_only, destructive, idempotent;
} tool;

static const char *const encodings[] = {"utf-8", "base64", NULL};

static const prop run_props[] = {
        {"language", P_STRING, true, NULL, 0, 0, LANG_RUN, "The language of `code`: "},
        {"code", P_STRING, true, NULL, 0, 0, 0, "The program's source text (at most 16 MiB)."},
        {"files", P_FILES, false, NULL, 0, 0, 0,
         "Files written into the sandbox's home directory (/home/user) before the run: each {path, content, "
         "encoding?}, path relative to /home/user, encoding utf-8 (default) or base64."},
        {"stdin", P_STRING, false, NULL, 0, 0, 0,
         "Text given to the program on its standard input (empty by default)."},
        {"timeout", P_NUMBER, false, NULL, 0.001, 86400, 0,
         "Wall-time limit in seconds (at most the policy's own limit, which applies when absent)."},
        {NULL, 0, 0, NULL, 0, 0, 0, NULL},
};
static const prop screate_props[] = {
        {"language", P_STRING, true, NULL, 0, 0, LANG_SESSION, "The session's interpreter: "},
        {"idle_timeout", P_NUMBER, false, NULL, 1, 86400, 0,
         "Seconds without a call after which the session ends by itself (default 600)."},
        {NULL, 0, 0, NULL, 0, 0, 0, NULL},
};
static const prop exec_props[] = {
        {"session_id", P_STRING, true, NULL, 0, 0, 0, "The id session_create returned (ses_...)."},
        {"code", P_STRING, true, NULL, 0, 0, 0, "Code to run in the session, like one notebook cell."},
        {"timeout", P_NUMBER, false, NULL, 0.001, 86400, 0,
         "Wall-time limit of this cell in seconds (default 30, at most the policy's limit). The session's "
         "state is kept when the cell is interrupted."},
        {NULL, 0, 0, NULL, 0, 0, 0, NULL},
};
static const prop fwrite_props[] = {
        {"session_id", P_STRING, true, NULL, 0, 0, 0, "The id session_create returned (ses_...)."},
        {"path", P_STRING, true, NULL, 0, 0, 0, "Where to write, relative to the session's home (/home/user)."},
        {"content", P_STRING, true, NULL, 0, 0, 0, "The file's content, as text or base64 (see encoding)."},
        {"encoding", P_STRING, false, encodings, 0, 0, 0, "How `content` is written: utf-8 text (default) or base64."},
        {NULL, 0, 0, NULL, 0, 0, 0, NULL},
};
static const prop fread_props[] = {
        {"session_id", P_STRING, true, NULL, 0, 0, 0, "The id session_create returned (ses_...)."},
        {"path", P_STRING, true, NULL, 0, 0, 0, "The file to read, relative to the session's home (/home/user)."},
        {NULL, 0, 0, NULL, 0, 0, 0, NULL},
};
static const prop flist_props[] = {
        {"session_id", P_STRING, true, NULL, 0, 0, 0, "The id session_create returned (ses_...)."},
        {"dir", P_STRING, false, NULL, 0, 0, 0,
         "A directory relative to the session's home (/home/user); absent: the home itself."},
        {NULL, 0, 0, NULL, 0, 0, 0, NULL},
};
static const prop end_props[] = {
        {"session_id", P_STRING, true, NULL, 0, 0, 0, "The id of the session to end."},
        {NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

static const tool tools[T_MAX] = {
        [T_RUN] = {"run_code", "Run code in a sandbox",
                   "Runs a program once in a fresh, isolated Linux sandbox (ward) and returns its stdout, stderr "
                   "and how it ended. Nothing persists between calls: use session_create for state. The sandbox "
                   "sees no host file and cannot reach the network.",
                   run_props, true, false, false, false},
        [T_SCREATE] = {"session_create", "Open a sandboxed session",
                       "Starts a persistent interpreter (like a notebook kernel) in an isolated sandbox; its "
                       "variables and files stay between session_exec calls until session_end, its idle timeout "
                       "or the end of this MCP connection. Returns session_id.",
                       screate_props, true, false, false, false},
        [T_EXEC] = {"session_exec", "Run code in a session",
                    "Runs code in a session's interpreter, keeping its state (x = 41 in one call, x + 1 in the "
                    "next gives 42). Returns stdout, stderr, the value of the last expression and rich outputs "
                    "such as matplotlib charts (as PNG images).",
                    exec_props, true, false, false, false},
        [T_FWRITE] = {"session_files_write", "Write a file into a session",
                      "Writes a file into a session's sandbox, under its home directory (/home/user), replacing "
                      "a file of that name. Nothing on the host is touched.",
                      fwrite_props, false, false, false, true},
        [T_FREAD] = {"session_files_read", "Read a file from a session",
                     "Reads a file from a session's sandbox (under /home/user): text when it is UTF-8, otherwise "
                     "an embedded resource with the bytes in base64.",
                     fread_props, false, true, false, true},
        [T_FLIST] = {"session_files_list", "List a session's files",
                     "Lists the files in a directory of a session's sandbox (under /home/user): path, type, "
                     "size and modification time of each.",
                     flist_props, false, true, false, true},
        [T_END] = {"session_end", "End a session",
                   "Ends a session: its interpreter, processes and files are gone afterwards. Nothing on the "
                   "host is touched.",
                   end_props, false, false, true, true},
};

static json_t *prop_schema(const prop *p) {
        json_t *s = json_object();
        switch (p->type) {
        case P_STRING:
                json_object_set_new(s, "type", json_string("string"));
                if (p->enumv) {
                        json_t *e = json_array();
                        for (size_t i = 0; p->enumv[i]; i++)
                                json_array_append_new(e, json_string(p->enumv[i]));
                        json_object_set_new(s, "enum", e);
                }
                if (p->langs) {
                        const char *names[LANG_MAX * (LANG_ALIASES_MAX + 1)];
                        size_t n = lang_listed_names(p->langs, names, ELEMENTSOF(names));
                        json_t *e = json_array();
                        for (size_t i = 0; i < n; i++)
                                json_array_append_new(e, json_string(names[i]));
                        json_object_set_new(s, "enum", e);
                        char words[256], desc[512];
                        lang_words(p->langs, LANG_WORDS_TITLES, words, sizeof words);
                        snprintf(desc, sizeof desc, "%s%s.", p->desc, words);
                        json_object_set_new(s, "description", json_string(desc));
                        return s;
                }
                break;
        case P_INTEGER:
        case P_NUMBER:
                json_object_set_new(s, "type", json_string(p->type == P_INTEGER ? "integer" : "number"));
                json_object_set_new(s, p->min > 0 && p->type == P_NUMBER ? "exclusiveMinimum" : "minimum",
                                    json_real(p->min > 0 && p->type == P_NUMBER ? 0 : p->min));
                json_object_set_new(s, "maximum", json_real(p->max));
                break;
        case P_FILES: {
                json_t *item =
                        json_pack("{s:s, s:[s,s], s:b, s:{s:{s:s, s:s}, s:{s:s, s:s}, s:{s:s, s:[s,s], s:s}}}", "type",
                                  "object", "required", "path", "content", "additionalProperties", 0, "properties",
                                  "path", "type", "string", "description", "Relative to /home/user.", "content", "type",
                                  "string", "description", "The file's content, as text or base64.", "encoding", "type",
                                  "string", "enum", "utf-8", "base64", "description", "utf-8 (default) or base64.");
                json_object_set_new(s, "type", json_string("array"));
                json_object_set_new(s, "items", item);
                json_object_set_new(s, "maxItems", json_integer(256));
                break;
        }
        }
        json_object_set_new(s, "description", json_string(p->desc));
        return s;
}

/* What run_code's structuredContent holds: the result document of
 * `ward run --json` (openapi.json's RunResult), loosely, so that a later
 * field does not break a client that validates it. */
static json_t *run_output_schema(void) {
        return json_pack(
                "{s:s, s:[s,s,s], s:{"
                "s:{s:s, s:[s,s,s,s,s,s,s,s,s,s,s,s,s], s:s},"
                "s:{s:[s,s], s:s}, s:{s:[s,s], s:s},"
                "s:{s:s, s:s}, s:{s:s, s:s}, s:{s:s, s:s},"
                "s:{s:s, s:s}, s:{s:s, s:[s,s]}, s:{s:s},"
                "s:{s:s, s:s}, s:{s:s, s:[s,s]}, s:{s:s},"
                "s:{s:s}, s:{s:s}}}",
                "type", "object", "required", "status", "stdout", "stderr", "properties",
                /* status */
                "status", "type", "string", "enum", "ok", "exit", "signal", "timeout", "cpu_limit", "memory_limit",
                "pids_limit", "output_limit", "file_size_limit", "disk_limit", "network_limit", "violation", "error",
                "description",
                "How the run ended: ok (exit 0), exit (another code), signal, a limit, violation or error.",
                "exit_code", "type", "integer", "null", "description", "The exit code, when it exited.", "signal",
                "type", "integer", "null", "description", "The signal that killed it, when one did.", "wall_ms", "type",
                "integer", "description", "Wall time, ms.", "cpu_ms", "type", "integer", "description", "CPU time, ms.",
                "memory_peak_bytes", "type", "integer", "description", "Peak memory.",
                /* streams */
                "stdout", "type", "string", "description", "Standard output (base64 when stdout_encoding says so).",
                "stdout_encoding", "type", "string", "enum", "utf-8", "base64", "stdout_truncated", "type", "boolean",
                "stderr", "type", "string", "description", "Standard error.", "stderr_encoding", "type", "string",
                "enum", "utf-8", "base64", "stderr_truncated", "type", "boolean",
                /* the rest */
                "protections", "type", "array", "events", "type", "array");
}

static json_t *tool_json(const tool *t, const char *summary) {
        json_t *props = json_object(), *req = json_array();
        for (const prop *p = t->props; p->name; p++) {
                json_object_set_new(props, p->name, prop_schema(p));
                if (p->required)
                        json_array_append_new(req, json_string(p->name));
        }
        char desc[2048];
        snprintf(desc, sizeof desc, "%s%s%s", t->desc, t->summary ? " Policy: " : "", t->summary ? summary : "");
        json_t *j = json_pack("{s:s, s:s, s:s, s:{s:s, s:o, s:o, s:b}, s:{s:s, s:b, s:b, s:b, s:b}}", "name", t->name,
                              "title", t->title, "description", desc, "inputSchema", "type", "object", "properties",
                              props, "required", req, "additionalProperties", 0, "annotations", "title", t->title,
                              "readOnlyHint", t->read_only, "destructiveHint", t->destructive, "idempotentHint",
                              t->idempotent, "openWorldHint", 0);
        if (t == &tools[T_RUN])
                json_object_set_new(j, "outputSchema", run_output_schema());
        return j;
}

/* The arguments against the table: -32602's message in *msg when not. */
static int check_args(const tool *t, const json_t *args, char *msg, size_t len) {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)args, key, v) {
                const prop *p = t->props;
                while (p->name && strcmp(p->name, key) != 0)
                        p++;
                if (!p->name) {
                        snprintf(msg, len, "%s: unknown argument '%s'", t->name, key);
                        return -EINVAL;
                }
        }
        for (const prop *p = t->props; p->name; p++) {
                v = json_object_get(args, p->name);
                if (!v) {
                        if (p->required) {
                                snprintf(msg, len, "%s: missing required argument '%s'", t->name, p->name);
                                return -EINVAL;
                        }
                        continue;
                }
                switch (p->type) {
                case P_STRING: {
                        if (!json_is_string(v)) {
                                snprintf(msg, len, "%s: '%s' must be a string", t->name, p->name);
                                return -EINVAL;
                        }
                        bool listed = true;
                        if (p->enumv) {
                                size_t i = 0;
                                while (p->enumv[i] && strcmp(p->enumv[i], json_string_value(v)) != 0)
                                        i++;
                                listed = p->enumv[i] != NULL;
                        }
                        if (p->langs)
                                listed = lang_listed(json_string_value(v), p->langs);
                        if (!listed) {
                                snprintf(msg, len, "%s: '%s' must be one of the listed values, not '%.64s'", t->name,
                                         p->name, json_string_value(v));
                                return -EINVAL;
                        }
                        break;
                }
                case P_INTEGER:
                case P_NUMBER: {
                        if (!json_is_number(v) || (p->type == P_INTEGER && !json_is_integer(v))) {
                                snprintf(msg, len, "%s: '%s' must be a number", t->name, p->name);
                                return -EINVAL;
                        }
                        double d = json_number_value(v);
                        if (!isfinite(d) || d < p->min || d > p->max) {
                                snprintf(msg, len, "%s: '%s' must be from %g to %g", t->name, p->name, p->min, p->max);
                                return -EINVAL;
                        }
                        break;
                }
                case P_FILES: {
                        if (!json_is_array(v) || json_array_size(v) > 256) {
                                snprintf(msg, len, "%s: 'files' must be an array of at most 256 files", t->name);
                                return -EINVAL;
                        }
                        size_t i;
                        json_t *f;
                        json_array_foreach(v, i, f) {
                                const char *fk;
                                json_t *fv;
                                bool bad = !json_is_object(f) || !json_is_string(json_object_get(f, "path")) ||
                                           !json_is_string(json_object_get(f, "content"));
                                if (!bad)
                                        json_object_foreach(f, fk, fv) {
                                                if (strcmp(fk, "path") == 0 || strcmp(fk, "content") == 0)
                                                        continue;
                                                if (strcmp(fk, "encoding") != 0 || !json_is_string(fv) ||
                                                    (strcmp(json_string_value(fv), "utf-8") != 0 &&
                                                     strcmp(json_string_value(fv), "base64") != 0))
                                                        bad = true;
                                        }
                                if (bad) {
                                        snprintf(msg, len,
                                                 "%s: files[%zu] must be {path, content, encoding?} with string "
                                                 "path and content and encoding utf-8 or base64",
                                                 t->name, i);
                                        return -EINVAL;
                                }
                        }
                        break;
                }
                }
        }
        return 0;
}

/* ---- small codecs ---- */

/* base64, by nettle as everywhere else in ward. */
static char *base64_encode(const unsigned char *in, size_t len) {
        char *out = malloc(BASE64_ENCODE_RAW_LENGTH(len) + 1);
        if (!out)
                return NULL;
        base64_encode_raw(out, len, in);
        out[BASE64_ENCODE_RAW_LENGTH(len)] = '\0';
        return out;
}

/* -EINVAL when in is not base64. */
static int base64_decode(const char *in, size_t len, char **ret, size_t *ret_len) {
        struct base64_decode_ctx ctx;
        size_t n = BASE64_DECODE_LENGTH(len);
        char *out = malloc(n + 1);
        if (!out)
                return -ENOMEM;
        base64_decode_init(&ctx);
        if (!base64_decode_update(&ctx, &n, (uint8_t *)out, len, in) || !base64_decode_final(&ctx)) {
                free(out);
                return -EINVAL;
        }
        *ret = out;
        *ret_len = n;
        return 0;
}

/* ---- the front's state ---- */

enum kind { K_RUN, K_SCREATE, K_CELL, K_PUT, K_GET, K_LIST, K_END, K_EOF_END };

typedef struct pending {
        bool used;
        uint64_t fid;   /* the frame id */
        json_t *rpc_id; /* NULL: the front's own request (EOF's session ends) */
        enum kind kind;
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
static int forward(json_t *msg, const void *blob, size_t blob_len, enum kind kind, const json_t *rpc_id,
                   const json_t *progress_token, const char *sid, const char *path, pending **ret) {
        pending *p = NULL;
        for (size_t i = 0; i < WARD_MCP_PENDING_MAX && !p; i++)
                if (!M.pend[i].used)
                        p = &M.pend[i];
        if (!p) {
                json_decref(msg);
                return -EBUSY;
        }
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = json_text(msg, JSON_COMPACT, (size_t)WARD_API_BODY_MAX + WARD_API_REQUEST_JSON_SLACK, 0, &text, &len);
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

/* ---- answers from the parent, as tool results ---- */

static json_t *text_item(const char *text) {
        return json_pack("{s:s, s:s}", "type", "text", "text", text);
}

static json_t *tool_result(json_t *content, json_t *structured, bool is_error) {
        json_t *r = json_pack("{s:o, s:b}", "content", content, "isError", is_error);
        if (structured)
                json_object_set_new(r, "structuredContent", structured);
        return r;
}

/* stdout or stderr of a result document, as a text item. */
static void add_stream(json_t *content, const json_t *doc, const char *name) {
        const char *text = json_string_value(json_object_get(doc, name));
        if (!text || !text[0])
                return;
        char key[32];
        snprintf(key, sizeof key, "%s_encoding", name);
        const char *enc = json_string_value(json_object_get(doc, key));
        snprintf(key, sizeof key, "%s_truncated", name);
        bool trunc = json_is_true(json_object_get(doc, key));
        size_t n = strlen(text) + 128;
        _cleanup_free_ char *s = malloc(n);
        if (!s)
                return;
        if (enc && strcmp(enc, "base64") == 0)
                snprintf(s, n, "[%s: not UTF-8; base64 in structuredContent.%s]", name, name);
        else if (strcmp(name, "stdout") == 0)
                snprintf(s, n, "%s%s", text, trunc ? "\n[stdout truncated]" : "");
        else
                snprintf(s, n, "[stderr]\n%s%s", text, trunc ? "\n[stderr truncated]" : "");
        json_array_append_new(content, text_item(s));
}

/* results and displays: text/plain as text, image/png as images. */
static void add_bundles(json_t *content, const json_t *arr, bool text_too) {
        size_t i;
        json_t *b;
        json_array_foreach(arr, i, b) {
                const char *png = json_string_value(json_object_get(b, "image/png"));
                if (png) {
                        json_array_append_new(content, json_pack("{s:s, s:s, s:s}", "type", "image", "mimeType",
                                                                 "image/png", "data", png));
                        continue;
                }
                const char *svg = json_string_value(json_object_get(b, "image/svg+xml"));
                const char *plain = json_string_value(json_object_get(b, "text/plain"));
                if (svg)
                        json_array_append_new(content, text_item(svg));
                else if (plain && text_too)
                        json_array_append_new(content, text_item(plain));
        }
}

static json_t *result_doc_answer(json_t *doc, bool cell) {
        json_t *content = json_array();
        add_stream(content, doc, "stdout");
        add_stream(content, doc, "stderr");
        if (cell) {
                add_bundles(content, json_object_get(doc, "displays"), true);
                add_bundles(content, json_object_get(doc, "results"), true);
                json_t *err = json_object_get(doc, "error");
                if (json_is_object(err)) {
                        char text[2048];
                        snprintf(text, sizeof text, "%s: %s", json_string_value(json_object_get(err, "ename")),
                                 json_string_value(json_object_get(err, "evalue")));
                        json_array_append_new(content, text_item(text));
                }
        } else {
                add_bundles(content, json_object_get(doc, "displays"), false);
                add_bundles(content, json_object_get(doc, "results"), false);
        }
        const char *st = json_string_value(json_object_get(doc, "status"));
        bool ok = st && strcmp(st, "ok") == 0;
        if (!ok) {
                status_facts sf;
                char words[256];
                status_facts_from_doc(doc, &sf);
                status_text(&sf, words, sizeof words);
                json_array_append_new(content, text_item(words));
        }
        if (json_array_size(content) == 0)
                json_array_append_new(content, text_item("(no output)"));
        return tool_result(content, json_incref(doc), !ok);
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
                        json_t *msg = json_pack("{s:s, s:s}", "op", "session.delete", "session", sid);
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
                json_t *e = json_object_get(body, "error");
                const char *code = json_string_value(json_object_get(e, "code"));
                const char *msg = json_string_value(json_object_get(e, "message"));
                char text[1024];
                snprintf(text, sizeof text, "ward refused the request (%s, HTTP %d): %s", code ? code : "error",
                         (int)status, msg ? msg : "no message");
                client_log(3, "%s", text);
                send_result(p->rpc_id, tool_result(json_pack("[o]", text_item(text)), NULL, true));
                json_decref(m);
                return;
        }
        json_t *res = NULL;
        char text[1024];
        switch (p->kind) {
        case K_RUN:
        case K_CELL:
                if (!json_is_object(body)) {
                        send_error(p->rpc_id, RPC_INTERNAL, "ward's server gave no result document");
                        break;
                }
                res = result_doc_answer(body, p->kind == K_CELL);
                break;
        case K_SCREATE:
                snprintf(text, sizeof text,
                         "Session %s (%s) is open. Use session_exec with this session_id; it ends with "
                         "session_end, after %" JSON_INTEGER_FORMAT " ms idle, or when this connection closes.",
                         json_string_value(json_object_get(body, "id")),
                         json_string_value(json_object_get(body, "language")),
                         json_integer_value(json_object_get(body, "idle_timeout_ms")));
                res = tool_result(json_pack("[o]", text_item(text)), json_is_object(body) ? json_incref(body) : NULL,
                                  false);
                break;
        case K_PUT:
                snprintf(text, sizeof text, "Wrote %" JSON_INTEGER_FORMAT " bytes to %s in session %s.",
                         json_integer_value(json_object_get(body, "size")), p->path ? p->path : "?", p->session);
                res = tool_result(json_pack("[o]", text_item(text)), json_is_object(body) ? json_incref(body) : NULL,
                                  false);
                break;
        case K_GET: {
                const char *ct = json_string_value(json_object_get(m, "content_type"));
                /* A frame without a blob has blob_len 0. */
                const char *blob = f->blob ? f->blob : "";
                size_t blob_len = f->blob ? (size_t)f->hdr.blob_len : 0;
                json_t *item;
                if (utf8_valid(blob, blob_len)) {
                        item = json_pack("{s:s, s:s%}", "type", "text", "text", blob, blob_len);
                } else {
                        char *data = base64_encode((const unsigned char *)blob, blob_len);
                        char uri[8192];
                        snprintf(uri, sizeof uri, "ward://sessions/%s/files/%s", p->session, p->path ? p->path : "");
                        item = data ? json_pack("{s:s, s:{s:s, s:s, s:s}}", "type", "resource", "resource", "uri", uri,
                                                "mimeType", ct && ct[0] ? ct : "application/octet-stream", "blob", data)
                                    : NULL;
                        free(data);
                }
                if (!item) {
                        send_error(p->rpc_id, RPC_INTERNAL, "out of memory");
                        break;
                }
                res = tool_result(json_pack("[o]", item), NULL, false);
                break;
        }
        case K_LIST: {
                json_t *files = json_object_get(body, "files");
                size_t cap = 64 + json_array_size(files) * 160, n = 0;
                char *s = malloc(cap);
                if (!s) {
                        send_error(p->rpc_id, RPC_INTERNAL, "out of memory");
                        break;
                }
                s[0] = '\0';
                size_t i;
                json_t *e;
                json_array_foreach(files, i, e) {
                        int k = snprintf(s + n, cap - n, "%-7s %12" JSON_INTEGER_FORMAT "  %.128s\n",
                                         json_string_value(json_object_get(e, "type")),
                                         json_integer_value(json_object_get(e, "size")),
                                         json_string_value(json_object_get(e, "path")));
                        if (k < 0 || (size_t)k >= cap - n)
                                break;
                        n += (size_t)k;
                }
                res = tool_result(json_pack("[o]", text_item(n ? s : "(no files)")),
                                  json_is_object(body) ? json_incref(body) : NULL, false);
                free(s);
                break;
        }
        case K_END:
                snprintf(text, sizeof text, "Session %s has ended.", p->session);
                res = tool_result(json_pack("[o]", text_item(text)), json_is_object(body) ? json_incref(body) : NULL,
                                  false);
                break;
        case K_EOF_END:
                break;
        }
        if (res)
                send_result(p->rpc_id, res);
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

static char *duration_ms(double seconds, char *buf, size_t len) {
        /* Rounded up (no libm): the range was checked, 0.001 to 86400. */
        double d = seconds * 1000.0;
        unsigned long long ms = (unsigned long long)d;
        if ((double)ms < d)
                ms++;
        snprintf(buf, len, "%llums", ms < 1 ? 1 : ms);
        return buf;
}

/* The language's own name (javascript is node): checked, so known. */
static const char *language_of(const json_t *args) {
        const lang *l = lang_find(json_string_value(json_object_get(args, "language")));
        return l ? l->name : NULL;
}

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
        json_t *empty = json_object();
        if (!args)
                args = empty;
        size_t t = 0;
        while (t < T_MAX && strcmp(tools[t].name, name) != 0)
                t++;
        char msg[512];
        if (t == T_MAX) {
                send_error(id, RPC_INVALID_PARAMS, "unknown tool '%.64s'", name);
                json_decref(empty);
                return;
        }
        if (check_args(&tools[t], args, msg, sizeof msg) < 0) {
                send_error(id, RPC_INVALID_PARAMS, "%s", msg);
                json_decref(empty);
                return;
        }
        const json_t *token = json_object_get(json_object_get(params, "_meta"), "progressToken");
        if (token && !json_is_string(token) && !json_is_integer(token))
                token = NULL;
        const char *sid = json_string_value(json_object_get(args, "session_id"));
        if (sid && (strlen(sid) == 0 || strlen(sid) > WARD_API_SESSION_ID_MAX ||
                    strspn(sid, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(sid))) {
                send_result(id, tool_result(json_pack("[o]", text_item("no such session (a session id is ses_ and "
                                                                       "hex digits, as session_create returned)")),
                                            NULL, true));
                json_decref(empty);
                return;
        }
        json_t *req = NULL;
        char *blob = NULL; /* freed explicitly, once sent */
        size_t blob_len = 0;
        const char *path = NULL;
        enum kind kind = K_RUN;
        char dur[64];
        json_t *timeout = json_object_get(args, "timeout");
        bool stream = token != NULL;
        switch ((enum tool_id)t) {
        case T_RUN: {
                json_t *body =
                        json_pack("{s:s, s:O}", "language", language_of(args), "code", json_object_get(args, "code"));
                if (json_object_get(args, "files"))
                        json_object_set(body, "files", json_object_get(args, "files"));
                if (json_object_get(args, "stdin"))
                        json_object_set(body, "stdin", json_object_get(args, "stdin"));
                if (timeout)
                        json_object_set_new(body, "limits",
                                            json_pack("{s:s}", "wall_time",
                                                      duration_ms(json_number_value(timeout), dur, sizeof dur)));
                req = json_pack("{s:s, s:b, s:o}", "op", "run", "stream", stream, "body", body);
                kind = K_RUN;
                break;
        }
        case T_SCREATE: {
                json_t *body = json_pack("{s:s}", "language", language_of(args));
                json_t *idle = json_object_get(args, "idle_timeout");
                if (idle)
                        json_object_set_new(body, "idle_timeout",
                                            json_string(duration_ms(json_number_value(idle), dur, sizeof dur)));
                req = json_pack("{s:s, s:o}", "op", "session.create", "body", body);
                kind = K_SCREATE;
                break;
        }
        case T_EXEC: {
                json_t *body = json_pack("{s:O}", "code", json_object_get(args, "code"));
                if (timeout)
                        json_object_set_new(body, "timeout",
                                            json_string(duration_ms(json_number_value(timeout), dur, sizeof dur)));
                req = json_pack("{s:s, s:s, s:b, s:o}", "op", "cell", "session", sid, "stream", stream, "body", body);
                kind = K_CELL;
                break;
        }
        case T_FWRITE: {
                const char *enc = json_string_value(json_object_get(args, "encoding"));
                json_t *content = json_object_get(args, "content");
                path = json_string_value(json_object_get(args, "path"));
                if (enc && strcmp(enc, "base64") == 0) {
                        if (base64_decode(json_string_value(content), json_string_length(content), &blob, &blob_len) <
                            0) {
                                send_error(id, RPC_INVALID_PARAMS, "session_files_write: content is not valid base64");
                                json_decref(empty);
                                return;
                        }
                } else {
                        blob_len = json_string_length(content);
                        blob = malloc(blob_len + 1);
                        if (blob)
                                memcpy(blob, json_string_value(content), blob_len);
                }
                if (!blob) {
                        send_error(id, RPC_INTERNAL, "out of memory");
                        json_decref(empty);
                        return;
                }
                req = json_pack("{s:s, s:s, s:s}", "op", "file.put", "session", sid, "path", path);
                kind = K_PUT;
                break;
        }
        case T_FREAD:
                path = json_string_value(json_object_get(args, "path"));
                req = json_pack("{s:s, s:s, s:s}", "op", "file.get", "session", sid, "path", path);
                kind = K_GET;
                break;
        case T_FLIST: {
                const char *dir = json_string_value(json_object_get(args, "dir"));
                req = json_pack("{s:s, s:s, s:s?}", "op", "file.list", "session", sid, "dir", dir);
                kind = K_LIST;
                break;
        }
        case T_END:
                req = json_pack("{s:s, s:s}", "op", "session.delete", "session", sid);
                kind = K_END;
                break;
        case T_MAX:
                break;
        }
        json_decref(empty);
        if (!req) {
                free(blob);
                send_error(id, RPC_INTERNAL, "out of memory");
                return;
        }
        pending *p = NULL;
        int r = forward(req, blob, blob_len, kind, id, token, sid, path, &p);
        free(blob);
        if (r == -EMSGSIZE || r == -EFBIG) {
                send_result(id, tool_result(json_pack("[o]", text_item("the request is larger than ward accepts")),
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
        client_log(0, "%s: sent", tools[t].name);
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
                                  "title", "ward sandbox", "version", "0.1.0", "instructions", instructions));
}

static void handle_message(const char *line, size_t len) {
        json_error_t jerr;
        json_t *m = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
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
                json_t *arr = json_array();
                for (size_t i = 0; i < T_MAX; i++)
                        json_array_append_new(arr, tool_json(&tools[i], M.ctx->summary));
                send_result(id, json_pack("{s:o}", "tools", arr));
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
                json_t *msg = json_pack("{s:s, s:s}", "op", "session.delete", "session", M.sessions[i]);
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
