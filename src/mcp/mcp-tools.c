/* ward mcp's tools: the one table that tools/list publishes as each
 * tool's inputSchema and that every tools/call's arguments are checked
 * against (unknown, missing, wrong type, not in the enum, out of range:
 * -32602), and the translation of checked arguments into the request the
 * parent understands (the ops of server/request.c: run, session.create,
 * cell, file.put, file.get, file.list, session.delete). Languages come
 * from exec/lang.c's table. What the arguments mean and whether the tier
 * allows them is the parent's call, not this file's. Nothing here touches
 * the front's state: the unit tests link this file alone. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <nettle/base64.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/limits.h"
#include "exec/lang.h"
#include "mcp/mcp-internal.h"
#include "server/ops.h"

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

struct mcp_tool {
        const char *name, *title, *desc;
        const prop *props;
        bool summary; /* the policy summary is added to the description */
        bool read_only, destructive, idempotent;
};
typedef struct mcp_tool tool;

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
         "Seconds without a call after which the session ends by itself: at most the policy's "
         "session_idle_timeout (600 unless the policy sets it), which is also the default."},
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

int mcp_check_args(const tool *t, const json_t *args, char *msg, size_t len) {
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

const mcp_tool *mcp_tool_find(const char *name) {
        for (size_t i = 0; i < T_MAX; i++)
                if (strcmp(tools[i].name, name) == 0)
                        return &tools[i];
        return NULL;
}

const char *mcp_tool_name(const mcp_tool *t) {
        return t->name;
}

json_t *mcp_tools_json(const char *summary) {
        json_t *arr = json_array();
        for (size_t i = 0; i < T_MAX; i++)
                json_array_append_new(arr, tool_json(&tools[i], summary));
        return arr;
}

bool mcp_session_id_ok(const char *sid) {
        return op_session_id_valid(sid, strlen(sid));
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
        const char *name = json_string_value(json_object_get(args, "language"));
        const lang *l = name ? lang_find(name) : NULL;
        return l ? l->name : NULL;
}

int mcp_tool_request(const mcp_tool *t, const json_t *args, bool stream, mcp_request *ret, char *msg, size_t len) {
        const char *sid = json_string_value(json_object_get(args, "session_id"));
        json_t *req = NULL;
        char *blob = NULL;
        size_t blob_len = 0;
        const char *path = NULL;
        enum mcp_kind kind = K_RUN;
        char dur[64];
        json_t *timeout = json_object_get(args, "timeout");
        switch ((enum tool_id)(t - tools)) {
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
                req = json_pack("{s:s, s:b, s:o}", "op", op_name(OP_RUN), "stream", stream, "body", body);
                kind = K_RUN;
                break;
        }
        case T_SCREATE: {
                json_t *body = json_pack("{s:s}", "language", language_of(args));
                json_t *idle = json_object_get(args, "idle_timeout");
                if (idle)
                        json_object_set_new(body, "idle_timeout",
                                            json_string(duration_ms(json_number_value(idle), dur, sizeof dur)));
                req = json_pack("{s:s, s:o}", "op", op_name(OP_SESSION_CREATE), "body", body);
                kind = K_SCREATE;
                break;
        }
        case T_EXEC: {
                json_t *body = json_pack("{s:O}", "code", json_object_get(args, "code"));
                if (timeout)
                        json_object_set_new(body, "timeout",
                                            json_string(duration_ms(json_number_value(timeout), dur, sizeof dur)));
                req = json_pack("{s:s, s:s, s:b, s:o}", "op", op_name(OP_CELL), "session", sid, "stream", stream,
                                "body", body);
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
                                snprintf(msg, len, "session_files_write: content is not valid base64");
                                return -EINVAL;
                        }
                } else {
                        blob_len = json_string_length(content);
                        blob = malloc(blob_len + 1);
                        if (blob)
                                memcpy(blob, json_string_value(content), blob_len);
                }
                if (!blob)
                        return -ENOMEM;
                req = json_pack("{s:s, s:s, s:s}", "op", op_name(OP_FILE_PUT), "session", sid, "path", path);
                kind = K_PUT;
                break;
        }
        case T_FREAD:
                path = json_string_value(json_object_get(args, "path"));
                req = json_pack("{s:s, s:s, s:s}", "op", op_name(OP_FILE_GET), "session", sid, "path", path);
                kind = K_GET;
                break;
        case T_FLIST: {
                const char *dir = json_string_value(json_object_get(args, "dir"));
                /* No dir: the field is left out (the parent's table refuses
                 * a null where it takes a string). */
                req = json_pack("{s:s, s:s}", "op", op_name(OP_FILE_LIST), "session", sid);
                if (req && dir && json_object_set_new(req, "dir", json_string(dir)) < 0) {
                        json_decref(req);
                        req = NULL;
                }
                kind = K_LIST;
                break;
        }
        case T_END:
                req = json_pack("{s:s, s:s}", "op", op_name(OP_SESSION_DELETE), "session", sid);
                kind = K_END;
                break;
        case T_MAX:
                break;
        }
        if (!req) {
                free(blob);
                return -ENOMEM;
        }
        *ret = (mcp_request){.msg = req, .blob = blob, .blob_len = blob_len, .sid = sid, .path = path, .kind = kind};
        return 0;
}
