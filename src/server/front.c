/* The HTTP front of ward serve: requests in, frames out (see front.h).
 *
 * Threads. libmicrohttpd runs one thread per client connection (poll,
 * internal polling thread); each request's handler builds its
 * FRAME_REQUEST, writes it under write_lock and sleeps on its own eventfd
 * until its answer comes. The process's main thread is the only reader of
 * the parent's socket: it hands each frame to the waiter with the same id
 * and never blocks on anything but ppoll, so a parent busy writing to us is
 * always read, whoever is writing to it. Replies for different requests
 * may interleave; frames for an id nobody waits for any more (the client
 * went away) are dropped.
 *
 * The contract with the parent, frame by frame:
 *   FRAME_REQUEST  {"op", "stream", "peer", and as they apply "token",
 *                  "session", "path", "dir", "body"}; blob: a PUT file.
 *   FRAME_CHUNK    (stream requests only) one JSON object, sent to the
 *                  client as one ndjson line.
 *   FRAME_REPLY    {"status": 200..599, "body": any JSON} -> that JSON, or
 *                  {"status", "content_type": "..."} -> the blob, raw, or
 *                  {"status"} alone -> an empty body; optional "headers"
 *                  among Retry-After, Location, Content-Disposition.
 *                  Anything else is answered 502 to the client.
 *   FRAME_CANCEL   "{}": the client went away; drop the work if you can.
 *
 * Everything a client sends is bounded: headers by libmicrohttpd's
 * per-connection memory, bodies by body_max or file_max (413), all bodies
 * held at once by WARD_API_BUFFERED_MAX (503), tokens, session ids and
 * paths by their own caps. The parent is trusted but a bad frame from it
 * is a 502 or the front's orderly end, never a crash. */
#include "server/front.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/clock.h"
#include "basic/fd.h"
#include "basic/jsontext.h"
#include "basic/limits.h"
#include "basic/parse.h"
#include "basic/utf8.h"

/* The OpenAPI document (openapi.json), embedded at build time: the bytes
 * as xxd -i writes them, and a NUL. */
static const char front_openapi[] = {
#include "server/openapi-json.h"
        , 0};
#define FRONT_OPENAPI_LEN (sizeof front_openapi - 1)

#define CT_JSON "application/json"
#define CT_NDJSON "application/x-ndjson"
#define STREAM_BLOCK (64u << 10)
#define BODY_INITIAL (64u << 10)

/* A frame from the parent, waiting for its request's thread. */
typedef struct queued {
        struct queued *next;
        frame f;
} queued;

/* One request in flight, as the reader thread sees it. Every field is
 * under front.lock. */
typedef struct waiter {
        struct waiter *next; /* in front.waiters while registered */
        uint64_t id;
        bool registered;
        bool stream;
        queued *head, **tail;
        uint64_t queued_bytes;
        int failed;         /* 0, or why no more frames will come: -EPIPE... */
        bool cancel_needed; /* failed while the parent still works on it */
        int efd;            /* eventfd: written when something arrives */
} waiter;

enum body_kind { BODY_NONE, BODY_OBJECT, BODY_OBJECT_OR_EMPTY, BODY_BLOB };

typedef struct request {
        atomic_int refs; /* libmicrohttpd's (until completed) and a stream response's */
        struct MHD_Connection *conn;
        int client_fd;
        /* the route */
        const char *op; /* NULL: served by the front itself */
        enum body_kind body_kind;
        char session[WARD_API_SESSION_ID_MAX + 1];
        char *path, *dir;
        bool stream;
        char token[WARD_API_TOKEN_MAX + 1];
        char peer[INET6_ADDRSTRLEN];
        /* the body, capped */
        char *body;
        size_t body_len, body_alloc;
        uint64_t body_cap;
        uint64_t discarded;
        bool too_large, over_budget;
        bool refused; /* early holds the answer, given once the request is read */
        struct http_error *early;
        /* forwarding */
        bool active; /* counted in front.active */
        waiter w;
        /* a streamed answer: the line being written */
        char *line;
        size_t line_len, line_off;
        bool stream_end;
} request;

static struct front {
        front_opts o;
        pthread_mutex_t lock;       /* waiters, flags, counters below */
        pthread_mutex_t write_lock; /* frames to the parent */
        waiter *waiters;
        uint64_t next_id;
        unsigned active; /* requests forwarded and not completed */
        bool parent_gone, draining;
        char gone_why[128];
        atomic_uint_fast64_t buffered; /* bytes of request bodies held */
} F = {
        .lock = PTHREAD_MUTEX_INITIALIZER,
        .write_lock = PTHREAD_MUTEX_INITIALIZER,
};

static volatile sig_atomic_t got_term;

/* One line on stderr, in one write (fd_write_line). */
#define say(...) fd_write_line(STDERR_FILENO, "ward serve: front: ", __VA_ARGS__)

/* ---- text checks ---- */

/* Printable ASCII only (0x20..0x7e): what may go into a header. */
static bool printable(const char *s, size_t max) {
        size_t n = 0;
        for (; s[n]; n++)
                if ((unsigned char)s[n] < 0x20 || (unsigned char)s[n] > 0x7e || n >= max)
                        return false;
        return n > 0;
}

static int hexval(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* %XX decoding of n bytes (libmicrohttpd hands the URL over undecoded:
 * its own decoder would cut a path at a %00). The result may hold NUL
 * bytes; -EINVAL for a broken escape. */
static int pct_decode(const char *s, size_t n, char **ret, size_t *ret_len) {
        char *out = malloc(n + 1);
        size_t o = 0;
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                if (s[i] != '%') {
                        out[o++] = s[i];
                        continue;
                }
                int hi = i + 1 < n ? hexval(s[i + 1]) : -1;
                int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
                if (hi < 0 || lo < 0) {
                        free(out);
                        return -EINVAL;
                }
                out[o++] = (char)(hi << 4 | lo);
                i += 2;
        }
        out[o] = '\0';
        *ret_len = o;
        *ret = out;
        return 0;
}

