/* Answers in frames: the JSON the front turns into an HTTP response. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/error.h"

/* {"status": status, "body": body}; steals body. */
int reply_json(int fd, uint64_t id, int status, json_t *body);
/* The same with response headers ({"Location": ...}); steals both. */
int reply_json_headers(int fd, uint64_t id, int status, json_t *body, json_t *headers);
/* {"status", "body": {"error": {"code", "message", "field"}}}, with a
 * Retry-After header when retry_after_s > 0. */
int reply_error(int fd, uint64_t id, int status, const char *code, const char *field, unsigned retry_after_s,
                const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/* {"status", "content_type"} with the bytes as the blob. */
int reply_blob(int fd, uint64_t id, int status, const char *content_type, const void *data, size_t len);
/* One streamed piece: {"type": stream, "data": text}. */
int reply_chunk(int fd, uint64_t id, const char *type, const char *data, size_t len);
/* e as an error reply: the status and code apierror_status() gives it,
 * its field (none when empty) and its message; Retry-After: 1 when the
 * code is "unavailable". */
int reply_ward_error(int fd, uint64_t id, const ward_error *e);
