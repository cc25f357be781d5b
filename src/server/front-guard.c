/* The HTTP front's screening: which connections may stay, and which
 * requests are refused on their headers alone, before a route or a body.
 *
 * Connections. libmicrohttpd runs a thread per connection and has only an
 * idle timeout, which a client that trickles a byte at a time resets for
 * ever: 256 such connections shut every other client out. So each
 * connection is accounted here from its accept (front_guard_open) to its
 * close (front_guard_close), in one of three phases: sending its headers
 * (from the accept, or from the end of its last answer on a kept-alive
 * connection), sending its body (from the end of its headers), and being
 * answered (no deadline of ours: a run may take minutes). Three rules:
 *   - a deadline per phase, from the phase's start, not from the last
 *     byte: a watchdog thread shuts down (shutdown(2)) a connection past
 *     it, and libmicrohttpd, reading EOF, closes it;
 *   - one client address holds at most 1/WARD_API_PER_IP_SHARE of the
 *     connections: past it, its own oldest connection still sending
 *     headers is closed for the new one, or the new one when there is none;
 *   - connections still sending their headers hold at most
 *     WARD_API_HEADERS_SHARE_NUM/DEN of the connections: past it the oldest
 *     of them is closed, so that the rest stays free for clients that got
 *     past their headers, and a client that sends its request promptly
 *     always gets in, however many slow ones keep arriving.
 * A connection is shut down only under guard.lock and only while its entry
 * is in the list: libmicrohttpd reports the close (front_guard_close,
 * which takes the lock) before it closes the socket, so a number that was
 * reused for another connection or file is never shut down.
 *
 * Requests (front_guard_screen, front_guard_content_type), the way a page
 * in a browser could reach a local ward serve: with no token configured,
 * the connection's reach was the only credential, so a Host other than
 * the listen address's names (127.0.0.1, localhost, [::1], the address,
 * with its port) or an --allow-host name is refused 421
 * (misdirected_request: DNS rebinding), and an Origin other than those
 * 403 (forbidden: a cross-site request). With tokens, a page does not
 * have the token: Origin is not checked, and Host only when --allow-host
 * names some. A JSON body must say Content-Type: application/json (415
 * unsupported_media_type otherwise), which a cross-site form or a "simple"
 * fetch cannot without a CORS preflight that ward never grants. A request
 * with both Content-Length and Transfer-Encoding is refused 400: a proxy
 * before ward could read its body differently (request smuggling). */
#include "server/front-internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "basic/cleanup.h"
#include "basic/clock.h"
#include "basic/parse.h"

enum guard_phase { PHASE_HEADERS, PHASE_BODY, PHASE_ANSWER };

typedef struct guard_conn {
        struct guard_conn *prev, *next;
        int fd;
        sa_family_t family; /* AF_UNSPEC: not known, counted with no other */
        unsigned char addr[16];
        enum guard_phase phase;
        uint64_t since_ms; /* the phase's start */
        bool shut;         /* shut down, waiting for libmicrohttpd's close */
} guard_conn;

static struct {
        pthread_mutex_t lock; /* everything below */
        guard_conn *head;
        uint16_t port; /* the listen address's, host order */
        char listen_ip[INET6_ADDRSTRLEN];
        bool watchdog;
} guard = {.lock = PTHREAD_MUTEX_INITIALIZER};

static unsigned per_ip_max(void) {
        unsigned n = front.o.max_connections / WARD_API_PER_IP_SHARE;
        return n ? n : 1;
}

static unsigned headers_max(void) {
        unsigned n =
                (unsigned)((uint64_t)front.o.max_connections * WARD_API_HEADERS_SHARE_NUM / WARD_API_HEADERS_SHARE_DEN);
        return n ? n : 1;
}

static uint64_t deadline_ms(enum guard_phase p) {
        unsigned s = p == PHASE_HEADERS ? front.o.header_deadline_s : front.o.body_deadline_s;
        if (!s)
                s = p == PHASE_HEADERS ? WARD_API_HEADER_DEADLINE_S : WARD_API_BODY_DEADLINE_S;
        return (uint64_t)s * 1000;
}

/* Under guard.lock. The socket stays open: libmicrohttpd closes it. */
static void shut(guard_conn *g) {
        if (g->fd >= 0)
                (void)shutdown(g->fd, SHUT_RDWR);
        g->shut = true;
}

static bool same_client(const guard_conn *a, const guard_conn *b) {
        return a->family != AF_UNSPEC && a->family == b->family &&
               memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16) == 0;
}

/* Under guard.lock: the oldest live connection still sending headers,
 * of like's client (NULL: of any), other than except. */