/* ---- waiters: what the reader thread hands over ---- */

static void wake(waiter *w) {
        uint64_t one = 1;
        /* Non-blocking; a counter already non-zero is enough of a wake-up. */
        (void)!write(w->efd, &one, sizeof one);
}

/* Under F.lock. */
static void unregister(waiter *w) {
        if (!w->registered)
                return;
        for (waiter **p = &F.waiters; *p; p = &(*p)->next)
                if (*p == w) {
                        *p = w->next;
                        break;
                }
        w->next = NULL;
        w->registered = false;
}

/* Under F.lock: no more frames will come for w. */
static void fail_waiter(waiter *w, int why, bool cancel) {
        if (!w->failed)
                w->failed = why;
        w->cancel_needed = cancel && w->registered;
        unregister(w);
        wake(w);
}

/* Under F.lock: the parent is gone; every waiter answers 503. */
static void fail_all(const char *why) {
        if (!F.parent_gone && why)
                snprintf(F.gone_why, sizeof F.gone_why, "%s", why);
        F.parent_gone = true;
        while (F.waiters)
                fail_waiter(F.waiters, -EPIPE, false);
}

/* The reader thread's half: a frame from the parent to its waiter. */
static void dispatch(frame *f) {
        pthread_mutex_lock(&F.lock);
        waiter *w = F.waiters;
        while (w && w->id != f->hdr.id)
                w = w->next;
        if (!w || (f->hdr.type != FRAME_REPLY && f->hdr.type != FRAME_CHUNK)) {
                /* The client went away (its frames are dropped), or a
                 * frame the front never answers to. */
                pthread_mutex_unlock(&F.lock);
                frame_free(f);
                return;
        }
        if (f->hdr.type == FRAME_CHUNK && !w->stream) {
                fail_waiter(w, -EBADMSG, true);
        } else if (f->hdr.type == FRAME_CHUNK &&
                   w->queued_bytes + f->hdr.json_len + f->hdr.blob_len > WARD_API_STREAM_QUEUE_MAX) {
                /* The client reads slower than the parent writes: the
                 * queue would grow without bound. */
                fail_waiter(w, -ENOBUFS, true);
        } else {
                queued *q = calloc(1, sizeof *q);
                if (!q) {
                        fail_waiter(w, -ENOMEM, true);
                } else {
                        q->f = *f;
                        memset(f, 0, sizeof *f);
                        *w->tail = q;
                        w->tail = &q->next;
                        w->queued_bytes += q->f.hdr.json_len + q->f.hdr.blob_len;
                        if (q->f.hdr.type == FRAME_REPLY)
                                unregister(w); /* the last frame for this id */
                        wake(w);
                }
        }
        pthread_mutex_unlock(&F.lock);
        frame_free(f);
}

static void drop_queue(waiter *w) {
        while (w->head) {
                queued *q = w->head;
                w->head = q->next;
                frame_free(&q->f);
                free(q);
        }
        w->tail = &w->head;
        w->queued_bytes = 0;
}

/* A frame to the parent failed part-way: the stream is out of step, so
 * the parent connection is over. Only a parent that stopped reading is
 * an error worth an exit status; one that closed its end is an ending. */
static void parent_write_failed(int r) {
        pthread_mutex_lock(&F.lock);
        fail_all(r == -ETIMEDOUT ? "the parent took no frame for 10 s" : NULL);
        pthread_mutex_unlock(&F.lock);
        (void)shutdown(F.o.parent_fd, SHUT_RDWR);
}

static void send_cancel(uint64_t id) {
        pthread_mutex_lock(&F.lock);
        bool gone = F.parent_gone;
        pthread_mutex_unlock(&F.lock);
        if (gone)
                return;
        pthread_mutex_lock(&F.write_lock);
        int r = frame_write_timeout(F.o.parent_fd, FRAME_CANCEL, id, NULL, 0, NULL, 0, WARD_API_WRITE_TIMEOUT_MS);
        pthread_mutex_unlock(&F.write_lock);
        if (r < 0)
                parent_write_failed(r);
}

/* The request is over for the front (client gone, answer given up): the
 * parent hears of it if it still works on it. */
static void abandon(request *q) {
        pthread_mutex_lock(&F.lock);
        bool cancel = q->w.registered || q->w.cancel_needed;
        q->w.cancel_needed = false;
        unregister(&q->w);
        drop_queue(&q->w);
        pthread_mutex_unlock(&F.lock);
        if (cancel)
                send_cancel(q->w.id);
}

enum wait_result { WAIT_FRAME, WAIT_FAILED, WAIT_CLIENT_GONE, WAIT_TIMEOUT };

/* Waits for the next frame for q, the client's going away, or the
 * deadline. */
static enum wait_result wait_frame(request *q, frame *ret, int *ret_why) {
        uint64_t deadline = clock_mono_ms() + (uint64_t)F.o.reply_timeout_s * 1000;
        for (;;) {
                pthread_mutex_lock(&F.lock);
                queued *h = q->w.head;
                if (h) {
                        q->w.head = h->next;
                        if (!q->w.head)
                                q->w.tail = &q->w.head;
                        q->w.queued_bytes -= h->f.hdr.json_len + h->f.hdr.blob_len;
                }
                int failed = q->w.failed;
                pthread_mutex_unlock(&F.lock);
                if (h) {
                        *ret = h->f;
                        free(h);
                        return WAIT_FRAME;
                }
                if (failed) {
                        *ret_why = failed;
                        return WAIT_FAILED;
                }
                int left = clock_ms_left(deadline);
                if (left == 0)
                        return WAIT_TIMEOUT;
                /* POLLRDHUP: the client closed its end (a client that only
                 * half-closes after its request is taken as gone too). */
                struct pollfd p[2] = {
                        {.fd = q->w.efd, .events = POLLIN},
                        {.fd = q->client_fd, .events = POLLRDHUP},
                };
                int n = poll(p, 2, left > 60000 ? 60000 : left);
                if (n < 0 && errno != EINTR)
                        return WAIT_CLIENT_GONE;
                if (n > 0 && (p[0].revents & POLLIN)) {
                        uint64_t v;
                        (void)!read(q->w.efd, &v, sizeof v);
                }
                if (n > 0 && (p[1].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)))
                        return WAIT_CLIENT_GONE;
        }
}

