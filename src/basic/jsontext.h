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

/* The document as text, plus a trailing newline when `newline`; at most
 * `max` bytes. 0, -ENOMEM, or -E2BIG past the cap. *ret is malloc'd and
 * NUL-terminated. */
int json_text(const json_t *doc, size_t flags, size_t max, int newline, char **ret, size_t *ret_len);

/* json_t held by a scope: decref'd when it ends (NULL is fine), with
 * jansson's own json_decrefp (as its json_auto_t does). */
#define _cleanup_json_ __attribute__((cleanup(json_decrefp)))
