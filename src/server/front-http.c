/* libmicrohttpd in the HTTP front: the daemon, its callbacks, and every
 * answer a client gets.
 *
 * For each request, on_request's first call takes the headers (the
 * bearer token, Accept: application/x-ndjson) and the route, and refuses
 * what can be refused before the body is read; the calls after it feed
 * the body (front-body.c); the last one builds the FRAME_REQUEST, hands
 * it to the multiplexer (front-mux.c) and blocks this connection's thread
 * until the answer: the parent's reply (front-reply.c), a stream of
 * ndjson lines read on demand by stream_read, or an error of the front's
 * own as {"error": {"code", "message", "field"}} with the status
 * apierror_status() gives it. on_completed is where a request ends,
 * whichever way: a request still in the parent's hands is cancelled. */
#include "server/front-internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fd.h"
#include "basic/parse.h"

/* The OpenAPI document (openapi.json), embedded at build time: the bytes
 * as xxd -i writes them, and a NUL. */
static const char front_openapi[] = {
#include "server/openapi-json.h"
        , 0};
#define FRONT_OPENAPI_LEN (sizeof front_openapi - 1)

#define STREAM_BLOCK (64u << 10)

/* The front's own error as its JSON answer; a 405 with q's Allow, a 401
 * with the Bearer challenge, and "Connection: close" once the front is
 * closing. */
static enum MHD_Result answer_error(request *q, const ward_error *e) {
        unsigned status;
        size_t len;
        char *text = front_error_text(e, &status, &len);
        if (!text)
                return MHD_NO;
        struct MHD_Response *resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
        if (!resp) {
                free(text);
                return MHD_NO;
        }
        bool ok = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, CT_JSON) == MHD_YES;
        if (status == MHD_HTTP_METHOD_NOT_ALLOWED && q->allow[0])
                ok = ok && MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, q->allow) == MHD_YES;
        if (status == MHD_HTTP_UNAUTHORIZED)
                ok = ok && MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer") == MHD_YES;
        pthread_mutex_lock(&front.lock);
        bool closing = front.draining || front.parent_gone;
        pthread_mutex_unlock(&front.lock);
        if (closing)
                ok = ok && MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close") == MHD_YES;
        enum MHD_Result r = ok ? MHD_queue_response(q->conn, status, resp) : MHD_NO;
        MHD_destroy_response(resp);
        return r;
}

