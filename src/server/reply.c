/* Answers in frames (see reply.h). */
#include "server/reply.h"

#include <errno.h>
#include <nettle/base64.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/limits.h"
#include "server/apierror.h"
#include "server/frame.h"

static int send_doc(int fd, uint32_t type, uint64_t id, json_t *doc, const void *blob, size_t blob_len) {
        if (!doc)
                return -ENOMEM;
        _cleanup_free_ char *text = json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII);
        json_decref(doc);
        if (!text)
                return -ENOMEM;
        return frame_write(fd, type, id, text, strlen(text), blob, blob_len);
}

int reply_json_headers(int fd, uint64_t id, int status, json_t *body, json_t *headers) {
        json_t *doc = json_object();
        if (!doc || !body || json_object_set_new(doc, "status", json_integer(status)) < 0 ||
            json_object_set_new(doc, "body", body) < 0 ||
            (headers && json_object_set_new(doc, "headers", headers) < 0)) {
                json_decref(doc);
                return -ENOMEM;
        }
        return send_doc(fd, FRAME_REPLY, id, doc, NULL, 0);
}

int reply_json(int fd, uint64_t id, int status, json_t *body) {
        return reply_json_headers(fd, id, status, body, NULL);
}

int reply_error(int fd, uint64_t id, int status, const char *code, const char *field, unsigned retry_after_s,
                const char *fmt, ...) {
        char msg[WARD_ERROR_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        json_t *doc = json_pack("{s:i, s:{s:{s:s, s:s, s:o}}}", "status", status, "body", "error", "code", code,
                                "message", msg, "field", field ? json_string(field) : json_null());
        if (doc && retry_after_s) {
                char v[16];
                snprintf(v, sizeof v, "%u", retry_after_s);
                json_object_set_new(doc, "headers", json_pack("{s:s}", "Retry-After", v));
        }
        return send_doc(fd, FRAME_REPLY, id, doc, NULL, 0);
}

int reply_blob(int fd, uint64_t id, int status, const char *content_type, const void *data, size_t len) {
        return send_doc(fd, FRAME_REPLY, id, json_pack("{s:i, s:s}", "status", status, "content_type", content_type),
                        data, len);
}

int reply_chunk(int fd, uint64_t id, const char *type, const char *data, size_t len) {
        /* A piece of output may be binary, or end inside a UTF-8
         * character: then it goes as base64. */
        json_t *text = json_stringn(data, len);
        if (text)
                return send_doc(fd, FRAME_CHUNK, id, json_pack("{s:s, s:o}", "type", type, "data", text), NULL, 0);
        char *enc = malloc(BASE64_ENCODE_RAW_LENGTH(len) + 1);
        if (!enc)
                return -ENOMEM;
        base64_encode_raw(enc, len, (const uint8_t *)data);
        json_t *doc = json_pack("{s:s, s:s%, s:s}", "type", type, "data", enc, BASE64_ENCODE_RAW_LENGTH(len),
                                "encoding", "base64");
        free(enc);
        return send_doc(fd, FRAME_CHUNK, id, doc, NULL, 0);
}

int reply_ward_error(int fd, uint64_t id, const ward_error *e) {
        const char *code;
        unsigned status = apierror_status(e, &code);
        /* Nothing could be had just now (a sandbox, memory, a session
         * that restarts): a client may try again in a second. */
        unsigned retry_after_s = strcmp(code, "unavailable") == 0 ? 1 : 0;
        return reply_error(fd, id, (int)status, code, e->field[0] ? e->field : NULL, retry_after_s, "%s", e->msg);
}