/* ---- answers ---- */

typedef struct http_error {
        unsigned status;
        const char *code;
        const char *field;
        const char *allow;
        char message[WARD_API_MESSAGE_MAX];
} http_error;

__attribute__((format(printf, 5, 6))) static int set_error(http_error *e, unsigned status, const char *code,
                                                           const char *field, const char *fmt, ...) {
        va_list ap;
        e->status = status;
        e->code = code;
        e->field = field;
        e->allow = NULL;
        va_start(ap, fmt);
        // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): ap is started just above; a false positive of LLVM 14 (llvm-project#40656)
        vsnprintf(e->message, sizeof e->message, fmt, ap);
        va_end(ap);
        /* Messages may quote the client's bytes (jansson's "near '...'"):
         * only printable ASCII goes out. */
        for (char *c = e->message; *c; c++)
                if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
                        *c = '?';
        return -1;
}

static enum MHD_Result queue_json_text(struct MHD_Connection *c, unsigned status, char *text, size_t len,
                                       const http_error *e) {
        struct MHD_Response *resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
        if (!resp) {
                free(text);
                return MHD_NO;
        }
        bool ok = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, CT_JSON) == MHD_YES;
        if (e && e->allow)
                ok = ok && MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, e->allow) == MHD_YES;
        if (e && e->status == MHD_HTTP_UNAUTHORIZED)
                ok = ok && MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer") == MHD_YES;
        pthread_mutex_lock(&F.lock);
        bool closing = F.draining || F.parent_gone;
        pthread_mutex_unlock(&F.lock);
        if (closing)
                ok = ok && MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close") == MHD_YES;
        enum MHD_Result r = ok ? MHD_queue_response(c, status, resp) : MHD_NO;
        MHD_destroy_response(resp);
        return r;
}

/* {"error": {"code", "message", "field"}}, never failing for want of
 * memory: a fixed body stands in. */
static char *error_text(const http_error *e, size_t *ret_len) {
        json_t *doc =
                json_pack("{s:{s:s, s:s, s:s?}}", "error", "code", e->code, "message", e->message, "field", e->field);
        char *text = NULL;
        if (!doc || json_text(doc, JSON_COMPACT, 4096, 0, &text, ret_len) < 0) {
                static const char fallback[] = "{\"error\":{\"code\":\"internal\",\"message\":\"out of "
                                               "memory\",\"field\":null}}";
                text = strdup(fallback);
                *ret_len = text ? sizeof fallback - 1 : 0;
        }
        json_decref(doc);
        return text;
}

static enum MHD_Result answer_error(struct MHD_Connection *c, const http_error *e) {
        size_t len;
        char *text = error_text(e, &len);
        if (!text)
                return MHD_NO;
        return queue_json_text(c, e->status, text, len, e);
}

/* A line of ndjson saying why a stream ends early. */
static void error_line(request *q, const http_error *e) {
        size_t len;
        char *text = error_text(e, &len);
        free(q->line);
        q->line = NULL;
        q->line_len = q->line_off = 0;
        if (text) {
                char *l = realloc(text, len + 1);
                if (l) {
                        l[len] = '\n';
                        q->line = l;
                        q->line_len = len + 1;
                } else {
                        free(text);
                }
        }
        q->stream_end = true;
}

static void failure_error(http_error *e, int why) {
        if (why == -EBADMSG)
                set_error(e, MHD_HTTP_BAD_GATEWAY, "bad_gateway", NULL, "the server sent a malformed answer");
        else if (why == -ENOBUFS)
                set_error(e, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable", NULL, "the stream was not read fast enough");
        else
                set_error(e, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable", NULL, "the server is not available");
}

/* ---- the parent's answers, checked ---- */

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
static int reply_response(frame *f, struct MHD_Response **ret, unsigned *ret_status) {
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
static int stream_line(request *q, const frame *f) {
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

static void request_unref(request *q);

/* libmicrohttpd asks for more of a streamed answer: the line in hand, or
 * the next frame's. Blocks; each connection has its own thread. */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max) {
        request *q = cls;
        (void)pos;
        for (;;) {
                if (q->line_off < q->line_len) {
                        size_t n = q->line_len - q->line_off;
                        if (n > max)
                                n = max;
                        memcpy(buf, q->line + q->line_off, n);
                        q->line_off += n;
                        return (ssize_t)n;
                }
                if (q->stream_end)
                        return MHD_CONTENT_READER_END_OF_STREAM;
                frame f;
                int why = 0;
                http_error e;
                switch (wait_frame(q, &f, &why)) {
                case WAIT_FRAME: {
                        int r = stream_line(q, &f);
                        frame_free(&f);
                        if (r < 0) {
                                abandon(q);
                                failure_error(&e, r == -EBADMSG ? -EBADMSG : -ENOMEM);
                                error_line(q, &e);
                        } else if (r == 1) {
                                q->stream_end = true;
                        }
                        break;
                }
                case WAIT_FAILED:
                        abandon(q);
                        failure_error(&e, why);
                        error_line(q, &e);
                        break;
                case WAIT_TIMEOUT:
                        abandon(q);
                        set_error(&e, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable", NULL,
                                  "the server did not answer in time");
                        error_line(q, &e);
                        break;
                case WAIT_CLIENT_GONE:
                        /* on_completed sends the cancel. */
                        return MHD_CONTENT_READER_END_WITH_ERROR;
                }
        }
}

static void stream_free(void *cls) {
        request_unref(cls);
}

/* ---- requests ---- */

static void request_unref(request *q) {
        if (!q || atomic_fetch_sub(&q->refs, 1) != 1)
                return;
        pthread_mutex_lock(&F.lock);
        unregister(&q->w);
        drop_queue(&q->w);
        pthread_mutex_unlock(&F.lock);
        if (q->body_alloc)
                atomic_fetch_sub(&F.buffered, q->body_alloc);
        free(q->body);
        free(q->path);
        free(q->dir);
        free(q->line);
        free(q->early);
        if (q->w.efd >= 0)
                close(q->w.efd);
        free(q);
}

static request *request_new(struct MHD_Connection *c) {
        request *q = calloc(1, sizeof *q);
        if (!q)
                return NULL;
        atomic_init(&q->refs, 1);
        q->conn = c;
        q->w.efd = -1;
        q->w.tail = &q->w.head;
        const union MHD_ConnectionInfo *fd = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        q->client_fd = fd ? fd->connect_fd : -1;
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (ci && ci->client_addr) {
                const struct sockaddr *sa = ci->client_addr;
                if (sa->sa_family == AF_INET)
                        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, q->peer,
                                  sizeof q->peer);
                else if (sa->sa_family == AF_INET6)
                        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, q->peer,
                                  sizeof q->peer);
        }
        return q;
}

/* ---- routing ---- */

static bool valid_session_id(const char *s, size_t n) {
        if (n < 1 || n > WARD_API_SESSION_ID_MAX)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                      c == '-'))
                        return false;
        }
        return true;
}

