/* The table of operations a front may ask (see ops.h).
 *
 * One row per operation: its wire name, the fields it may and must carry,
 * whether a blob may follow, whether it is answered without a tenant or
 * while the server drains. One row per field: its JSON type and bounds.
 * op_request_parse() holds a frame to both tables before any handler sees
 * it, so that a handler reads typed, bounded fields and nothing the table
 * did not name. The handlers are indexed by the same enum in
 * server/handlers.c: this file is also linked into the fronts (which name
 * operations with op_name()) and the unit tests, which have no handlers. */
#include "server/ops.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/jsontext.h"
#include "basic/limits.h"
#include "basic/utf8.h"

enum {
        F_TOKEN = 1u << 0,
        F_PEER = 1u << 1,
        F_STREAM = 1u << 2,
        F_SESSION = 1u << 3,
        F_PATH = 1u << 4,
        F_DIR = 1u << 5,
        F_BODY = 1u << 6, /* not a field: the blob is the body, a JSON object's text */
};
/* What every front adds to every request: the token, the client's
 * address and whether it reads a stream. */
#define F_ANY (F_TOKEN | F_PEER | F_STREAM)

static const struct op_def {
        const char *name;
        unsigned may;  /* fields it may carry, besides "op" */
        unsigned must; /* fields it must carry */
        bool blob;     /* a file's bytes may follow the JSON */
        bool is_public;
        bool while_draining;
} ops[OP__COUNT] = {
        [OP_HEALTH] = {"health", F_ANY, 0, false, true, true},
        [OP_METRICS] = {"metrics", F_ANY, 0, false, false, true},
        [OP_RUN] = {"run", F_ANY | F_BODY, F_BODY, false, false, false},
        [OP_SESSION_CREATE] = {"session.create", F_ANY | F_BODY, 0, false, false, false},
        [OP_SESSION_LIST] = {"session.list", F_ANY, 0, false, false, false},
        [OP_SESSION_GET] = {"session.get", F_ANY | F_SESSION, F_SESSION, false, false, false},
        [OP_SESSION_DELETE] = {"session.delete", F_ANY | F_SESSION, F_SESSION, false, false, false},
        [OP_CELL] = {"cell", F_ANY | F_SESSION | F_BODY, F_SESSION | F_BODY, false, false, false},
        [OP_FILE_PUT] = {"file.put", F_ANY | F_SESSION | F_PATH, F_SESSION | F_PATH, true, false, false},
        [OP_FILE_GET] = {"file.get", F_ANY | F_SESSION | F_PATH, F_SESSION | F_PATH, false, false, false},
        [OP_FILE_DELETE] = {"file.delete", F_ANY | F_SESSION | F_PATH, F_SESSION | F_PATH, false, false, false},
        [OP_FILE_LIST] = {"file.list", F_ANY | F_SESSION | F_DIR, F_SESSION, false, false, false},
};

typedef enum { T_STRING, T_BOOL } field_type;

static const struct field_def {
        const char *name;
        unsigned bit;
        field_type type;
        size_t min, max;                     /* bytes of a string */
        bool (*valid)(const char *, size_t); /* NULL: any UTF-8 without NUL */
} fields[] = {
        {"token", F_TOKEN, T_STRING, 1, WARD_API_TOKEN_MAX, NULL},
        {"peer", F_PEER, T_STRING, 1, WARD_API_PEER_MAX, NULL},
        {"stream", F_STREAM, T_BOOL, 0, 0, NULL},
        {"session", F_SESSION, T_STRING, 1, WARD_API_SESSION_ID_MAX, op_session_id_valid},
        {"path", F_PATH, T_STRING, 0, WARD_PATH_MAX, NULL},
        {"dir", F_DIR, T_STRING, 0, WARD_PATH_MAX, NULL},
};

const char *op_name(op_id op) {
        return op < OP__COUNT ? ops[op].name : NULL;
}

bool op_is_public(op_id op) {
        return op < OP__COUNT && ops[op].is_public;
}

bool op_while_draining(op_id op) {
        return op < OP__COUNT && ops[op].while_draining;
}

bool op_session_id_valid(const char *s, size_t len) {
        if (len < 1 || len > WARD_API_SESSION_ID_MAX)
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = s[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                      c == '-'))
                        return false;
        }
        return true;
}

static const struct field_def *field_find(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(fields); i++)
                if (strcmp(fields[i].name, name) == 0)
                        return &fields[i];
        return NULL;
}

/* One field against its row: its type, and for a string its length, no
 * NUL (jansson allows \u0000) and its own rule. */