static guard_conn *oldest_in_headers(const guard_conn *like, const guard_conn *except) {
        guard_conn *best = NULL;
        for (guard_conn *g = guard.head; g; g = g->next)
                if (g != except && !g->shut && g->phase == PHASE_HEADERS && (!like || same_client(g, like)) &&
                    (!best || g->since_ms < best->since_ms))
                        best = g;
        return best;
}

/* Under guard.lock: makes room for n, which is not yet in the list. */
static void admit(guard_conn *n) {
        unsigned same = 0, headers = 0;
        for (guard_conn *g = guard.head; g; g = g->next) {
                if (g->shut)
                        continue;
                if (same_client(g, n))
                        same++;
                if (g->phase == PHASE_HEADERS)
                        headers++;
        }
        if (same >= per_ip_max()) {
                guard_conn *old = oldest_in_headers(n, NULL);
                if (!old) {
                        shut(n); /* every one of this client's is past its headers */
                        return;
                }
                shut(old);
                headers--;
        }
        while (headers + 1 > headers_max()) {
                guard_conn *old = oldest_in_headers(NULL, NULL);
                if (!old)
                        break;
                shut(old);
                headers--;
        }
}

/* Shuts down every connection past its phase's deadline. Runs for the
 * process's life; it holds nothing but the lock, briefly. */
static void *watchdog(void *arg) {
        (void)arg;
        for (;;) {
                struct timespec tick = {.tv_sec = 0, .tv_nsec = (long)WARD_API_GUARD_TICK_MS * 1000 * 1000};
                (void)ppoll(NULL, 0, &tick, NULL);
                uint64_t now = clock_mono_ms();
                pthread_mutex_lock(&guard.lock);
                for (guard_conn *g = guard.head; g; g = g->next)
                        if (!g->shut && g->phase != PHASE_ANSWER && now - g->since_ms >= deadline_ms(g->phase))
                                shut(g);
                pthread_mutex_unlock(&guard.lock);
        }
        return NULL;
}

int front_guard_start(void) {
        struct sockaddr_storage ss = {0};
        socklen_t len = sizeof ss;
        if (getsockname(front.o.listen_fd, (struct sockaddr *)&ss, &len) < 0)
                return -errno;
        if (ss.ss_family == AF_INET) {
                const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)&ss;
                guard.port = ntohs(sin->sin_port);
                if (sin->sin_addr.s_addr != htonl(INADDR_ANY))
                        inet_ntop(AF_INET, &sin->sin_addr, guard.listen_ip, sizeof guard.listen_ip);
        } else if (ss.ss_family == AF_INET6) {
                const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)(const void *)&ss;
                guard.port = ntohs(sin6->sin6_port);
                char ip[INET6_ADDRSTRLEN];
                if (!IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr) && inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof ip))
                        (void)snprintf(guard.listen_ip, sizeof guard.listen_ip, "[%.*s]",
                                       (int)sizeof guard.listen_ip - 3, ip);
        }
        if (guard.watchdog)
                return 0;
        pthread_t t;
        int r = pthread_create(&t, NULL, watchdog, NULL);
        if (r != 0)
                return -r;
        (void)pthread_detach(t);
        guard.watchdog = true;
        return 0;
}

