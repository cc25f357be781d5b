/* Request bodies in the HTTP front, and the request they become.
 *
 * A body is kept only up to its route's cap (body_max for JSON, file_max
 * for a file): past it, the bytes are counted and dropped and the request
 * is answered 413. All bodies held at once, over every client, have a
 * ceiling too (WARD_API_BUFFERED_MAX, front.buffered): a request that
 * would pass it is answered 503. A body where none is expected (GET,
 * DELETE) is counted, not kept. Once read, a JSON body is checked here
 * (400 for bad JSON, for more values or deeper nesting than
 * JSON_BOUNDS_INPUT allows, or for anything but an object) and goes to
 * the parent as the FRAME_REQUEST's blob, after an envelope of JSON with
 * the route's parts, the token and the peer. */
#include "server/front-internal.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "basic/jsontext.h"

#define BODY_INITIAL (64u << 10)

/* Bodies checked at once: a check builds a tree of up to
 * WARD_JSON_VALUES_MAX values and copies the strings, so their number is
 * bounded, not only each one's size. */
static struct {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        unsigned n;
} parses = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};

static json_t *parse_body(const request *q, json_error_t *jerr) {
        pthread_mutex_lock(&parses.lock);
        while (parses.n >= WARD_API_PARSES_MAX)
                pthread_cond_wait(&parses.cond, &parses.lock);
        parses.n++;
        pthread_mutex_unlock(&parses.lock);
        json_t *body = json_load_bounded(q->body ? q->body : "", q->body_len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
                                         JSON_BOUNDS_INPUT, jerr);
        pthread_mutex_lock(&parses.lock);
        parses.n--;
        pthread_cond_signal(&parses.cond);
        pthread_mutex_unlock(&parses.lock);
        return body;
}

void front_body_drop(request *q) {
        if (q->body_alloc)
                atomic_fetch_sub(&front.buffered, q->body_alloc);
        free(q->body);
        q->body = NULL;
        q->body_len = q->body_alloc = 0;
}

/* Keeps up to the cap; past it, keeps nothing more and only counts. A
 * body where none is expected (GET, DELETE) is counted, not kept. */
void front_body_take(request *q, const char *data, size_t n) {
        if (q->too_large || q->over_budget) {
                q->discarded += n;
                return;
        }
        if (q->route.body == BODY_NONE) {
                q->body_len += n;
                q->too_large = q->body_len > q->body_cap;
                return;
        }
        if (q->body_len + n > q->body_cap) {
                q->too_large = true;
                q->discarded += n;
                front_body_drop(q);
                return;
        }
        if (q->body_len + n > q->body_alloc) {
                size_t want = q->body_alloc ? q->body_alloc : BODY_INITIAL;
                while (want < q->body_len + n)
                        want *= 2;
                if (want > q->body_cap)
                        want = (size_t)q->body_cap;
                /* All bodies held at once have a ceiling too: many clients
                 * each under their own cap must not exhaust memory. */
                uint64_t grow = want - q->body_alloc;
                if (atomic_fetch_add(&front.buffered, grow) + grow > WARD_API_BUFFERED_MAX) {
                        atomic_fetch_sub(&front.buffered, grow);
                        q->over_budget = true;
                        q->discarded += n;
                        front_body_drop(q);
                        return;
                }
                char *b = realloc(q->body, want);
                if (!b) {
                        atomic_fetch_sub(&front.buffered, grow);
                        q->over_budget = true;
                        q->discarded += n;
                        front_body_drop(q);
                        return;
                }
                q->body = b;
                q->body_alloc = want;
        }
        memcpy(q->body + q->body_len, data, n);
        q->body_len += n;
}

/* The request for the parent: its envelope as JSON (the operation, the
 * URL's parts, the token, the peer); the body goes as the frame's blob,
 * as the client sent it, once checked here to be one JSON object within
 * the bounds on values and nesting (JSON_BOUNDS_INPUT). The tree built
 * for the check is not kept. */
int front_build_request(request *q, char **ret, size_t *ret_len, ward_error *e) {
        if ((q->route.body == BODY_OBJECT || q->route.body == BODY_OBJECT_OR_EMPTY) &&
            !(q->body_len == 0 && q->route.body == BODY_OBJECT_OR_EMPTY)) {
                json_error_t jerr;
                json_t *body = parse_body(q, &jerr);
                if (!body)
                        return front_error(e, -EINVAL, "invalid_json", "body", "line %d, column %d: %s", jerr.line,
                                           jerr.column, jerr.text);
                bool object = json_is_object(body);
                json_decref(body);
                if (!object)
                        return front_error(e, -EINVAL, "invalid_body", "body",
                                           "the request body must be a JSON object");
        }
        json_t *doc = json_object();
        int bad = !doc;
        bad |= json_object_set_new(doc, "op", json_string(q->route.op));
        bad |= json_object_set_new(doc, "stream", json_boolean(q->stream));
        if (q->peer[0])
                bad |= json_object_set_new(doc, "peer", json_string(q->peer));
        if (q->token[0])
                bad |= json_object_set_new(doc, "token", json_string(q->token));
        if (q->route.session[0])
                bad |= json_object_set_new(doc, "session", json_string(q->route.session));
        if (q->route.path)
                bad |= json_object_set_new(doc, "path", json_string(q->route.path));
        if (q->route.dir)
                bad |= json_object_set_new(doc, "dir", json_string(q->route.dir));
        int r = bad ? -ENOMEM : json_text(doc, JSON_COMPACT, WARD_API_ENVELOPE_MAX, 0, ret, ret_len);
        json_decref(doc);
        if (r < 0)
                return front_error(e, -ENOMEM, "unavailable", NULL, "out of memory");
        return 0;
}