/* A path from the URL or the query: decoded, NUL-free, at most
 * WARD_PATH_MAX bytes, UTF-8 (it travels as a JSON string). */
static int take_path(const char *raw, size_t n, const char *field, char **ret, http_error *e) {
        char *p;
        size_t len;
        int r = pct_decode(raw, n, &p, &len);
        if (r == -ENOMEM)
                return set_error(e, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable", NULL, "out of memory");
        if (r < 0)
                return set_error(e, MHD_HTTP_BAD_REQUEST, "invalid_request", field, "%s: a broken %%-escape", field);
        if (memchr(p, '\0', len)) {
                free(p);
                return set_error(e, MHD_HTTP_BAD_REQUEST, "invalid_request", field, "%s: a NUL byte", field);
        }
        if (len > WARD_PATH_MAX) {
                free(p);
                return set_error(e, MHD_HTTP_BAD_REQUEST, "invalid_request", field, "%s: longer than %u bytes", field,
                                 WARD_PATH_MAX);
        }
        if (!utf8_valid(p, len)) {
                free(p);
                return set_error(e, MHD_HTTP_BAD_REQUEST, "invalid_request", field, "%s: not UTF-8", field);
        }
        *ret = p;
        return 0;
}

static bool is(const char *method, const char *m) {
        return strcmp(method, m) == 0;
}

/* GET covers HEAD: libmicrohttpd leaves the body out. */
static bool is_get(const char *method) {
        return is(method, MHD_HTTP_METHOD_GET) || is(method, MHD_HTTP_METHOD_HEAD);
}

static int method_not_allowed(http_error *e, const char *allow, const char *method) {
        set_error(e, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed", NULL, "%.16s is not allowed here; use %s",
                  method, allow);
        e->allow = allow;
        return -1;
}

/* The URL and method to an op, or an error. */
static int route(request *q, struct MHD_Connection *c, const char *url, const char *method, http_error *e) {
        static const char sessions[] = "/v1/sessions";
        q->body_kind = BODY_NONE;
        if (strcmp(url, "/healthz") == 0 || strcmp(url, "/metrics") == 0) {
                if (!is_get(method))
                        return method_not_allowed(e, "GET, HEAD", method);
                q->op = url[1] == 'h' ? "health" : "metrics";
                return 0;
        }
        if (strcmp(url, "/v1/openapi.json") == 0) {
                if (!is_get(method))
                        return method_not_allowed(e, "GET, HEAD", method);
                q->op = NULL;
                return 0;
        }
        if (strcmp(url, "/v1/runs") == 0) {
                if (!is(method, MHD_HTTP_METHOD_POST))
                        return method_not_allowed(e, "POST", method);
                q->op = "run";
                q->body_kind = BODY_OBJECT;
                return 0;
        }
        if (strcmp(url, sessions) == 0) {
                if (is_get(method)) {
                        q->op = "session.list";
                } else if (is(method, MHD_HTTP_METHOD_POST)) {
                        q->op = "session.create";
                        q->body_kind = BODY_OBJECT_OR_EMPTY;
                } else {
                        return method_not_allowed(e, "GET, HEAD, POST", method);
                }
                return 0;
        }
        if (strncmp(url, sessions, sizeof sessions - 1) != 0 || url[sizeof sessions - 1] != '/')
                return set_error(e, MHD_HTTP_NOT_FOUND, "not_found", NULL, "no such route");

        /* /v1/sessions/{id}[/...] */
        const char *id = url + sizeof sessions;
        size_t id_len = strcspn(id, "/");
        const char *rest = id + id_len;
        char *dec;
        size_t dec_len;
        int r = pct_decode(id, id_len, &dec, &dec_len);
        if (r == -ENOMEM)
                return set_error(e, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable", NULL, "out of memory");
        bool ok = r == 0 && valid_session_id(dec, dec_len);
        if (ok)
                memcpy(q->session, dec, dec_len + 1);
        if (r == 0)
                free(dec);
        if (!ok)
                return set_error(e, MHD_HTTP_NOT_FOUND, "not_found", NULL, "no such session");

        if (*rest == '\0') {
                if (is_get(method))
                        q->op = "session.get";
                else if (is(method, MHD_HTTP_METHOD_DELETE))
                        q->op = "session.delete";
                else
                        return method_not_allowed(e, "GET, HEAD, DELETE", method);
                return 0;
        }
        if (strcmp(rest, "/cells") == 0) {
                if (!is(method, MHD_HTTP_METHOD_POST))
                        return method_not_allowed(e, "POST", method);
                q->op = "cell";
                q->body_kind = BODY_OBJECT;
                return 0;
        }
        if (strcmp(rest, "/files") == 0 || strcmp(rest, "/files/") == 0) {
                if (!is_get(method))
                        return method_not_allowed(e, "GET, HEAD", method);
                q->op = "file.list";
                const char *dir = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "dir");
                return take_path(dir ? dir : "", dir ? strlen(dir) : 0, "dir", &q->dir, e);
        }
        if (strncmp(rest, "/files/", 7) != 0)
                return set_error(e, MHD_HTTP_NOT_FOUND, "not_found", NULL, "no such route");
        if (is_get(method)) {
                q->op = "file.get";
        } else if (is(method, MHD_HTTP_METHOD_PUT)) {
                q->op = "file.put";
                q->body_kind = BODY_BLOB;
        } else if (is(method, MHD_HTTP_METHOD_DELETE)) {
                q->op = "file.delete";
        } else {
                return method_not_allowed(e, "GET, HEAD, PUT, DELETE", method);
        }
        return take_path(rest + 7, strlen(rest + 7), "path", &q->path, e);
}

/* ---- headers ---- */

typedef struct header_scan {
        unsigned authorization;
        const char *auth_value;
        bool ndjson;
} header_scan;

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
        header_scan *h = cls;
        (void)kind;
        if (!key || !value)
                return MHD_YES;
        if (strcasecmp(key, MHD_HTTP_HEADER_AUTHORIZATION) == 0) {
                h->authorization++;
                h->auth_value = value;
        } else if (strcasecmp(key, MHD_HTTP_HEADER_ACCEPT) == 0 && strcasestr(value, CT_NDJSON)) {
                h->ndjson = true;
        }
        return MHD_YES;
}

