/* The operations a face may ask of ward serve's parent, and the table
 * that admits them.
 *
 * Every request from a front (the HTTP front, ward mcp's) is one
 * FRAME_REQUEST whose JSON names an operation and carries a few fields.
 * The front is unprivileged and parses what clients send, so the parent
 * trusts nothing in it: ops.c holds one row per operation with the
 * fields it may carry, their types and bounds, whether it needs a tenant
 * and a blob; handlers.c holds its handler under the same enum. A frame with an unknown operation, an
 * unknown field or a field out of bounds is refused (and said on stderr),
 * never silently ignored. The fronts name operations with op_name(), so
 * that the wire names are written once. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/error.h"
#include "server/frame.h"

typedef enum op_id {
        OP_HEALTH,
        OP_METRICS,
        OP_RUN,
        OP_SESSION_CREATE,
        OP_SESSION_LIST,
        OP_SESSION_GET,
        OP_SESSION_DELETE,
        OP_CELL,
        OP_FILE_PUT,
        OP_FILE_GET,
        OP_FILE_DELETE,
        OP_FILE_LIST,
        OP__COUNT,
} op_id;

/* The operation's name on the wire ("session.create"). */
const char *op_name(op_id op);

/* A request as the table admitted it: every field checked, NULL (or
 * false) when absent. The strings are the envelope's (owned by doc); the
 * body is op_request_body's (owned here); the blob is the frame's. */
typedef struct op_request {
        uint64_t id; /* the frame's: the answer carries it */
        op_id op;
        const char *token;   /* the bearer token, as the client sent it */
        const char *peer;    /* the client's address, for logs */
        const char *session; /* a session id: [A-Za-z0-9_-], 1 to WARD_API_SESSION_ID_MAX bytes */
        const char *path;    /* a file's path in a session: UTF-8, at most WARD_PATH_MAX bytes */
        const char *dir;     /* a directory to list: likewise */
        bool stream;         /* answer with chunks as output comes */
        json_t *body;        /* an object, for the operations that take one (op_request_body) */
        const char *blob;    /* a file's bytes (file.put); the body's text until op_request_body */
        size_t blob_len;
        json_t *doc;
} op_request;

/* Checks a FRAME_REQUEST against the table. 0 with *ret filled (free it
 * with op_request_free), or a negative errno with err naming what was
 * wrong: reason "not_found" for an unknown operation, "invalid_request"
 * for a malformed frame (an envelope over WARD_API_ENVELOPE_MAX or
 * JSON_BOUNDS_INPUT), an unknown field or bytes where none may be, with
 * err->field naming the field. The body is not looked at: see
 * op_request_body. *ret is only touched on success. */
int op_request_parse(const frame *f, op_request *ret, ward_error *err);
/* The body of an operation that takes one, parsed from the blob (where the
 * fronts send it, as JSON text) within JSON_BOUNDS_INPUT: called once the
 * token is known good, so that nobody unknown makes the parent build a
 * tree. 0 (r->body set, or NULL for an optional body left out), or
 * invalid_json / invalid_body with field "body". */
int op_request_body(op_request *r, ward_error *err);
void op_request_free(op_request *r);

/* Whether the operation answers without a tenant (health). */
bool op_is_public(op_id op);
/* Whether the operation may still be asked while the server drains. */
bool op_while_draining(op_id op);

/* A session id as ward hands them out and every face accepts them:
 * 1 to WARD_API_SESSION_ID_MAX bytes of [A-Za-z0-9_-]. */
bool op_session_id_valid(const char *s, size_t len);