/* A line of ndjson saying why a stream ends early. */
static void error_line(request *q, const ward_error *e) {
        unsigned status;
        size_t len;
        char *text = front_error_text(e, &status, &len);
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

static void failure_error(ward_error *e, int why) {
        if (why == -EBADMSG)
                front_error(e, -EBADMSG, "bad_gateway", NULL, "the server sent a malformed answer");
        else if (why == -ENOBUFS)
                front_error(e, -ENOBUFS, "unavailable", NULL, "the stream was not read fast enough");
        else
                front_error(e, -EPIPE, "unavailable", NULL, "the server is not available");
}

static void request_unref(request *q) {
        if (!q || atomic_fetch_sub(&q->refs, 1) != 1)
                return;
        front_waiter_release(&q->w);
        front_body_drop(q);
        front_route_done(&q->route);
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
                ward_error e;
                switch (front_wait(q, &f, &why)) {
                case WAIT_FRAME: {
                        int r = front_stream_line(q, &f);
                        frame_free(&f);
                        if (r < 0) {
                                front_abandon(q);
                                failure_error(&e, r == -EBADMSG ? -EBADMSG : -ENOMEM);
                                error_line(q, &e);
                        } else if (r == 1) {
                                q->stream_end = true;
                        }
                        break;
                }
                case WAIT_FAILED:
                        front_abandon(q);
                        failure_error(&e, why);
                        error_line(q, &e);
                        break;
                case WAIT_TIMEOUT:
                        front_abandon(q);
                        front_error(&e, -ETIMEDOUT, "unavailable", NULL, "the server did not answer in time");
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

/* What the request's headers say: its bearer token, whether the client
 * takes a stream. */
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
static int take_headers(request *q, struct MHD_Connection *c, ward_error *e) {
        header_scan h = {0};
        MHD_get_connection_values(c, MHD_HEADER_KIND, scan_header, &h);
        q->stream = h.ndjson;
        if (h.authorization == 0)
                return 0;
        const char *v = h.auth_value;
        if (h.authorization > 1 || strncasecmp(v, "Bearer ", 7) != 0)
                return front_error(e, -EACCES, "unauthorized", NULL,
                                   "the Authorization header must be 'Bearer <token>'");
        v += 7;
        while (*v == ' ')
                v++;
        size_t n = 0;
        while (v[n] > 0x20 && v[n] < 0x7f)
                n++;
        if (n == 0 || n > WARD_API_TOKEN_MAX || v[n] != '\0')
                return front_error(e, -EACCES, "unauthorized", NULL,
                                   "the bearer token must be 1 to %u visible ASCII characters", WARD_API_TOKEN_MAX);
        memcpy(q->token, v, n + 1);
        return 0;
}

static enum MHD_Result answer_stream(request *q, frame *first) {
        ward_error e;
        int r = front_stream_line(q, first);
        frame_free(first);
        if (r < 0) {
                front_abandon(q);
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
        ward_error e;
        _cleanup_free_ char *json = NULL;
        size_t json_len = 0;
        if (front_build_request(q, &json, &json_len, &e) < 0 || front_forward(q, json, json_len, &e) < 0)
                return answer_error(q, &e);
        free(TAKE_PTR(json)); /* up to body_max: not kept while waiting */

        /* No idle timeout while the parent works: a run may take minutes.
         * Setting it again afterwards restarts the timer. */
        (void)MHD_set_connection_option(q->conn, MHD_CONNECTION_OPTION_TIMEOUT, 0u);
        frame f;
        int why = 0;
        enum front_wait_result w = front_wait(q, &f, &why);
        if (w == WAIT_CLIENT_GONE) {
                front_abandon(q);
                return MHD_NO; /* nobody to answer */
        }
        if (w == WAIT_FRAME && f.hdr.type == FRAME_CHUNK)
                return answer_stream(q, &f);
        (void)MHD_set_connection_option(q->conn, MHD_CONNECTION_OPTION_TIMEOUT, front.o.timeout_s);
        if (w == WAIT_TIMEOUT) {
                front_abandon(q);
                front_error(&e, -ETIMEDOUT, "unavailable", NULL, "the server did not answer in time");
                return answer_error(q, &e);
        }
        if (w == WAIT_FAILED) {
                front_abandon(q);
                failure_error(&e, why);
                return answer_error(q, &e);
        }
        struct MHD_Response *resp;
        unsigned status;
        int r = front_reply_response(&f, &resp, &status);
        frame_free(&f);
        if (r < 0) {
                failure_error(&e, r == -EBADMSG ? -EBADMSG : -ENOMEM);
                return answer_error(q, &e);
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
static int first_call(request *q, struct MHD_Connection *c, const char *url, const char *method, ward_error *e) {
        const char *dir = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "dir");
        int r = front_guard_screen(c, e);
        if (r < 0)
                return r;
        r = take_headers(q, c, e);
        if (r < 0)
                return r;
        r = front_route_match(url, method, dir, &q->route, q->allow, e);
        if (r < 0)
                return r;
        r = front_guard_content_type(c, q->route.body, e);
        if (r < 0)
                return r;
        pthread_mutex_lock(&front.lock);
        bool closed = front.parent_gone || front.draining;
        pthread_mutex_unlock(&front.lock);
        if (closed)
                return front_error(e, -ESHUTDOWN, "unavailable", NULL, "the server is shutting down");
        /* A client the server does not know gets nothing read, held or
         * parsed of its body: refused on its headers (front-auth.c). */
        if (q->route.op && !op_is_public(q->route.id)) {
                if (!front_auth_ready())
                        return front_error(e, -EAGAIN, "unavailable", NULL, "the server is starting");
                if (!front_auth_known(q->token))
                        return front_error(e, -EACCES, "unauthorized", NULL,
                                           q->token[0] ? "unknown token" : "a bearer token is required");
        }
        q->body_cap = q->route.body == BODY_BLOB ? front.o.file_max : front.o.body_max;
        /* A declared length over the cap is refused before a byte of the
         * body is read; libmicrohttpd then closes the connection. */
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        uint64_t len;
        if (cl && parse_uint64(cl, 0, UINT64_MAX, &len) == 0 && len > q->body_cap)
                return front_error(e, -EFBIG, "too_large", "body", "the body is larger than %llu bytes",
                                   (unsigned long long)q->body_cap);
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
        ward_error e;
        (void)cls;
        (void)version;
        if (!q) {
                front_guard_headers_done(c);
                q = request_new(c);
                if (!q)
                        return MHD_NO;
                *con_cls = q;
                if (first_call(q, c, url, method, &e) < 0) {
                        if (body_follows(c) || !(q->early = malloc(sizeof e)))
                                return answer_error(q, &e);
                        *q->early = e;
                        q->refused = true;
                }
                return MHD_YES;
        }
        if (*upload_size == 0)
                front_guard_body_done(c);
        if (q->refused) {
                if (*upload_size > 0) {
                        *upload_size = 0; /* none was announced; none is kept */
                        return MHD_YES;
                }
                return answer_error(q, q->early);
        }
        if (*upload_size > 0) {
                front_body_take(q, upload, *upload_size);
                *upload_size = 0;
                /* A chunked body has no declared length: past its cap it is
                 * read on to its end, counted and not kept, to answer 413
                 * (libmicrohttpd takes no answer in a call that carries
                 * upload data). The body's deadline (front-guard.c) bounds
                 * how long. */
                return MHD_YES;
        }
        if (q->too_large) {
                front_error(&e, -EFBIG, "too_large", "body", "the body is larger than %llu bytes",
                            (unsigned long long)q->body_cap);
                return answer_error(q, &e);
        }
        if (q->over_budget) {
                front_error(&e, -ENOBUFS, "unavailable", NULL, "the server is busy");
                return answer_error(q, &e);
        }
        if (!q->route.op)
                return answer_openapi(c);
        pthread_mutex_lock(&front.lock);
        front.active++;
        pthread_mutex_unlock(&front.lock);
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
        front_guard_request_done(c);
        /* Still registered: the client left in the middle of a stream, or
         * libmicrohttpd gave up on the connection. */
        front_abandon(q);
        (void)MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, front.o.timeout_s);
        if (q->active) {
                pthread_mutex_lock(&front.lock);
                front.active--;
                pthread_mutex_unlock(&front.lock);
        }
        request_unref(q);
}

/* libmicrohttpd's own %-decoding is switched off: front_route_match decodes, and
 * sees a %00 where libmicrohttpd would cut the string. */
static size_t keep_escaped(void *cls, struct MHD_Connection *c, char *s) {
        (void)cls;
        (void)c;
        return strlen(s);
}

/* Each connection's accounting and deadlines (front-guard.c). */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_ctx,
                          enum MHD_ConnectionNotificationCode toe) {
        (void)cls;
        if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
                *socket_ctx = front_guard_open(c);
        } else {
                front_guard_close(*socket_ctx);
                *socket_ctx = NULL;
        }
}

struct MHD_Daemon *front_http_start(void) {
        if (front_guard_start() < 0)
                return NULL;
        /* With TLS, the certificate and key are given from memory: no
         * file can be opened here. TLS 1.2 and 1.3 only. */
        bool tls = front.o.tls_cert && front.o.tls_key;
        struct MHD_OptionItem tls_opts[] = {
                {MHD_OPTION_HTTPS_MEM_CERT, 0, front.o.tls_cert},
                {MHD_OPTION_HTTPS_MEM_KEY, 0, front.o.tls_key},
                {MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"},
                {MHD_OPTION_END, 0, NULL},
        };
        struct MHD_Daemon *d = MHD_start_daemon(
                MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ITC | (tls ? MHD_USE_TLS : 0), 0,
                NULL, NULL, on_request, NULL, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)front.o.listen_fd,
                MHD_OPTION_CONNECTION_LIMIT, (unsigned)front.o.max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
                (unsigned)front.o.timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)WARD_API_HEADER_MEMORY,
                MHD_OPTION_THREAD_STACK_SIZE, (size_t)WARD_API_THREAD_STACK, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
                NULL, MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL, MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped,
                NULL, MHD_OPTION_STRICT_FOR_CLIENT, (int)1, MHD_OPTION_SIGPIPE_HANDLED_BY_APP, (int)1, MHD_OPTION_ARRAY,
                tls ? tls_opts : tls_opts + 3, MHD_OPTION_END);
        if (!d && tls)
                fd_write_line(STDERR_FILENO, "ward serve: front: ",
                              "TLS: GnuTLS refused the certificate or the key (--tls-cert, --tls-key: PEM)");
        /* The daemon holds the key in its TLS credentials now; no copy of
         * ours is kept, started or not. */
        if (front.o.tls_key) {
                explicit_bzero(front.o.tls_key, front.o.tls_key_len);
                free(front.o.tls_key);
                front.o.tls_key = NULL;
                front.o.tls_key_len = 0;
        }
        return d;
}