/* "Bearer <token>", the token 1..512 visible ASCII characters. One
 * Authorization header at most: two could be read differently by the
 * front and a proxy before it. */
static int take_headers(request *q, struct MHD_Connection *c, http_error *e) {
        header_scan h = {0};
        MHD_get_connection_values(c, MHD_HEADER_KIND, scan_header, &h);
        q->stream = h.ndjson;
        if (h.authorization == 0)
                return 0;
        const char *v = h.auth_value;
        if (h.authorization > 1 || strncasecmp(v, "Bearer ", 7) != 0)
                return set_error(e, MHD_HTTP_UNAUTHORIZED, "unauthorized", NULL,
                                 "the Authorization header must be 'Bearer <token>'");
        v += 7;
        while (*v == ' ')
                v++;
        size_t n = 0;
        while (v[n] > 0x20 && v[n] < 0x7f)
                n++;
        if (n == 0 || n > WARD_API_TOKEN_MAX || v[n] != '\0')
                return set_error(e, MHD_HTTP_UNAUTHORIZED, "unauthorized", NULL,
                                 "the bearer token must be 1 to %u visible ASCII characters", WARD_API_TOKEN_MAX);
        memcpy(q->token, v, n + 1);
        return 0;
}

/* ---- bodies ---- */

static void body_drop(request *q) {
        if (q->body_alloc)
                atomic_fetch_sub(&F.buffered, q->body_alloc);
        free(q->body);
        q->body = NULL;
        q->body_len = q->body_alloc = 0;
}

/* Keeps up to the cap; past it, keeps nothing more and only counts. A
 * body where none is expected (GET, DELETE) is counted, not kept. */
static void body_take(request *q, const char *data, size_t n) {
        if (q->too_large || q->over_budget) {
                q->discarded += n;
                return;
        }
        if (q->body_kind == BODY_NONE) {
                q->body_len += n;
                q->too_large = q->body_len > q->body_cap;
                return;
        }
        if (q->body_len + n > q->body_cap) {
                q->too_large = true;
                q->discarded += n;
                body_drop(q);
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
                if (atomic_fetch_add(&F.buffered, grow) + grow > WARD_API_BUFFERED_MAX) {
                        atomic_fetch_sub(&F.buffered, grow);
                        q->over_budget = true;
                        q->discarded += n;
                        body_drop(q);
                        return;
                }
                char *b = realloc(q->body, want);
                if (!b) {
                        atomic_fetch_sub(&F.buffered, grow);
                        q->over_budget = true;
                        q->discarded += n;
                        body_drop(q);
                        return;
                }
                q->body = b;
                q->body_alloc = want;
        }
        memcpy(q->body + q->body_len, data, n);
        q->body_len += n;
}

