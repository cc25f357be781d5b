/* What the files of ward serve's HTTP front share, and nothing outside
 * them may use: the process's state, one request in flight, the route
 * table's answer, and the functions each file offers the others.
 *
 *   front.c        the process: the wire contract with the parent,
 *                  signals, the serve loop and the drain, front_main
 *   front-mux.c    the reply multiplexer: waiters, the reader of the
 *                  parent's socket, frames to request threads, cancels
 *   front-route.c  the route table: (method, URL) to an operation
 *   front-body.c   request bodies: the cap, the global budget, discarding,
 *                  and the JSON request for the parent
 *   front-reply.c  the parent's replies checked, as HTTP responses and
 *                  ndjson lines
 *   front-http.c   libmicrohttpd: the daemon, its callbacks, the headers
 *                  a request is refused on, and every answer
 *   front-error.c  the errors the front makes itself, and their JSON
 *   front-guard.c  screening: connections' deadlines, the per-address
 *                  limit and the reserve; Host, Origin, Content-Type,
 *                  Content-Length with Transfer-Encoding
 *
 * Errors are ward_errors with a reason (basic/error.h); the status a
 * client sees is apierror_status()'s, computed when answering. */
#pragma once

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "basic/error.h"
#include "basic/limits.h"
#include "server/frame.h"
#include "server/ops.h"
#include "server/front.h"

#define CT_JSON "application/json"
#define CT_NDJSON "application/x-ndjson"

/* ---- routes (front-route.c) ---- */

/* What a request's body must be. */
enum front_body {
        BODY_NONE,            /* none expected: counted, not kept */
        BODY_OBJECT,          /* a JSON object */
        BODY_OBJECT_OR_EMPTY, /* a JSON object, or nothing for {} */
        BODY_BLOB,            /* bytes, passed on as the frame's blob (file_max) */
};

/* Room for the longest Allow the table can make. */
#define FRONT_ALLOW_MAX 48u

/* One row of the route table: the method (GET covers HEAD) and the URL
 * pattern it answers, and what it becomes. A pattern is literal but for
 * "{id}" (a session id, one segment, %-decoded and checked) and "{path}"
 * (a file path: the rest of the URL, not empty, %-decoded and checked). */
typedef struct front_route_row {
        const char *method;
        const char *pattern;
        op_id op; /* OP__COUNT: served by the front itself */
        enum front_body body;
        bool dir; /* takes the query argument "dir", a directory path */
} front_route_row;

/* A request's route, with the parts of the URL it takes. */
typedef struct front_route {
        const char *op; /* the row's operation's name (op_name); NULL: the front's own */
        op_id id;       /* the row's operation (OP__COUNT: the front's own) */
        enum front_body body;
        char session[WARD_API_SESSION_ID_MAX + 1]; /* {id}; "" without one */
        char *path;                                /* {path}, decoded; NULL without one */
        char *dir;                                 /* ?dir=, decoded ("" when absent); NULL unless the row takes it */
} front_route;

/* The route for method and url (as sent: not %-decoded); dir_query is the
 * raw value of the query argument "dir" (NULL when absent). Fills *ret, or
 * sets err: not_found (no such route or session), method_not_allowed
 * (with the URL's methods in ret_allow, for the Allow header),
 * invalid_request (a bad path), unavailable (out of memory); *ret is
 * then left alone. */
int front_route_match(const char *url, const char *method, const char *dir_query, front_route *ret,
                      char ret_allow[FRONT_ALLOW_MAX], ward_error *err);
/* Frees what a route holds; the route may be all zero. */
void front_route_done(front_route *r);

/* ---- who may send a body (front-auth.c) ---- */

/* Takes the parent's FRAME_AUTH: {"open": true} or {"tokens": [hex
 * SHA-256, at most WARD_TENANTS_MAX]}, replacing what was known. 0, or
 * -EBADMSG for anything else (the parent broke the protocol), -ENOMEM. */
int front_auth_update(const frame *f);
/* Whether a request with this token (NULL or "": none) may be read on:
 * the server takes no tokens, or the token's hash is one the parent
 * named. False until the first FRAME_AUTH. */
bool front_auth_known(const char *token);
/* Whether a FRAME_AUTH has come. */
bool front_auth_ready(void);

/* ---- errors (front-error.c) ---- */

/* err_set_at with a message the front makes itself, which may quote a
 * client's bytes: only printable ASCII is kept, at most
 * WARD_API_MESSAGE_MAX bytes. Returns the (negative) code. */