static int field_check(const struct field_def *fd, const json_t *v, const char *op, ward_error *err) {
        switch (fd->type) {
        case T_BOOL:
                if (!json_is_boolean(v))
                        return err_set_at(err, -EINVAL, "invalid_request", fd->name, "%s: \"%s\" must be a boolean", op,
                                          fd->name);
                return 0;
        case T_STRING:
                break;
        }
        const char *s = json_string_value(v);
        size_t len = json_string_length(v);
        if (!s)
                return err_set_at(err, -EINVAL, "invalid_request", fd->name, "%s: \"%s\" must be a string", op,
                                  fd->name);
        if (len < fd->min || len > fd->max)
                return err_set_at(err, -EINVAL, "invalid_request", fd->name, "%s: \"%s\" must be %zu to %zu bytes", op,
                                  fd->name, fd->min, fd->max);
        if (!utf8_valid(s, len) || (fd->valid && !fd->valid(s, len)))
                return err_set_at(err, -EINVAL, "invalid_request", fd->name, "%s: \"%s\" has bytes it may not hold", op,
                                  fd->name);
        return 0;
}

int op_request_parse(const frame *f, op_request *ret, ward_error *err) {
        if (f->hdr.type != FRAME_REQUEST)
                return err_set_at(err, -EINVAL, "invalid_request", NULL, "not a request frame");
        json_error_t jerr;
        _cleanup_json_ json_t *doc =
                f->hdr.json_len > WARD_API_ENVELOPE_MAX
                        ? NULL
                        : json_load_bounded(f->json, f->hdr.json_len, JSON_REJECT_DUPLICATES, JSON_BOUNDS_INPUT, &jerr);
        const char *name = json_string_value(json_object_get(doc, "op"));
        if (!json_is_object(doc) || !name)
                return err_set_at(err, -EINVAL, "invalid_request", NULL, "malformed request");
        size_t k = 0;
        while (k < OP__COUNT && strcmp(ops[k].name, name) != 0)
                k++;
        if (k == OP__COUNT)
                return err_set_at(err, -ENOENT, "not_found", "op", "unknown operation '%.64s'", name);
        const struct op_def *od = &ops[k];
        op_request r = {.id = f->hdr.id, .op = (op_id)k};
        unsigned have = 0;
        const char *key;
        json_t *v;
        json_object_foreach(doc, key, v) {
                if (strcmp(key, "op") == 0)
                        continue;
                const struct field_def *fd = field_find(key);
                if (!fd || !(od->may & fd->bit))
                        return err_set_at(err, -EINVAL, "invalid_request", NULL, "%s: unknown field '%.64s'", od->name,
                                          key);
                int rr = field_check(fd, v, od->name, err);
                if (rr < 0)
                        return rr;
                have |= fd->bit;
        }
        unsigned missing = od->must & ~have & ~F_BODY;
        for (size_t i = 0; missing && i < ELEMENTSOF(fields); i++)
                if (missing & fields[i].bit)
                        return err_set_at(err, -EINVAL, "invalid_request", fields[i].name, "%s: \"%s\" is missing",
                                          od->name, fields[i].name);
        if (f->hdr.blob_len && !od->blob && !(od->may & F_BODY))
                return err_set_at(err, -EINVAL, "invalid_request", NULL, "%s: carries no bytes", od->name);
        r.token = json_string_value(json_object_get(doc, "token"));
        r.peer = json_string_value(json_object_get(doc, "peer"));
        r.session = json_string_value(json_object_get(doc, "session"));
        r.path = json_string_value(json_object_get(doc, "path"));
        r.dir = json_string_value(json_object_get(doc, "dir"));
        r.stream = json_is_true(json_object_get(doc, "stream"));
        r.blob = f->blob;
        r.blob_len = f->hdr.blob_len;
        r.doc = TAKE_PTR(doc);
        *ret = r;
        return 0;
}

int op_request_body(op_request *r, ward_error *err) {
        const struct op_def *od = &ops[r->op];
        if (!(od->may & F_BODY) || r->body)
                return 0;
        if (r->blob_len == 0) {
                if (od->must & F_BODY)
                        return err_set_at(err, -EINVAL, "invalid_body", "body", "the body must be a JSON object");
                return 0;
        }
        json_error_t jerr;
        json_t *body = json_load_bounded(r->blob, r->blob_len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
                                         JSON_BOUNDS_INPUT, &jerr);
        if (!body)
                return err_set_at(err, -EINVAL, "invalid_json", "body", "line %d, column %d: %s", jerr.line,
                                  jerr.column, jerr.text);
        if (!json_is_object(body)) {
                json_decref(body);
                return err_set_at(err, -EINVAL, "invalid_body", "body", "the body must be a JSON object");
        }
        r->body = body;
        r->blob = NULL;
        r->blob_len = 0;
        return 0;
}

void op_request_free(op_request *r) {
        json_decref(r->doc);
        r->doc = NULL;
        json_decref(r->body);
        r->body = NULL;
}