/* The JSON request for the parent. */
static int build_request(request *q, char **ret, size_t *ret_len, http_error *e) {
        json_t *body = NULL;
        if (q->body_kind == BODY_OBJECT || q->body_kind == BODY_OBJECT_OR_EMPTY) {
                if (q->body_len == 0 && q->body_kind == BODY_OBJECT_OR_EMPTY) {
                        body = json_object();
                } else {
                        json_error_t jerr;
                        body = json_loadb(q->body ? q->body : "", q->body_len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
                                          &jerr);
                        if (!body)
                                return set_error(e, MHD_HTTP_BAD_REQUEST, "invalid_json", "body",
                                                 "line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
                }
                if (!json_is_object(body)) {
                        json_decref(body);
                        return set_error(e, MHD_HTTP_BAD_REQUEST, "invalid_body", "body",
                                         "the request body must be a JSON object");
                }
                body_drop(q); /* the text is not needed any more */
        }
        json_t *doc = json_object();
        int bad = !doc;
        bad |= json_object_set_new(doc, "op", json_string(q->op));
        bad |= json_object_set_new(doc, "stream", json_boolean(q->stream));
        if (q->peer[0])
                bad |= json_object_set_new(doc, "peer", json_string(q->peer));
        if (q->token[0])
                bad |= json_object_set_new(doc, "token", json_string(q->token));
        if (q->session[0])
                bad |= json_object_set_new(doc, "session", json_string(q->session));
        if (q->path)
                bad |= json_object_set_new(doc, "path", json_string(q->path));
        if (q->dir)
                bad |= json_object_set_new(doc, "dir", json_string(q->dir));
        if (body)
                bad |= json_object_set_new(doc, "body", body);
        int r = bad ? -ENOMEM : json_text(doc, JSON_COMPACT, front_request_caps(&F.o).json_max, 0, ret, ret_len);
        json_decref(doc);
        if (r == -E2BIG)
                return set_error(e, MHD_HTTP_CONTENT_TOO_LARGE, "too_large", "body",
                                 "the request is larger than %llu bytes once encoded",
                                 (unsigned long long)front_request_caps(&F.o).json_max);
        if (r < 0)
                return set_error(e, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable", NULL, "out of memory");
        return 0;
}

/* Sends q to the parent and registers it for the answer. */
static int forward(request *q, const char *json, size_t json_len, http_error *e) {
        q->w.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (q->w.efd < 0)
                return set_error(e, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable", NULL, "out of file descriptors");
        pthread_mutex_lock(&F.lock);
        bool closed = F.parent_gone || F.draining;
        if (!closed) {
                q->w.id = ++F.next_id;
                q->w.stream = q->stream;
                q->w.registered = true;
                q->w.next = F.waiters;
                F.waiters = &q->w;
        }
        pthread_mutex_unlock(&F.lock);
        if (closed)
                return set_error(e, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable", NULL, "the server is shutting down");

        const char *blob = q->body_kind == BODY_BLOB ? q->body : NULL;
        size_t blob_len = q->body_kind == BODY_BLOB ? q->body_len : 0;
        pthread_mutex_lock(&F.write_lock);
        int r = frame_write_timeout(F.o.parent_fd, FRAME_REQUEST, q->w.id, json, json_len, blob, blob_len,
                                    WARD_API_WRITE_TIMEOUT_MS);
        pthread_mutex_unlock(&F.write_lock);
        body_drop(q);
        if (r < 0) {
                parent_write_failed(r);
                return set_error(e, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable", NULL, "the server is not available");
        }
        return 0;
}

static enum MHD_Result answer_stream(request *q, frame *first) {
        http_error e;
        int r = stream_line(q, first);
        frame_free(first);
        if (r < 0) {
                abandon(q);
                failure_error(&e, -EBADMSG);
                error_line(q, &e);
        }
        struct MHD_Response *resp =
                MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK, stream_read, q, stream_free);
        if (!resp)
                return MHD_NO;
        atomic_fetch_add(&q->refs, 1); /* the response's, dropped by stream_free */
        enum MHD_Result ok = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, CT_NDJSON);
        if (ok == MHD_YES)
                ok = MHD_queue_response(q->conn, MHD_HTTP_OK, resp);
        MHD_destroy_response(resp);
        return ok;
}

static enum MHD_Result answer(request *q) {
        http_error e;
        _cleanup_free_ char *json = NULL;
        size_t json_len = 0;
        if (build_request(q, &json, &json_len, &e) < 0 || forward(q, json, json_len, &e) < 0)
                return answer_error(q->conn, &e);
        free(TAKE_PTR(json)); /* up to body_max: not kept while waiting */

        /* No idle timeout while the parent works: a run may take minutes.
         * Setting it again afterwards restarts the timer. */
        (void)MHD_set_connection_option(q->conn, MHD_CONNECTION_OPTION_TIMEOUT, 0u);
        frame f;
        int why = 0;
        enum wait_result w = wait_frame(q, &f, &why);
        if (w == WAIT_CLIENT_GONE) {
                abandon(q);
                return MHD_NO; /* nobody to answer */
        }
        if (w == WAIT_FRAME && f.hdr.type == FRAME_CHUNK)
                return answer_stream(q, &f);
        (void)MHD_set_connection_option(q->conn, MHD_CONNECTION_OPTION_TIMEOUT, F.o.timeout_s);
        if (w == WAIT_TIMEOUT) {
                abandon(q);
                set_error(&e, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable", NULL, "the server did not answer in time");
                return answer_error(q->conn, &e);
        }
        if (w == WAIT_FAILED) {
                abandon(q);
                failure_error(&e, why);
                return answer_error(q->conn, &e);
        }
        struct MHD_Response *resp;
        unsigned status;
        int r = reply_response(&f, &resp, &status);
        frame_free(&f);
        if (r < 0) {
                failure_error(&e, r == -EBADMSG ? -EBADMSG : -ENOMEM);
                return answer_error(q->conn, &e);
        }
        enum MHD_Result ok = MHD_queue_response(q->conn, status, resp);
        MHD_destroy_response(resp);
        return ok;
}

static enum MHD_Result answer_openapi(struct MHD_Connection *c) {
        struct MHD_Response *resp =
                MHD_create_response_from_buffer(FRONT_OPENAPI_LEN, (void *)front_openapi, MHD_RESPMEM_PERSISTENT);
        if (!resp)
                return MHD_NO;
        enum MHD_Result ok = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, CT_JSON);
        if (ok == MHD_YES)
                ok = MHD_queue_response(c, MHD_HTTP_OK, resp);
        MHD_destroy_response(resp);
        return ok;
}

/* The first call for a request: everything that can be refused before
 * its body is read. Returns 1 to go on reading. */
static int first_call(request *q, struct MHD_Connection *c, const char *url, const char *method, http_error *e) {
        if (take_headers(q, c, e) < 0 || route(q, c, url, method, e) < 0)
                return -1;
        pthread_mutex_lock(&F.lock);
        bool closed = F.parent_gone || F.draining;
        pthread_mutex_unlock(&F.lock);
        if (closed)
                return set_error(e, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable", NULL, "the server is shutting down");
        q->body_cap = q->body_kind == BODY_BLOB ? F.o.file_max : F.o.body_max;
        /* A declared length over the cap is refused before a byte of the
         * body is read; libmicrohttpd then closes the connection. */
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        uint64_t len;
        if (cl && parse_uint64(cl, 0, UINT64_MAX, &len) == 0 && len > q->body_cap)
                return set_error(e, MHD_HTTP_CONTENT_TOO_LARGE, "too_large", "body",
                                 "the body is larger than %llu bytes", (unsigned long long)q->body_cap);
        return 1;
}

/* A body follows the headers: a refusal is answered before it is read,
 * and libmicrohttpd then closes the connection. Without one, the refusal
 * waits for the request's end, and the connection may be kept. */
static bool body_follows(struct MHD_Connection *c) {
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        return (cl && strcmp(cl, "0") != 0) ||
               MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls) {
        request *q = *con_cls;
        http_error e;
        (void)cls;
        (void)version;
        if (!q) {
                q = request_new(c);
                if (!q)
                        return MHD_NO;
                *con_cls = q;
                if (first_call(q, c, url, method, &e) < 0) {
                        if (body_follows(c) || !(q->early = malloc(sizeof e)))
                                return answer_error(c, &e);
                        *q->early = e;
                        q->refused = true;
                }
                return MHD_YES;
        }
        if (q->refused) {
                if (*upload_size > 0) {
                        *upload_size = 0; /* none was announced; none is kept */
                        return MHD_YES;
                }
                return answer_error(c, q->early);
        }
        if (*upload_size > 0) {
                body_take(q, upload, *upload_size);
                *upload_size = 0;
                /* A chunked body has no declared length: past its cap it is
                 * read on (not kept) for a little, to answer 413, then the
                 * connection is dropped. */
                return q->discarded > WARD_API_DISCARD_MAX ? MHD_NO : MHD_YES;
        }
        if (q->too_large) {
                set_error(&e, MHD_HTTP_CONTENT_TOO_LARGE, "too_large", "body", "the body is larger than %llu bytes",
                          (unsigned long long)q->body_cap);
                return answer_error(c, &e);
        }
        if (q->over_budget) {
                set_error(&e, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable", NULL, "the server is busy");
                return answer_error(c, &e);
        }
        if (!q->op)
                return answer_openapi(c);
        pthread_mutex_lock(&F.lock);
        F.active++;
        pthread_mutex_unlock(&F.lock);
        q->active = true;
        return answer(q);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe) {
        request *q = *con_cls;
        (void)cls;
        (void)toe;
        if (!q)
                return;
        *con_cls = NULL;
        /* Still registered: the client left in the middle of a stream, or
         * libmicrohttpd gave up on the connection. */
        abandon(q);
        (void)MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, F.o.timeout_s);
        if (q->active) {
                pthread_mutex_lock(&F.lock);
                F.active--;
                pthread_mutex_unlock(&F.lock);
        }
        request_unref(q);
}

/* libmicrohttpd's own %-decoding is switched off: route() decodes, and
 * sees a %00 where libmicrohttpd would cut the string. */
static size_t keep_escaped(void *cls, struct MHD_Connection *c, char *s) {
        (void)cls;
        (void)c;
        return strlen(s);
}

/* ---- the process ---- */

static void on_term(int sig) {
        (void)sig;
        got_term = 1;
}

/* SIGTERM and SIGINT are blocked in every thread and let through only
 * while the main thread waits in ppoll: no handler ever runs inside
 * libmicrohttpd or a lock. SIGPIPE is ignored: a client gone is an
 * error from send(). */
static int setup_signals(sigset_t *ret_waitmask) {
        struct sigaction sa = {.sa_handler = on_term};
        sigemptyset(&sa.sa_mask);
        struct sigaction ign = {.sa_handler = SIG_IGN};
        sigemptyset(&ign.sa_mask);
        if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGPIPE, &ign, NULL) < 0)
                return -errno;
        sigset_t block;
        sigemptyset(&block);
        sigaddset(&block, SIGTERM);
        sigaddset(&block, SIGINT);
        if (sigprocmask(SIG_BLOCK, &block, ret_waitmask) < 0)
                return -errno;
        sigdelset(ret_waitmask, SIGTERM);
        sigdelset(ret_waitmask, SIGINT);
        return 0;
}

/* Reads and hands on every frame the parent has sent. 0 to go on; 1 at
 * the parent's clean end; -errno for a broken stream. */
static int read_parent(frame_reader *rd) {
        for (;;) {
                frame f;
                int r = frame_reader_read(rd, F.o.parent_fd, &f);
                if (r == 0)
                        return 0;
                if (r == -EPIPE)
                        return 1;
                if (r < 0)
                        return r;
                dispatch(&f);
        }
}

static unsigned active_count(void) {
        pthread_mutex_lock(&F.lock);
        unsigned n = F.active;
        pthread_mutex_unlock(&F.lock);
        return n;
}

/* The main thread: the parent's frames, SIGTERM, and the drain. */
static int serve(struct MHD_Daemon *d, const sigset_t *waitmask) {
        frame_reader rd;
        frame_reader_init(&rd, (frame_caps){.json_max = WARD_API_REPLY_JSON_MAX, .blob_max = WARD_API_REPLY_BLOB_MAX});
        uint64_t drain_until = 0;
        int status = 0;
        bool parent_ended = false;
        for (;;) {
                if (got_term && !drain_until) {
                        /* Stop taking connections; let what is in flight
                         * finish, for a while. */
                        pthread_mutex_lock(&F.lock);
                        F.draining = true;
                        pthread_mutex_unlock(&F.lock);
                        int lfd = MHD_quiesce_daemon(d);
                        if (lfd >= 0)
                                close(lfd);
                        drain_until = clock_mono_ms() + WARD_API_DRAIN_S * 1000;
                }
                if (drain_until && (active_count() == 0 || clock_mono_ms() >= drain_until))
                        break;
                struct pollfd p = {.fd = F.o.parent_fd, .events = POLLIN};
                struct timespec tick = {.tv_sec = 0, .tv_nsec = 100 * 1000 * 1000};
                int n = ppoll(&p, 1, drain_until ? &tick : NULL, waitmask);
                if (n < 0 && errno != EINTR) {
                        say("ppoll: %s", strerror(errno));
                        status = 1;
                        break;
                }
                if (n <= 0)
                        continue;
                int r = read_parent(&rd);
                if (r == 0)
                        continue;
                parent_ended = true;
                if (r < 0) {
                        char why[sizeof F.gone_why];
                        pthread_mutex_lock(&F.lock);
                        bool known = F.parent_gone;
                        memcpy(why, F.gone_why, sizeof why);
                        pthread_mutex_unlock(&F.lock);
                        if (known && why[0]) {
                                say("%s", why);
                                status = 1;
                        } else if (!known && r != -ECONNRESET) {
                                say("the parent's socket: %s", strerror(-r));
                                status = 1;
                        }
                }
                break;
        }
        frame_reader_free(&rd);
        /* Whoever still waits gets 503; the parent, if it is still there,
         * a cancel for each. */
        pthread_mutex_lock(&F.lock);
        F.draining = true;
        if (parent_ended)
                fail_all(NULL);
        for (waiter *w = F.waiters; w; w = F.waiters)
                fail_waiter(w, -EPIPE, true);
        pthread_mutex_unlock(&F.lock);
        /* A moment for those 503s to leave before every connection is
         * shut down. */
        for (int i = 0; i < 20 && active_count() > 0; i++) {
                struct timespec pause = {.tv_sec = 0, .tv_nsec = 50 * 1000 * 1000};
                (void)ppoll(NULL, 0, &pause, waitmask);
        }
        return status;
}

int front_main(const front_opts *o) {
        F.o = *o;
        if (!F.o.max_connections)
                F.o.max_connections = WARD_API_MAX_CONNECTIONS;
        if (!F.o.body_max)
                F.o.body_max = WARD_API_BODY_MAX;
        if (!F.o.file_max)
                F.o.file_max = WARD_API_FILE_MAX;
        if (!F.o.timeout_s)
                F.o.timeout_s = WARD_API_TIMEOUT_S;
        if (!F.o.reply_timeout_s)
                F.o.reply_timeout_s = WARD_API_REPLY_TIMEOUT_S;

        /* jansson seeds its hash function from /dev/urandom on first use:
         * now, while a file can still be opened. */
        json_object_seed(0);
        /* glibc reads /etc/localtime the first time it converts a time,
         * even to UTC (libmicrohttpd's Date header): likewise now. */
        tzset();
        sigset_t waitmask;
        int r = setup_signals(&waitmask);
        if (r < 0) {
                say("signals: %s", strerror(-r));
                return 1;
        }

        /* Each connection holds its socket and, while it waits for the
         * parent, an eventfd: the soft fd limit is raised to fit, within
         * the hard one (no system call for it is left afterwards). */
        struct rlimit nofile;
        rlim_t want = 2 * (rlim_t)F.o.max_connections + 64;
        if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < want) {
                nofile.rlim_cur = want < nofile.rlim_max ? want : nofile.rlim_max;
                if (setrlimit(RLIMIT_NOFILE, &nofile) < 0) {
                        say("cannot raise RLIMIT_NOFILE to %llu: %s", (unsigned long long)nofile.rlim_cur,
                            strerror(errno));
                        return 1;
                }
        }

        unsigned applied = 0;
        char missing[256];
        ward_error err = {0};
        r = front_confine(&F.o, &applied, missing, sizeof missing, &err);
        if (r < 0) {
                say("confinement failed: %s", err.msg);
                return 1;
        }
        if (missing[0]) {
                char in_force[128] = "";
                for (unsigned bit = 1; bit <= FRONT_CONF_SECCOMP; bit <<= 1)
                        if ((applied & bit) && front_conf_name(bit)) {
                                size_t n = strlen(in_force);
                                snprintf(in_force + n, sizeof in_force - n, "%s%s", n ? " " : "", front_conf_name(bit));
                        }
                say("running without %s; in force: %s", missing, in_force);
        }

        r = fd_nonblock(F.o.parent_fd);
        if (r < 0) {
                say("parent socket: %s", strerror(-r));
                return 1;
        }
        /* Started after the confinement: every thread it makes inherits
         * the seccomp filter, the landlock domain and the signal mask. */
        struct MHD_Daemon *d = MHD_start_daemon(
                MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ITC, 0, NULL, NULL, on_request,
                NULL, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)F.o.listen_fd, MHD_OPTION_CONNECTION_LIMIT,
                (unsigned)F.o.max_connections, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)F.o.timeout_s,
                MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)WARD_API_HEADER_MEMORY, MHD_OPTION_NOTIFY_COMPLETED,
                on_completed, NULL, MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, NULL, MHD_OPTION_STRICT_FOR_CLIENT,
                (int)1, MHD_OPTION_SIGPIPE_HANDLED_BY_APP, (int)1, MHD_OPTION_END);
        if (!d) {
                say("could not start the HTTP server");
                return 1;
        }
        int status = serve(d, &waitmask);
        MHD_stop_daemon(d);
        return status;
}