int front_error(ward_error *err, int code, const char *reason, const char *field, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

/* {"error": {"code", "message", "field"}} for err, and in *ret_status the
 * HTTP status (apierror_status). Never NULL for want of memory but when
 * even the fixed fallback cannot be copied. */
char *front_error_text(const ward_error *err, unsigned *ret_status, size_t *ret_len);

/* ---- the process's state (front.c) ---- */

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

typedef struct front_state {
        front_opts o;
        pthread_mutex_t lock;       /* waiters, flags, counters below */
        pthread_mutex_t write_lock; /* frames to the parent */
        waiter *waiters;
        uint64_t next_id;
        unsigned active; /* requests forwarded and not completed */
        bool parent_gone, draining;
        char gone_why[128];
        atomic_uint_fast64_t buffered; /* bytes of request bodies held */
} front_state;

extern front_state front;

/* One HTTP request, from its first callback to libmicrohttpd's
 * completion (and a streamed answer's end). */
typedef struct request {
        atomic_int refs; /* libmicrohttpd's (until completed) and a stream response's */
        struct MHD_Connection *conn;
        int client_fd;
        front_route route;
        char allow[FRONT_ALLOW_MAX]; /* the Allow of a 405 */
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
        ward_error *early;
        /* forwarding */
        bool active; /* counted in front.active */
        waiter w;
        /* a streamed answer: the line being written */
        char *line;
        size_t line_len, line_off;
        bool stream_end;
} request;

/* ---- the multiplexer (front-mux.c) ---- */

/* Sends q's request (json, and its body as the blob for BODY_BLOB) to the
 * parent and registers q for the answer. */
int front_forward(request *q, const char *json, size_t json_len, ward_error *err);

enum front_wait_result { WAIT_FRAME, WAIT_FAILED, WAIT_CLIENT_GONE, WAIT_TIMEOUT };

/* Waits for the next frame for q, the client's going away, or the reply
 * deadline. WAIT_FAILED: *ret_why says why no frame will come. */
enum front_wait_result front_wait(request *q, frame *ret, int *ret_why);

/* The request is over for the front (client gone, answer given up): the
 * parent hears of it if it still works on it. */
void front_abandon(request *q);

/* No more frames for w, and none queued (the request is freed). */
void front_waiter_release(waiter *w);

/* Reads and hands on every frame the parent has sent. 0 to go on; 1 at
 * the parent's clean end; -errno for a broken stream. */
int front_read_parent(frame_reader *rd);

/* The end: every waiter is failed (503 to its client), with a cancel to
 * the parent unless the parent ended. */
void front_mux_end(bool parent_ended);

/* ---- bodies (front-body.c) ---- */

/* Keeps up to the cap; past it, or over the budget of all bodies, keeps
 * nothing more and only counts. */
void front_body_take(request *q, const char *data, size_t n);
/* Frees the body and gives its bytes back to the budget. */
void front_body_drop(request *q);
/* The JSON request for the parent; err: invalid_json, invalid_body,
 * too_large, unavailable. */
int front_build_request(request *q, char **ret, size_t *ret_len, ward_error *err);

/* ---- replies (front-reply.c) ---- */

struct MHD_Response;

/* A FRAME_REPLY as an HTTP response; -EBADMSG for one that breaks the
 * contract (the caller answers 502). */
int front_reply_response(frame *f, struct MHD_Response **ret, unsigned *ret_status);

/* A frame of a stream as its ndjson line in q->line: a chunk's object, or
 * the final reply's body (none when it has no JSON body). Returns 1 for
 * the last frame, 0 for a chunk, -EBADMSG for a frame that breaks the
 * contract. */
int front_stream_line(request *q, const frame *f);

/* ---- screening (front-guard.c) ---- */

struct MHD_Connection;

/* The listen address's port and names for the Host check, and the
 * watchdog thread of the deadlines. Once, before the daemon starts. */
int front_guard_start(void);
/* A connection accepted: accounted, and room made for it (the rules are
 * in front-guard.c's header). Returns its entry, the connection's
 * socket context; NULL when out of memory (the connection is then shut
 * down). */
void *front_guard_open(struct MHD_Connection *c);
/* The connection is about to be closed: its entry is freed. */
void front_guard_close(void *ctx);
/* A request's phases: its headers are in (the body's deadline starts);
 * its body is in (no deadline while it is answered); its answer is over
 * (the next request's headers' deadline starts). */
void front_guard_headers_done(struct MHD_Connection *c);
void front_guard_body_done(struct MHD_Connection *c);
void front_guard_request_done(struct MHD_Connection *c);
/* What a request's headers alone refuse: invalid_request (Content-Length
 * with Transfer-Encoding), misdirected_request (a Host this server does
 * not answer for), forbidden (a foreign Origin, with no token
 * configured). */
int front_guard_screen(struct MHD_Connection *c, ward_error *e);
/* unsupported_media_type: a route that takes a JSON body, and a body (or
 * a Content-Type) that is not application/json. */
int front_guard_content_type(struct MHD_Connection *c, enum front_body body, ward_error *e);

/* ---- libmicrohttpd (front-http.c) ---- */

struct MHD_Daemon;

/* The daemon on front.o's listening socket, one thread per connection;
 * NULL when it cannot start. */
struct MHD_Daemon *front_http_start(void);
