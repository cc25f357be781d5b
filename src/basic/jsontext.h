/* JSON documents to text, with every failure seen.
 *
 * jansson's json_dumps can return a damaged string when an allocation
 * fails in the middle of a dump (seen with jansson 2.14 under fault
 * injection: a key went missing, the rest was printed). A result or an
 * audit line that is not exactly the document must never be written, so
 * the text is collected here, through json_dump_callback, into a capped
 * buffer whose every failure is remembered whatever jansson returns. */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "basic/limits.h"

/* The document as text, plus a trailing newline when `newline`; at most
 * `max` bytes. 0, -ENOMEM, or -E2BIG past the cap. *ret is malloc'd and
 * NUL-terminated. */
int json_text(const json_t *doc, size_t flags, size_t max, int newline, char **ret, size_t *ret_len);

/* What a document from outside may hold: its values (each object, array,
 * string, number and literal, a member's name included) and its nesting. */
typedef struct json_bounds {
        size_t values;
        unsigned depth;
} json_bounds;

/* The bounds for everything that reaches ward from outside: API bodies,
 * frames from a front, MCP messages, what a session's driver says. */
#define JSON_BOUNDS_INPUT ((json_bounds){.values = WARD_JSON_VALUES_MAX, .depth = WARD_JSON_DEPTH_MAX})

/* json_loadb, after a scan of the text that allocates nothing and refuses
 * more than b.values values or nesting deeper than b.depth: jansson's
 * tree costs tens of bytes a value, so a body of "[]," repeated would
 * otherwise cost some forty times its size. On a refusal, jerr says which
 * bound and where, as jansson's own errors do (its text starts "too many
 * values" or "nested deeper"). */
json_t *json_load_bounded(const char *text, size_t len, size_t flags, json_bounds b, json_error_t *jerr);

/* json_t held by a scope: decref'd when it ends (NULL is fine), with
 * jansson's own json_decrefp (as its json_auto_t does). */
#define _cleanup_json_ __attribute__((cleanup(json_decrefp)))
