/* The parent's replies in the HTTP front, checked before a client sees
 * them.
 *
 * The parent is trusted, but what it sends goes out as HTTP: a
 * FRAME_REPLY's status must be a final one (200..599), its headers come
 * from a short allowlist, each one line of printable ASCII, its
 * content type likewise, and its JSON is re-encoded within
 * WARD_API_REPLY_JSON_MAX. A reply that breaks the contract is refused
 * here (-EBADMSG) and answered 502 by the caller. A stream's frames
 * become ndjson lines the same way. */
#include "server/front-internal.h"

#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "basic/cleanup.h"
#include "basic/jsontext.h"

/* Printable ASCII only (0x20..0x7e): what may go into a header. */
static bool printable(const char *s, size_t max) {
        size_t n = 0;
        for (; s[n]; n++)
                if ((unsigned char)s[n] < 0x20 || (unsigned char)s[n] > 0x7e || n >= max)
                        return false;
        return n > 0;
}

static const char *const reply_headers[] = {"Retry-After", "Location", "Content-Disposition"};

/* The headers object of a reply, onto resp. -EBADMSG for a name outside
 * the allowlist or a value that is not one line of printable ASCII. */
static int add_reply_headers(struct MHD_Response *resp, json_t *headers) {
        if (!headers)
                return 0;
        if (!json_is_object(headers))
                return -EBADMSG;
        const char *name;
        json_t *value;
        json_object_foreach(headers, name, value) {
                const char *canon = NULL;
                for (size_t i = 0; i < ELEMENTSOF(reply_headers); i++)
                        if (strcasecmp(name, reply_headers[i]) == 0)
                                canon = reply_headers[i];
                if (!canon || !json_is_string(value) || !printable(json_string_value(value), WARD_API_HEADER_VALUE_MAX))
                        return -EBADMSG;
                if (MHD_add_response_header(resp, canon, json_string_value(value)) != MHD_YES)
                        return -ENOMEM;
        }
        return 0;
}

/* The response for a reply's "content_type" and blob, or its "body", or
 * nothing. */
static struct MHD_Response *reply_content(frame *f, json_t *ctype, json_t *body, int *ret_err) {
        struct MHD_Response *resp;
        const char *type = NULL;
        *ret_err = -ENOMEM;
        if (ctype) {
                if (!json_is_string(ctype) || !printable(json_string_value(ctype), WARD_API_CONTENT_TYPE_MAX)) {
                        *ret_err = -EBADMSG;
                        return NULL;
                }
                type = json_string_value(ctype);
                if (f->hdr.blob_len == 0) {
                        resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
                } else {
                        resp = MHD_create_response_from_buffer((size_t)f->hdr.blob_len, f->blob, MHD_RESPMEM_MUST_FREE);
                        if (resp)
                                f->blob = NULL; /* libmicrohttpd frees it */
                }
        } else if (body) {
                char *text;
                size_t len;
                int r = json_text(body, JSON_COMPACT | JSON_ENCODE_ANY, WARD_API_REPLY_JSON_MAX, 0, &text, &len);
                if (r < 0) {
                        *ret_err = r == -E2BIG ? -EBADMSG : r;
                        return NULL;
                }
                type = CT_JSON;
                resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
                if (!resp)
                        free(text);
        } else {
                resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        }
        if (resp && type && MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES) {
                MHD_destroy_response(resp);
                resp = NULL;
        }
        return resp;
}

/* A FRAME_REPLY as an HTTP response; -EBADMSG for one that breaks the
 * contract (the caller answers 502). */
int front_reply_response(frame *f, struct MHD_Response **ret, unsigned *ret_status) {
        json_t *doc = json_loadb(f->json, f->hdr.json_len, JSON_REJECT_DUPLICATES, NULL);
        json_t *status = json_object_get(doc, "status");
        int r = -EBADMSG;
        /* 1xx cannot be a final answer. */
        if (!json_is_object(doc) || !json_is_integer(status) || json_integer_value(status) < 200 ||
            json_integer_value(status) > 599) {
                json_decref(doc);
                return r;
        }
        struct MHD_Response *resp =
                reply_content(f, json_object_get(doc, "content_type"), json_object_get(doc, "body"), &r);
        if (resp) {
                r = add_reply_headers(resp, json_object_get(doc, "headers"));
                /* The parent's refusals of a token get the challenge HTTP
                 * asks of every 401, as the front's own do. */
                if (r >= 0 && json_integer_value(status) == 401 &&
                    MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer") != MHD_YES)
                        r = -ENOMEM;
                if (r < 0) {
                        MHD_destroy_response(resp);
                        resp = NULL;
                }
        }
        if (resp) {
                *ret_status = (unsigned)json_integer_value(status);
                *ret = resp;
                r = 0;
        }
        json_decref(doc);
        return r;
}

/* A frame of a stream as its ndjson line: a chunk's object, or the final
 * reply's body (none when it has no JSON body). Returns 1 for the last
 * frame, 0 for a chunk, -EBADMSG for a frame that breaks the contract. */
int front_stream_line(request *q, const frame *f) {
        json_t *doc = json_loadb(f->json, f->hdr.json_len, JSON_REJECT_DUPLICATES, NULL);
        json_t *line = doc;
        bool last = f->hdr.type == FRAME_REPLY;
        int r = -EBADMSG;
        free(q->line);
        q->line = NULL;
        q->line_len = q->line_off = 0;
        if (last) {
                json_t *status = json_object_get(doc, "status");
                line = json_object_get(doc, "body");
                if (!json_is_object(doc) || !json_is_integer(status) || json_integer_value(status) < 200 ||
                    json_integer_value(status) > 599)
                        goto out;
                if (!line || json_is_null(line) || json_object_get(doc, "content_type")) {
                        r = 1;
                        goto out;
                }
        } else if (!json_is_object(line)) {
                goto out;
        }
        r = json_text(line, JSON_COMPACT | JSON_ENCODE_ANY, WARD_API_REPLY_JSON_MAX, 1, &q->line, &q->line_len);
        if (r == 0)
                r = last;
        else if (r == -E2BIG)
                r = -EBADMSG;
out:
        json_decref(doc);
        return r;
}