void *front_guard_open(struct MHD_Connection *c) {
        const union MHD_ConnectionInfo *fi = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        int fd = fi ? fi->connect_fd : -1;
        guard_conn *g = calloc(1, sizeof *g);
        if (!g) {
                if (fd >= 0)
                        (void)shutdown(fd, SHUT_RDWR); /* not yet closed: libmicrohttpd is in its start */
                return NULL;
        }
        g->fd = fd;
        g->family = AF_UNSPEC;
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (ci && ci->client_addr) {
                const struct sockaddr *sa = ci->client_addr;
                if (sa->sa_family == AF_INET) {
                        memcpy(g->addr, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
                        g->family = AF_INET;
                } else if (sa->sa_family == AF_INET6) {
                        memcpy(g->addr, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
                        g->family = AF_INET6;
                }
        }
        g->phase = PHASE_HEADERS;
        g->since_ms = clock_mono_ms();
        pthread_mutex_lock(&guard.lock);
        admit(g);
        g->next = guard.head;
        if (guard.head)
                guard.head->prev = g;
        guard.head = g;
        pthread_mutex_unlock(&guard.lock);
        return g;
}

void front_guard_close(void *ctx) {
        guard_conn *g = ctx;
        if (!g)
                return;
        pthread_mutex_lock(&guard.lock);
        if (g->prev)
                g->prev->next = g->next;
        else
                guard.head = g->next;
        if (g->next)
                g->next->prev = g->prev;
        pthread_mutex_unlock(&guard.lock);
        free(g);
}

/* The entry is freed only by the close, on the connection's own thread:
 * a request's callbacks may use it. */
static void set_phase(struct MHD_Connection *c, enum guard_phase p) {
        const union MHD_ConnectionInfo *i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        guard_conn *g = i ? i->socket_context : NULL;
        if (!g)
                return;
        pthread_mutex_lock(&guard.lock);
        if (g->phase != p) {
                g->phase = p;
                g->since_ms = clock_mono_ms();
        }
        pthread_mutex_unlock(&guard.lock);
}

void front_guard_headers_done(struct MHD_Connection *c) {
        set_phase(c, PHASE_BODY);
}

void front_guard_body_done(struct MHD_Connection *c) {
        set_phase(c, PHASE_ANSWER);
}

void front_guard_request_done(struct MHD_Connection *c) {
        set_phase(c, PHASE_HEADERS);
}

/* "name" or "name:port" (a name in brackets for IPv6): its name's length
 * and its port (-1 without one). False when it is neither. */
static bool split_host(const char *h, size_t *ret_name_len, long *ret_port) {
        const char *colon;
        if (h[0] == '[') {
                const char *close = strchr(h, ']');
                if (!close)
                        return false;
                colon = close[1] == ':' ? close + 1 : NULL;
                if (!colon && close[1] != '\0')
                        return false;
        } else {
                colon = strchr(h, ':');
        }
        size_t name_len = colon ? (size_t)(colon - h) : strlen(h);
        if (name_len == 0 || name_len > WARD_API_HOST_NAME_MAX)
                return false;
        *ret_port = -1;
        if (colon) {
                uint64_t port;
                if (parse_uint64(colon + 1, 0, 65535, &port) < 0)
                        return false;
                *ret_port = (long)port;
        }
        *ret_name_len = name_len;
        return true;
}

static bool name_is(const char *name, size_t len, const char *want) {
        return want[0] && strlen(want) == len && strncasecmp(name, want, len) == 0;
}

/* A Host (or an Origin's host) this server answers to: one of the listen
 * address's names with its port, or an --allow-host name (with the port
 * it names, or any). */
static bool host_allowed(const char *h) {
        size_t len;
        long port;
        if (!split_host(h, &len, &port))
                return false;
        static const char *const local[] = {"127.0.0.1", "localhost", "[::1]"};
        if (port == guard.port) {
                for (size_t i = 0; i < ELEMENTSOF(local); i++)
                        if (name_is(h, len, local[i]))
                                return true;
                if (name_is(h, len, guard.listen_ip))
                        return true;
        }
        for (unsigned i = 0; i < front.o.n_allow_hosts; i++) {
                const char *a = front.o.allow_hosts[i];
                size_t alen;
                long aport;
                if (!split_host(a, &alen, &aport) || alen != len || strncasecmp(a, h, len) != 0)
                        continue;
                if (aport < 0 || aport == port)
                        return true;
        }
        return false;
}

/* "http://host[:port]" or "https://..." with an allowed host. */
static bool origin_allowed(const char *o) {
        if (strncasecmp(o, "http://", 7) == 0)
                return host_allowed(o + 7);
        if (strncasecmp(o, "https://", 8) == 0)
                return host_allowed(o + 8);
        return false;
}

int front_guard_screen(struct MHD_Connection *c, ward_error *e) {
        const char *te = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (te && cl)
                return front_error(e, -EINVAL, "invalid_request", NULL,
                                   "a request may not have both Content-Length and Transfer-Encoding");
        if (!front.o.tokens || front.o.n_allow_hosts > 0) {
                const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
                if (!host || !host_allowed(host))
                        return front_error(e, -EPERM, "misdirected_request", NULL,
                                           "this server does not answer for the host '%s'", host ? host : "");
        }
        if (!front.o.tokens) {
                const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
                if (origin && !origin_allowed(origin))
                        return front_error(e, -EPERM, "forbidden", NULL,
                                           "requests from the origin '%s' are not allowed", origin);
        }
        return 0;
}

int front_guard_content_type(struct MHD_Connection *c, enum front_body body, ward_error *e) {
        if (body != BODY_OBJECT && body != BODY_OBJECT_OR_EMPTY)
                return 0;
        const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        bool body_follows = (cl && strcmp(cl, "0") != 0) ||
                            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
        if (!ct && !body_follows)
                return 0;
        if (ct) {
                while (*ct == ' ' || *ct == '\t')
                        ct++;
                size_t n = strlen(CT_JSON);
                if (strncasecmp(ct, CT_JSON, n) == 0) {
                        const char *rest = ct + n;
                        while (*rest == ' ' || *rest == '\t')
                                rest++;
                        if (*rest == '\0' || *rest == ';')
                                return 0; /* parameters (charset) are allowed */
                }
        }
        return front_error(e, -EINVAL, "unsupported_media_type", NULL, "a JSON body needs Content-Type: %s", CT_JSON);
}
